import { describe, expect, it } from 'vitest';

import type { AppConfig } from '../../src/config/types.js';
import { useClockedPsaSuite } from '../helpers/psa-suite.js';
import { INSTANCE, ingestEvent, officeConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

/**
 * Must-show 5 (issue 8): a ticket that never changes again is escalated by its scheduled check at the business-time
 * instant the engine said — across a weekend, on an injected clock — and a check missed while no worker ran fires at
 * start-up. Also: after our move, the new tier's timer (t2-timeout) is scheduled from the move, not left to chance.
 *
 * Calendar: New York, Mon–Fri 09:00–17:00. The ticket arrives Friday 2026-11-20 16:00 local (21:00Z):
 * T1 2 business hours = 1 h on Friday + 1 h on Monday → Monday 10:00 local = 2026-11-23T15:00:00Z.
 * T2 4 business hours from the move at Monday 10:00 → Monday 14:00 local = 2026-11-23T19:00:00Z.
 */
const FRIDAY_4PM = Date.parse('2026-11-20T21:00:00Z');
const T1_DUE = '2026-11-23T15:00:00Z';
const T2_DUE = '2026-11-23T19:00:00Z';

function businessConfig(psaUrl: string): AppConfig {
  return officeConfig(psaUrl, '09:00-17:00', {
    calendar: 'office',
    handoff: { required: [], onMissing: 'flag' },
    rules: [
      {
        id: 't1-timeout',
        kind: 'tiered',
        when: { tier: 'T1', timeInTier: '2h' },
        then: { escalateTo: 'T2', group: 'tier2', note: 'handoff' },
      },
      {
        id: 't2-timeout',
        kind: 'tiered',
        when: { tier: 'T2', timeInTier: '4h' },
        then: { escalateTo: 'T3', note: 'internal' },
      },
    ],
  });
}

let clock = FRIDAY_4PM;
/** The scheduled-check loop (`dueChecks`) reads this clock once a tick: the test awaits its ticks, not time. */
const suite = useClockedPsaSuite(() => clock, ['dueChecks'], businessConfig);
const { watched, start } = suite;

describe('scheduled checks on business time (injected clock)', () => {
  it('escalates at the exact instant across a weekend, schedules the new tier from the move, and runs missed checks at start-up', async () => {
    suite.fake.addTicket({ id: 'wk1', queue: '1', title: 'Printer offline on floor 3' });
    const first = await start();
    await ingestEvent(first, { eventId: 'only-event', ticketId: 'wk1', action: 'created' }, 'r1');

    // The engine's answer is what gets scheduled: Monday 10:00 New York, not Saturday.
    const rec = await waitFor(async () => (await first.stores.tickets.get(INSTANCE, 'wk1'))?.lastDecision);
    expect(rec.nextCheckAt).toBe(T1_DUE);
    // (The record is stored just before the schedule entry.)
    expect(await waitFor(() => first.stores.schedule.get(INSTANCE, 'wk1'))).toBe(Date.parse(T1_DUE));
    const fetchesAfterEvent = suite.fake.count('GET', '/tickets/wk1');

    // Through the weekend up to one second before the instant: nothing is checked, nothing is written.
    for (const at of ['2026-11-20T22:00:01Z', '2026-11-21T15:00:00Z', '2026-11-22T23:59:59Z', '2026-11-23T14:59:59Z']) {
      clock = Date.parse(at);
      await watched.waitTicks('dueChecks', `the clock at ${at}`);
    }
    await waitForDrained(first, 30_000, 'any check those ticks claimed to be evaluated');
    expect(suite.fake.count('GET', '/tickets/wk1')).toBe(fetchesAfterEvent);
    expect(suite.fake.tickets.get('wk1')!.queue).toBe('1');

    // At the instant, with no event at all: the scheduled check escalates.
    clock = Date.parse(T1_DUE);
    await waitFor(
      () => suite.fake.tickets.get('wk1')!.queue === '2' && suite.fake.tickets.get('wk1')!.notes.length === 1,
      10_000,
    );
    const [moved] = (await first.read.escalations({ limit: 5 })).items;
    expect(moved).toMatchObject({ ticketId: 'wk1', trigger: 'scheduled' });
    expect(Date.parse(moved!.at)).toBe(Date.parse(T1_DUE));
    expect(moved!.decision.actions.map((a) => a.type)).toEqual(['reassign', 'note']);

    // Our own write comes back only as an ignored echo: the T2 timer is scheduled from the move itself.
    const after = await waitFor(async () => {
      const r = await first.stores.tickets.get(INSTANCE, 'wk1');
      return r?.lastReassign && !r.pending ? r : undefined;
    });
    expect(after.nextCheckAt).toBe(T2_DUE);
    expect(
      await waitFor(async () => (await first.stores.schedule.get(INSTANCE, 'wk1')) === Date.parse(T2_DUE), 5_000),
    ).toBe(true);

    // Downtime: no worker runs while the T2 check falls due; the next process runs it at start-up (no event, and
    // no reconciliation sweep yet — start-up sweeps are delayed).
    await first.close();
    suite.pipelines.splice(suite.pipelines.indexOf(first), 1);
    clock = Date.parse('2026-11-23T20:30:00Z');
    const second = await start();
    // The internal note is posted after the PATCH that moves the ticket: wait for both before counting them.
    await waitFor(
      () => suite.fake.tickets.get('wk1')!.queue === '3' && suite.fake.tickets.get('wk1')!.notes.length >= 2,
      10_000,
    );
    const [late] = (await second.read.escalations({ limit: 5 })).items;
    expect(late).toMatchObject({ ticketId: 'wk1', trigger: 'scheduled' });
    expect(Date.parse(late!.at)).toBe(Date.parse('2026-11-23T20:30:00Z'));
    expect(late!.decision.reasons[0]).toMatchObject({ rule: 't2-timeout' });
    expect(suite.fake.calls.filter((c) => c.method === 'GET' && c.path === '/tickets')).toHaveLength(0);
    expect(suite.fake.count('PATCH', '/tickets/wk1')).toBe(2);
    expect(suite.fake.tickets.get('wk1')!.notes).toHaveLength(2);
  }, 60_000);

  it('a due check while the PSA is down stays scheduled (no dead letter per check) and escalates once the PSA is back', async () => {
    await Promise.all(suite.pipelines.splice(0).map((p) => p.close()));
    clock = FRIDAY_4PM;
    suite.fake.addTicket({ id: 'wk2', queue: '1', title: 'VPN drops every hour' });
    const p = await start({ ticketAttempts: 2 });
    await ingestEvent(p, { eventId: 'wk2-event', ticketId: 'wk2', action: 'created' }, 'r2');
    expect(await waitFor(() => p.stores.schedule.get(INSTANCE, 'wk2'))).toBe(Date.parse(T1_DUE));

    suite.fake.fail({ method: 'GET', path: '/tickets/wk2', status: 503, times: 1e9 });
    clock = Date.parse(T1_DUE);
    const retryAt = Date.parse(T1_DUE) + 5 * 60_000;
    await waitFor(async () => (await p.stores.schedule.get(INSTANCE, 'wk2')) === retryAt, 20_000, 50);
    expect((await p.read.deadLetters()).items).toHaveLength(0);
    expect((await p.stores.instances.get(INSTANCE)).psa).toBe('unreachable');
    expect(suite.fake.tickets.get('wk2')!.queue).toBe('1');

    suite.fake.failures.splice(0);
    clock = retryAt;
    await waitFor(
      () => suite.fake.tickets.get('wk2')!.queue === '2' && suite.fake.tickets.get('wk2')!.notes.length === 1,
      10_000,
    );
    expect((await p.read.deadLetters()).items).toHaveLength(0);
  }, 60_000);
});
