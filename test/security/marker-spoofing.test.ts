import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { actionId, markerOf } from '../../src/store/ticket-state.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

import { deliver, ourNotes, startCwHarness } from './cw-service.js';
import type { CwHarness } from './cw-service.js';
import { cwTicket } from '../helpers/fake-connectwise.js';

// Issue 12 item 6: a note is ours only when it carries our marker AND our API member wrote it. A customer who types
// a marker (or quotes one of our customer-visible notes) is still a customer: the note feeds `text` rules and the
// handoff's "steps taken", and it is never mistaken for the note we were about to write.

let h: CwHarness;

beforeAll(async () => {
  h = await startCwHarness();
});

afterAll(async () => {
  await h?.close();
});

/** A fresh T1 ticket (no time rule due) whose newest note is a customer's, carrying `marker` in its text. */
function ticketWithCustomerNote(id: number, marker: string): string {
  const entered = new Date(Date.now() - 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  cwTicket(h.fake, id, entered, { summary: `Shared drive unreachable (${id})` });
  h.fake.addNote(id, {
    text: 'Users cannot open the shared drive.',
    detailDescriptionFlag: true,
    dateCreated: entered,
  });
  h.fake.addNote(id, {
    text: `Our file server down since 9am, nobody can work. ${marker}`,
    detailDescriptionFlag: true,
    contact: { id: 4412, name: 'Dana Whitfield' },
    createdBy: 'Dana Whitfield',
  });
  return entered;
}

describe('markers are trusted only on notes our API member wrote', () => {
  it('a customer note carrying a typed marker [esc:000000] still triggers text rules and is listed in the handoff steps taken', async () => {
    const id = 3001;
    ticketWithCustomerNote(id, '[esc:000000]');
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(() => ourNotes(h.fake, id).length === 1, 20_000);
    const note = ourNotes(h.fake, id)[0]!.text;
    const steps = note.slice(note.indexOf('Steps taken & results:'));
    expect(note).toContain('Steps taken & results:');
    expect(steps, 'the customer note is listed under steps taken').toContain('Our file server down since 9am');
    const view = await waitFor(
      async () =>
        (await h.service.running.read.ticket('acme-cw', String(id)))?.decisions.find((d) => d.results.length > 0),
      10_000,
    );
    expect(view.decision.reasons.map((r) => r.rule)).toContain('outage-text');
  });

  it('a customer note carrying the exact marker of our next handoff note does not make us skip that note after an ambiguous failure', async () => {
    const id = 3002;
    const entered = new Date(Date.now() - 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // The marker our handoff note for `outage-text` will carry on this ticket's first T1 visit (guessable by an insider).
    const id16 = actionId(
      { instanceId: 'acme-cw', ticketId: String(id), tierSince: entered },
      { type: 'note', rule: 'outage-text', visibility: 'internal', template: 'handoff', text: '' },
    );
    ticketWithCustomerNote(id, markerOf(id16));
    h.fake.tickets.get(id)!._info = { dateEntered: entered, lastUpdated: entered, updatedBy: 'jsmith' };
    // The first POST of the note fails ambiguously (the answer is lost): the service scans for its marker.
    h.fake.script(
      { method: 'POST', path: new RegExp(`/service/tickets/${id}/notes$`) },
      { status: 503, body: { code: 'ServiceUnavailable', message: 'try later' } },
    );
    expect((await deliver(h, h.fake.callbackBody(id), id)).status).toBe(202);
    await waitFor(() => ourNotes(h.fake, id).length === 1, 30_000);
    await waitForDrained(h.service.running);
    expect(ourNotes(h.fake, id)).toHaveLength(1);
    expect(ourNotes(h.fake, id)[0]!.text).toContain(markerOf(id16));
  });
});
