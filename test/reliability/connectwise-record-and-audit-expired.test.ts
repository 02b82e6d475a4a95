import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKeys } from '../../src/store/keys.js';
import { deliver, moveBackToT1, ourNotes, patchesFor, startCwHarness, t1Ticket } from '../security/cw-service.js';
import type { CwHarness } from '../security/cw-service.js';
import { storedTicket } from '../helpers/ticket-record.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

// A ConnectWise ticket we escalated comes back after both its record (`retention.tickets`) and its audit trail
// (`retention.audit`) expired: nothing in Redis says we handled it. Our handoff note on the ticket still does — it is
// ours (our marker, written by our API member), so the rebuilt state looks for the marker before posting and the
// rule that fires again posts no second note. The real service, real Redis, the fake ConnectWise over HTTP.

const keys = createKeys();
let h: CwHarness;

beforeAll(async () => {
  h = await startCwHarness();
});
afterAll(async () => {
  await h?.close();
});

const stored = (id: number) => storedTicket(h.client, 'acme-cw', id);

describe('ConnectWise: record and audit trail both expired', () => {
  it('our note already on the ticket, no stored record, no audit entry → the escalation scans markers and posts no second note', async () => {
    const id = 3001;
    t1Ticket(h.fake, id);
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(
      () => ourNotes(h.fake, id).length === 1 && patchesFor(h.fake, id).length === 1,
      20_000,
      50,
      'first escalation',
    );
    await waitFor(
      async () => {
        const r = await stored(id);
        return r && !r['pending'] && r['lastReassign'] ? r : undefined;
      },
      10_000,
      50,
      'first escalation recorded',
    );

    // Both retentions ran out: the ticket's record and its audit index are gone.
    await h.client.del(keys.ticket('acme-cw', String(id)), keys.auditIndexTicket('acme-cw', String(id)));
    expect(await h.service.running.read.ticket('acme-cw', String(id))).toBeFalsy();

    // Back in Tier 1 (reopened and moved back): with no state, the 3-hour-old T1 ticket matches t1-timeout again.
    moveBackToT1(h, id);
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(() => patchesFor(h.fake, id).length === 2, 20_000, 50, 'second escalation (the move)');
    await waitFor(
      async () => {
        const r = await stored(id);
        return r && !r['pending'] ? r : undefined;
      },
      10_000,
      50,
      'second escalation recorded',
    );
    await waitForDrained(h.service.running, 30_000, 'the second escalation to finish (its note, if any, written)');
    expect(ourNotes(h.fake, id), 'handoff notes by our API member').toHaveLength(1);
  });
});
