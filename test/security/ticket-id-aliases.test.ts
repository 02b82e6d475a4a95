import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor, waitForDrained } from '../helpers/wait.js';

import { deliver, ourNotes, patchesFor, startCwHarness, t1Ticket } from './cw-service.js';
import type { CwHarness } from './cw-service.js';

// Issue 12 item 3: one ticket, one state key. ConnectWise may name ticket 1234 as "0001234" (or " 1234 "): the id is
// canonicalized where it enters, so the job, the lock, the state, the schedule and the note markers are all keyed
// by "1234" and a zero-padded alias can neither start a second evaluation in parallel nor leave a second record.

let h: CwHarness;

beforeAll(async () => {
  h = await startCwHarness();
});

afterAll(async () => {
  await h?.close();
});

/** Every key and schedule member that mentions the ticket id in a non-canonical spelling. */
async function aliasTraces(alias: string): Promise<string[]> {
  const keys = (await h.client.keys('*')).filter((k) => k.includes(alias));
  const members = (await h.client.zrange('esc:schedule', 0, -1)).filter(
    (m) => m.endsWith(`\n${alias}`) || m.includes(alias),
  );
  return [...keys, ...members];
}

describe('ticket ids are canonical from the webhook to the state', () => {
  it('a zero-padded ticket id ("0001234") after 1234 makes one record and one handoff note', async () => {
    const id = 1234;
    t1Ticket(h.fake, id);
    const canonical = h.fake.callbackBody(id);
    // Same ticket, ConnectWise-style zero padding, a different delivery (MessageId): both arrive together.
    const padded = h.fake.callbackBody(id).replace(`"ID":${id},`, '"ID":"0001234",');
    expect(padded).toContain('"ID":"0001234"');
    const acks = await Promise.all([deliver(h, canonical, id), deliver(h, padded, '0001234')]);
    expect(acks.map((a) => a.status)).toEqual([202, 202]);
    await waitFor(() => ourNotes(h.fake, id).length >= 1, 20_000);
    // Both deliveries were taken; the padded one's (now joined) evaluation has run once the pipeline is drained.
    await waitFor(async () => (await h.client.get('esc:t:acme-cw:1234')) !== null, 10_000);
    await waitForDrained(h.service.running);
    expect(ourNotes(h.fake, id)).toHaveLength(1);
    expect(patchesFor(h.fake, id)).toHaveLength(1);
    expect(await aliasTraces('0001234')).toEqual([]);
    const view = await h.service.running.read.ticket('acme-cw', '0001234');
    expect(view?.ticket.ref.id, 'the API reads the alias as the same ticket').toBe('1234');
  });
});
