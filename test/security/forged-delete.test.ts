import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storedTicket, waitForManualMoveToT1 } from '../helpers/ticket-record.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

import { deliver, moveBackToT1, ourNotes, patchesFor, startCwHarness, t1Ticket } from './cw-service.js';
import type { CwHarness } from './cw-service.js';

// Issue 12 item 2: a `deleted` event is a claim, not a fact. State (tier visits, our last move, the manual-change
// hold) is removed only when the PSA confirms the ticket is gone (404/410, or its own deleted/merged flag).

let h: CwHarness;

beforeAll(async () => {
  h = await startCwHarness();
});

afterAll(async () => {
  await h?.close();
});

const record = (id: number) => h.service.running.read.ticket('acme-cw', String(id));
/** The stored per-ticket record (tier visit, our last move, manual-change hold), as Redis holds it. */
const stored = (id: number) => storedTicket(h.client, 'acme-cw', id);

describe('delete events are confirmed with the PSA before state is removed', () => {
  it('a forged delete for an escalated ticket keeps its state: a human move back to T1 is a manual hold, not a second handoff note', async () => {
    const id = 2001;
    t1Ticket(h.fake, id);
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(() => ourNotes(h.fake, id).length === 1 && patchesFor(h.fake, id).length === 1, 20_000);
    await waitFor(async () => (await stored(id))?.['lastReassign'], 10_000);

    // The forged (or misread) delete: signed like any callback, but the ticket is alive in ConnectWise.
    const readsBefore = h.fake.apiRequests('GET', new RegExp(`/service/tickets/${id}$`)).length;
    expect((await deliver(h, h.fake.callbackBody(id, { action: 'deleted' }), id)).status).toBe(202);
    // The service asks ConnectWise instead of believing the event.
    await waitFor(
      () => h.fake.apiRequests('GET', new RegExp(`/service/tickets/${id}$`)).length > readsBefore || undefined,
      10_000,
      50,
      'the service to read the ticket back after the delete',
    );
    await waitForDrained(h.service.running, 30_000, 'the delete event to be fully processed');
    expect(
      (await stored(id))?.['lastReassign'],
      'our move (and with it the tier visit) survives the forged delete',
    ).toMatchObject({ tier: 'T2' });
    expect((await record(id))?.decisions.some((d) => d.event === 'ticket_gone')).toBe(false);

    // A technician moves the ticket back to Tier 1: with the state kept this is a manual change (held for 4 h);
    // with the state wiped the ticket looked 3 h old in T1 and was escalated (and noted) a second time.
    moveBackToT1(h, id);
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitForManualMoveToT1(h.client, 'acme-cw', id, 'the move back to T1 recorded as a manual change');
    await waitForDrained(h.service.running, 30_000, 'the manual-change event to be fully processed');
    expect(patchesFor(h.fake, id)).toHaveLength(1);
    expect(ourNotes(h.fake, id)).toHaveLength(1);
  });

  it('a real delete (ConnectWise answers 404) still removes the ticket state and its scheduled check', async () => {
    const id = 2002;
    t1Ticket(h.fake, id, 1); // 1 h in T1: a check is scheduled for the 2-hour mark
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(() => stored(id), 10_000);
    // The record is written before the check is scheduled: read the schedule once the evaluation has finished.
    await waitForDrained(h.service.running, 30_000, 'the first evaluation to finish');
    expect(await h.client.zscore('esc:schedule', `acme-cw\n${id}`)).not.toBeNull();

    h.fake.tickets.delete(id);
    expect((await deliver(h, h.fake.callbackBody(id, { action: 'deleted' }), id)).status).toBe(202);
    await waitFor(async () => (await h.client.exists(`esc:t:acme-cw:${id}`)) === 0, 10_000);
    // The record goes first, the scheduled check right after it: read the schedule once the delete has finished.
    await waitForDrained(h.service.running, 30_000, 'the delete to be fully processed');
    expect(await h.client.zscore('esc:schedule', `acme-cw\n${id}`)).toBeNull();
    const entries = await Promise.all(
      (await h.client.zrange(`esc:audit:ix:t:acme-cw:${id}`, 0, -1)).map((a) => h.client.get(`esc:audit:e:${a}`)),
    );
    expect(entries.map((e) => (JSON.parse(e ?? '{}') as { event?: string }).event)).toContain('ticket_gone');
  });

  it('a delete for a ticket ConnectWise merged into another (mergedParentTicket) removes the state: the PSA flag confirms it', async () => {
    const id = 2003;
    t1Ticket(h.fake, id, 1);
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(() => stored(id), 10_000);
    const t = h.fake.tickets.get(id)!;
    Object.assign(t, { mergedParentTicket: { id: 2001, summary: 'parent' }, closedFlag: true });
    t._info = { ...(t._info as Record<string, unknown>), lastUpdated: h.fake.stamp(), updatedBy: 'jsmith' };
    expect((await deliver(h, h.fake.callbackBody(id, { action: 'deleted' }), id)).status).toBe(202);
    await waitFor(async () => (await h.client.exists(`esc:t:acme-cw:${id}`)) === 0, 10_000);
    // The record goes first, the scheduled check right after it: read the schedule once the delete has finished.
    await waitForDrained(h.service.running, 30_000, 'the delete to be fully processed');
    expect(await h.client.zscore('esc:schedule', `acme-cw\n${id}`)).toBeNull();
  });
  it("a delete absorbed into an update job already waiting (no `deleted` flag) for a merged ticket: the PSA's merged flag removes the state, nothing written", async () => {
    const id = 2004;
    // 3 h in Tier 1 and not closed, but merged into another ticket: only the PSA's merged flag tells.
    t1Ticket(h.fake, id);
    Object.assign(h.fake.tickets.get(id)!, { mergedParentTicket: { id: 2001, summary: 'parent' } });
    // The job that runs carries no `deleted` flag (the delete joined an update job waiting in its debounce).
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    // The PSA's own flag is its word whatever the trigger: audited as gone, no record kept.
    const gone = async () => {
      const ids = await h.client.zrange(`esc:audit:ix:t:acme-cw:${id}`, 0, -1);
      const entries = await Promise.all(ids.map((a) => h.client.get(`esc:audit:e:${a}`)));
      return entries.some((e) => (JSON.parse(e ?? '{}') as { event?: string }).event === 'ticket_gone') || undefined;
    };
    await waitFor(gone, 10_000, 50, 'the merged ticket audited as gone');
    expect(await stored(id)).toBeUndefined();
    await waitForDrained(h.service.running, 30_000, "the merged ticket's evaluation to finish");
    expect(patchesFor(h.fake, id)).toHaveLength(0);
    expect(ourNotes(h.fake, id)).toHaveLength(0);
    expect(await h.client.zscore('esc:schedule', `acme-cw\n${id}`)).toBeNull();
  });
});
