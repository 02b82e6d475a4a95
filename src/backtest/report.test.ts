import { describe, expect, it } from 'vitest';

import { addOutcome, finishReport, mergeAccumulators, newAccumulator } from './report.js';
import type { SimDecision, TicketOutcome } from './simulate.js';

const move = (at: string, rule: string, tier: string): SimDecision => ({
  instanceId: 'i',
  ticketId: 't',
  at,
  rule,
  kind: 'tiered',
  trigger: 'scheduled',
  actions: [
    { type: 'reassign', rule, tier, group: 'tier2', owner: 'erin', location: {}, from: { tier: 'T1', owner: null } },
  ],
  reasons: [{ rule, kind: 'tiered', text: '', matched: {} }],
});

const outcome = (id: string, decisions: SimDecision[], breachDue?: string): TicketOutcome => ({
  instanceId: 'i',
  ticketId: id,
  createdAt: '2026-11-24T14:00:00Z',
  decisions,
  evaluations: 3,
  humanReassignments: 0,
  breaches: breachDue ? [{ clock: 'resolution', dueAt: breachDue }] : [],
  realTiers: { first: 'T1', last: 'T1' },
  resolvedAt: '2026-11-25T14:00:00Z',
});

describe('backtest report', () => {
  it('a breach counts as escalated before it only when the move came strictly earlier, with the lead time', () => {
    const acc = newAccumulator();
    addOutcome(acc, outcome('a', [move('2026-11-24T16:00:00.000Z', 't1-timeout', 'T2')], '2026-11-24T18:00:00Z'), 10);
    // The sla-breach rule moving at the breach instant did not prevent it.
    addOutcome(acc, outcome('b', [move('2026-11-24T18:00:00.000Z', 'sla-breach', 'T2')], '2026-11-24T18:00:00Z'), 10);
    addOutcome(acc, outcome('c', []), 10);
    const r = finishReport(acc, { instanceId: 'i', policy: 'p', keepDecisions: 10 });
    expect(r.breaches).toMatchObject({
      tickets: 2,
      escalatedBefore: 1,
      flaggedBefore: 0,
      missed: 1,
      leadTime: { count: 1, p50Minutes: 120 },
    });
    expect(r.perRule).toEqual({
      'sla-breach': { fired: 1, tickets: 1, kind: 'tiered' },
      't1-timeout': { fired: 1, tickets: 1, kind: 'tiered' },
    });
    expect(r.timeToEscalate).toMatchObject({
      count: 2,
      p50Minutes: 240,
      buckets: expect.arrayContaining([
        { label: '1–2 h', count: 0 },
        { label: '2–4 h', count: 1 },
        { label: '4–8 h', count: 1 },
      ]),
    });
    // Moved, resolved in its starting tier: counted in the over-escalation estimate only without a breach.
    expect(r.overEscalation).toEqual({ escalatedTickets: 2, resolvedInStartTierWithoutBreach: 0, ratio: 0 });
    expect(r.load).toEqual({ groups: { tier2: 2 }, members: { erin: 2 } });
  });

  it('merging per-batch accumulators in order equals one accumulator, and the decision list is capped', () => {
    const all = newAccumulator();
    const a = newAccumulator();
    const b = newAccumulator();
    const outs = [1, 2, 3].map((k) => outcome(String(k), [move(`2026-11-24T1${k}:00:00.000Z`, 't1-timeout', 'T2')]));
    for (const o of outs) addOutcome(all, o, 2);
    addOutcome(a, outs[0]!, 2);
    addOutcome(b, outs[1]!, 2);
    addOutcome(b, outs[2]!, 2);
    mergeAccumulators(a, b, 2);
    const meta = { instanceId: 'i', policy: 'p', keepDecisions: 2 };
    expect(finishReport(a, meta)).toEqual(finishReport(all, meta));
    expect(finishReport(a, meta)).toMatchObject({ decisionsTotal: 3, decisionsTruncated: true });
    expect(finishReport(a, meta).decisions.map((d) => d.at)).toEqual([
      '2026-11-24T11:00:00.000Z',
      '2026-11-24T12:00:00.000Z',
    ]);
  });
});
