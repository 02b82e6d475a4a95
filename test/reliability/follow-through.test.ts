import { beforeAll, describe, expect, it } from 'vitest';

import type { AppConfig } from '../../src/config/types.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { useClockedPsaSuite } from '../helpers/psa-suite.js';
import { INSTANCE, ingestEvent, officeConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

/**
 * Issue 17, pipeline side (real Redis, real BullMQ workers, fake PSA, injected clock): a handoff nobody picks up is
 * flagged by its scheduled check exactly 30 business minutes after our move, and not when the new owner wrote a note
 * at minute 29; a missed customer update promise is flagged at the promised instant.
 *
 * Calendar: New York, Mon–Fri 09:00–17:00. Tickets arrive Monday 2026-11-23 09:00 local (14:00Z); T1 → T2 after
 * 1 business hour (15:00Z, owner t2.a or t2.b); the pickup deadline is then 15:30Z.
 */
const MONDAY_9AM = Date.parse('2026-11-23T14:00:00Z');
const MOVE = '2026-11-23T15:00:00Z';
const PICKUP_DUE = '2026-11-23T15:30:00Z';

function followConfig(psaUrl: string): AppConfig {
  return officeConfig(psaUrl, '09:00-17:00', {
    calendar: 'office',
    sla: { P2: { firstResponse: 60, resolution: 120 } }, // P2 only: h1/h2 (P3) have no clocks
    rca: { after: ['emergency'], within: '2d', notify: ['managers'] },
    handoff: { required: [], onMissing: 'flag' },
    rules: [
      {
        id: 'emergency',
        kind: 'emergency',
        when: { text: ['ransomware'] },
        then: { escalateTo: 'T3', note: 'internal', notify: ['managers'] },
      },
      {
        id: 't1-timeout',
        kind: 'tiered',
        when: { tier: 'T1', timeInTier: '1h' },
        then: { escalateTo: 'T2', group: 'tier2', note: 'handoff' },
      },
      {
        id: 'not-picked-up',
        kind: 'hierarchical',
        when: { notPickedUpFor: '30m' },
        then: { notify: ['managers'], note: 'internal' },
      },
      {
        id: 'tell-customer',
        kind: 'hierarchical',
        when: { text: ['keep me posted'] },
        then: { customerNote: true },
      },
      {
        id: 'promise-missed',
        kind: 'hierarchical',
        when: { updateOverdue: true },
        then: { notify: ['managers'], note: 'internal' },
      },
    ],
  });
}

let clock = MONDAY_9AM;
/** The scheduled-check loop (`dueChecks`) reads this clock once a tick: the test awaits ticks, not time. */
const suite = useClockedPsaSuite(() => clock, ['dueChecks'], followConfig);
const { watched } = suite;
let p: RunningPipeline;

beforeAll(async () => {
  p = await suite.start();
});

const notified = (id: string) =>
  suite.fake.notifications.filter((n) => n.name === 'managers' && JSON.stringify(n.body).includes(`"${id}"`)).length;

describe('handoff pickup through the pipeline (injected clock)', () => {
  it('flags the untouched handoff exactly 30 business minutes after the move, and not the one the owner noted at minute 29 nor the one the owner logged time on at minute 20', async () => {
    suite.fake.addTicket({ id: 'h1', queue: '1', title: 'VPN drops every hour' });
    suite.fake.addTicket({ id: 'h2', queue: '1', title: 'Scanner to email fails' });
    suite.fake.addTicket({ id: 'h3', queue: '1', title: 'Shared drive mapping lost' });
    for (const id of ['h1', 'h2', 'h3']) {
      await ingestEvent(p, { eventId: `created-${id}`, ticketId: id, action: 'created' }, `r-${id}`);
    }
    for (const id of ['h1', 'h2', 'h3']) {
      const rec = await waitFor(async () => (await p.stores.tickets.get(INSTANCE, id))?.lastDecision, 10_000);
      expect(rec.nextCheckAt, `T1 timer of ${id}`).toBe(MOVE);
    }

    // The move: both go to T2 with an owner; the next check is the pickup deadline.
    clock = Date.parse(MOVE);
    for (const id of ['h1', 'h2', 'h3']) {
      const moved = await waitFor(async () => {
        const r = await p.stores.tickets.get(INSTANCE, id);
        return r?.lastReassign && !r.pending && r.nextCheckAt === PICKUP_DUE ? r : undefined;
      }, 15_000);
      expect(
        moved.escalations.map((e) => e.rule),
        `moves of ${id}`,
      ).toEqual(['t1-timeout']);
      expect(suite.fake.tickets.get(id)!.owner, `owner of ${id}`).toMatch(/^t2\./);
    }

    // Minute 20: h3's new owner logs a time entry only (no note, no status change, no callback); on h1 someone else
    // logs time at minute 10, which is no pickup by its owner.
    const h3 = suite.fake.tickets.get('h3')!;
    h3.timeEntries = [{ at: '2026-11-23T15:20:00Z', author: h3.owner! }];
    suite.fake.tickets.get('h1')!.timeEntries = [{ at: '2026-11-23T15:10:00Z', author: 'alice' }];

    // Minute 29: h2's new owner writes a note (a person's note, not ours) and the PSA tells us.
    clock = Date.parse('2026-11-23T15:29:00Z');
    const h2 = suite.fake.tickets.get('h2')!;
    h2.notes.unshift({
      id: 'n-owner',
      text: 'Called the user, checking the scanner config.',
      internal: true,
      at: new Date(clock).toISOString(),
      author: h2.owner!,
    });
    h2.updatedAt = new Date(clock).toISOString();
    await ingestEvent(p, { eventId: 'h2-note', ticketId: 'h2', action: 'updated' });
    await waitFor(
      async () =>
        (await p.stores.tickets.get(INSTANCE, 'h2'))?.ticket.recentNotes?.some((n) =>
          n.text.startsWith('Called the user'),
        ),
      10_000,
    );
    expect((await p.stores.tickets.get(INSTANCE, 'h2'))!.nextCheckAt).toBeNull();

    // One second before the deadline nothing is flagged.
    clock = Date.parse(PICKUP_DUE) - 1_000;
    await watched.waitTicks('dueChecks', 'one second before the pickup deadline');
    await waitForDrained(p, 30_000, 'any check those ticks claimed to be evaluated');
    expect(notified('h1')).toBe(0);

    // At the deadline, with no event: h1's check flags it (notify + internal note); h2 stays quiet.
    clock = Date.parse(PICKUP_DUE);
    await waitFor(
      () => notified('h1') === 1 && suite.fake.tickets.get('h1')!.notes.some((n) => n.text.includes('not-picked-up')),
      15_000,
    );
    const [flag] = (await p.read.escalations({ limit: 20 })).items.filter(
      (e) => e.ticketId === 'h1' && e.decision.reasons.some((r) => r.rule === 'not-picked-up'),
    );
    expect(flag).toMatchObject({ trigger: 'scheduled' });
    expect(Date.parse(flag!.at)).toBe(Date.parse(PICKUP_DUE));
    expect(flag!.decision.reasons.find((r) => r.rule === 'not-picked-up')!.matched).toMatchObject({
      notPickedUpFor: 30,
    });

    // h3's check at the deadline read its time entries: picked up at minute 20, not flagged.
    const h3rec = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, 'h3');
      return r?.ownerActivityAt !== undefined && r.nextCheckAt === null && !r.pending ? r : undefined;
    }, 15_000);
    expect(h3rec.ownerActivityAt).toBe('2026-11-23T15:20:00.000Z');
    expect(suite.fake.count('GET', '/tickets/h3/time-entries')).toBe(1);

    // Nothing further is due for any: h1's rule fired in this visit, h2 and h3 were picked up (no check is scheduled).
    expect(await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 'h1'))?.nextCheckAt === null, 10_000)).toBe(
      true,
    );
    expect((await p.stores.tickets.get(INSTANCE, 'h2'))!.nextCheckAt).toBeNull();
    expect(notified('h2')).toBe(0);
    expect(notified('h3')).toBe(0);
    expect(suite.fake.tickets.get('h3')!.notes.some((n) => n.text.includes('not-picked-up'))).toBe(false);
    expect(notified('h1')).toBe(1);
  }, 90_000);

  it('records the promise of our customer note and flags it at the promised instant when no update was given', async () => {
    // Monday 10:30 New York (15:30Z): a P2 ticket; resolution due 120 business minutes later (17:30Z).
    clock = Date.parse('2026-11-23T15:30:00Z');
    suite.fake.addTicket({ id: 'u1', queue: '2', priority: 2, title: 'Invoices not printing, please keep me posted' });
    await ingestEvent(p, { eventId: 'created-u1', ticketId: 'u1', action: 'created' }, 'r-u1');
    const rec = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, 'u1');
      return r?.updatePromise && !r.pending ? r : undefined;
    }, 10_000);
    expect(rec.updatePromise).toEqual({ madeAt: '2026-11-23T15:30:00.000Z', by: '2026-11-23T17:30:00Z' });
    const customerNote = suite.fake.tickets.get('u1')!.notes.find((n) => !n.internal);
    expect(customerNote?.text).toContain('Next update by 2026-11-23 12:30');
    expect(rec.nextCheckAt).toBe('2026-11-23T16:30:00Z'); // first-response due comes first

    clock = Date.parse('2026-11-23T17:30:00Z');
    await waitFor(
      () => suite.fake.tickets.get('u1')!.notes.some((n) => n.internal && n.text.includes('promise-missed')),
      15_000,
    );
    const [flag] = (await p.read.escalations({ limit: 50 })).items.filter(
      (e) => e.ticketId === 'u1' && e.decision.reasons.some((r) => r.rule === 'promise-missed'),
    );
    expect(flag!.decision.reasons.find((r) => r.rule === 'promise-missed')!.matched).toEqual({
      updateOverdue: true,
      promisedBy: '2026-11-23T17:30:00Z',
    });
    expect(await waitFor(() => notified('u1') === 1, 10_000)).toBe(true); // the notifier call follows the note
  }, 60_000);

  it('asks for an RCA when the emergency ticket is resolved, and flags it overdue once after 2 business days', async () => {
    // Monday 12:30 New York (17:30Z): ransomware → T3 at once.
    clock = Date.parse('2026-11-23T17:30:00Z');
    suite.fake.addTicket({ id: 'r1', queue: '1', priority: 3, title: 'Ransomware note on the file server' });
    await ingestEvent(p, { eventId: 'created-r1', ticketId: 'r1', action: 'created' }, 'r-r1');
    await waitFor(() => suite.fake.tickets.get('r1')!.queue === '3' && notified('r1') === 1, 10_000);

    // Resolved at 12:45 New York (17:45Z) with no RCA: internal note with the timeline + notify managers.
    clock = Date.parse('2026-11-23T17:45:00Z');
    const r1 = suite.fake.tickets.get('r1')!;
    r1.status = 'resolved';
    r1.updatedAt = new Date(clock).toISOString();
    await ingestEvent(p, { eventId: 'resolved-r1', ticketId: 'r1', action: 'updated' }, 'r-r1-res');
    await waitFor(() => r1.notes.some((n) => n.text.includes('RCA required')) && notified('r1') === 2, 10_000);
    const note = r1.notes.find((n) => n.text.includes('RCA required'))!;
    expect(note.internal).toBe(true);
    expect(note.text).toContain('moved to T3');
    // Business days after Monday: Tuesday, Wednesday → due Wednesday 17:00 New York (22:00Z).
    const rec = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, 'r1');
      return r?.rca && !r.pending ? r : undefined;
    }, 10_000);
    expect(rec.rca).toEqual({ requestedAt: '2026-11-23T17:45:00.000Z' });
    expect(rec.nextCheckAt).toBe('2026-11-25T22:00:00Z');

    // At the deadline, with no RCA note: overdue, notified once (no second RCA note).
    clock = Date.parse('2026-11-25T22:00:00Z');
    await waitFor(() => notified('r1') === 3, 15_000);
    const after = await waitFor(
      async () => (await p.stores.tickets.get(INSTANCE, 'r1'))?.rca?.overdueNotifiedAt,
      10_000,
    );
    expect(after).toBe('2026-11-25T22:00:00.000Z');
    expect(r1.notes.filter((n) => n.text.includes('RCA required'))).toHaveLength(1);
    expect((await p.stores.tickets.get(INSTANCE, 'r1'))!.nextCheckAt).toBeNull();

    // Listed as overdue and counted in the completion rate (GET /api/escalations/rca reads this).
    const [status] = await p.read.rcaStatus!({
      from: Date.parse('2026-11-01T00:00:00Z'),
      to: Date.parse('2026-12-01T00:00:00Z'),
    });
    expect(status).toEqual({
      instance: INSTANCE,
      rca: {
        required: 1,
        done: 0,
        overdue: 1,
        open: 0,
        completionRate: 0,
        overdueTickets: [{ instanceId: INSTANCE, ticketId: 'r1', requestedAt: '2026-11-23T17:45:00.000Z' }],
      },
    });
  }, 60_000);
});
