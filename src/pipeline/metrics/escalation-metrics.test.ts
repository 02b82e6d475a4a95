import { describe, expect, it } from 'vitest';

import type { HistoryMove, MetricsHistory } from '../../store/metrics-history-store.js';
import { computeEscalationMetrics, fraction, median, visitsOf } from './escalation-metrics.js';

const T = (day: string, time: string) => `2026-03-${day}T${time}:00.000Z`;
const tiers = ['T1', 'T2', 'T3'];
const window = {
  instance: 'acme',
  from: Date.parse('2026-03-02T00:00:00Z'),
  to: Date.parse('2026-03-09T00:00:00Z'),
  tiers,
};

function history(
  ticketId: string,
  createdAt: string,
  initialTier: string | null,
  rest: Partial<MetricsHistory> = {},
): MetricsHistory {
  return {
    v: 1,
    instanceId: 'acme',
    ticketId,
    createdAt,
    initialTier,
    moves: [],
    clockStops: [],
    nearMisses: [],
    observedAt: createdAt,
    ...rest,
  };
}
const ours = (
  at: string,
  from: string | null,
  to: string | null,
  businessMinutes: number,
  extra: Partial<HistoryMove> = {},
): HistoryMove => ({
  at,
  from,
  to,
  by: 'us',
  rule: 'r',
  businessMinutes,
  ...extra,
});
const human = (at: string, from: string | null, to: string | null): HistoryMove => ({ at, from, to, by: 'human' });

/**
 * The scripted history (window 2026-03-02 .. 2026-03-09):
 * A T1 09:00 → ours T2 11:00 (120 bm, handoff +15) → resolved 14:00 · B T1, resolved 40 min later in T1 ·
 * C T1 → ours T2 (60 bm, handoff +45) → a human moves it back to T1 · D created before the window, ours T1 → T3 (300 bm),
 * resolved 20 min after arriving · E created in T2, ours T2 → T3 (60 bm, handoff +10), resolved 60 min later ·
 * F resolved before the window · G open in T1 with two near misses · H in T1, escalated after the window ends.
 */
const scripted: MetricsHistory[] = [
  history('A', T('02', '09:00'), 'T1', {
    moves: [ours(T('02', '11:00'), 'T1', 'T2', 120, { handoffAt: T('02', '11:15') })],
    endedAt: T('02', '14:00'),
    resolvedAt: T('02', '14:00'),
    clockStops: [
      { clock: 'firstResponse', at: T('02', '09:10'), met: true },
      { clock: 'resolution', at: T('02', '14:00'), met: true },
    ],
  }),
  history('B', T('02', '10:00'), 'T1', {
    endedAt: T('02', '10:40'),
    resolvedAt: T('02', '10:40'),
    clockStops: [
      { clock: 'firstResponse', at: T('02', '10:05'), met: true },
      { clock: 'resolution', at: T('02', '10:40'), met: false },
    ],
  }),
  history('C', T('03', '08:00'), 'T1', {
    moves: [
      ours(T('03', '09:00'), 'T1', 'T2', 60, { handoffAt: T('03', '09:45') }),
      human(T('03', '12:00'), 'T2', 'T1'),
    ],
  }),
  history('D', T('01', '08:00'), 'T1', {
    moves: [ours(T('04', '10:00'), 'T1', 'T3', 300)],
    endedAt: T('04', '10:20'),
    resolvedAt: T('04', '10:20'),
    clockStops: [{ clock: 'resolution', at: T('04', '10:20'), met: true }],
  }),
  history('E', T('05', '08:00'), 'T2', {
    moves: [ours(T('05', '09:00'), 'T2', 'T3', 60, { handoffAt: T('05', '09:10') })],
    endedAt: T('05', '10:00'),
    resolvedAt: T('05', '10:00'),
    clockStops: [
      { clock: 'firstResponse', at: T('05', '08:30'), met: false },
      { clock: 'resolution', at: T('05', '10:00'), met: true },
    ],
  }),
  history('F', '2026-02-20T08:00:00.000Z', 'T1', {
    endedAt: '2026-02-21T08:00:00.000Z',
    resolvedAt: '2026-02-21T08:00:00.000Z',
    clockStops: [{ clock: 'firstResponse', at: '2026-02-20T09:00:00.000Z', met: false }],
  }),
  history('G', T('06', '08:00'), 'T1', {
    nearMisses: [
      { at: T('06', '10:00'), tier: 'T1', rule: 'sla-risk', visitAt: T('06', '08:00') },
      { at: T('06', '11:00'), tier: 'T1', rule: 't1-timeout', visitAt: T('06', '08:00') },
    ],
  }),
  history('H', T('08', '23:00'), 'T1', { moves: [ours('2026-03-09T01:00:00.000Z', 'T1', 'T2', 120)] }),
];

/** A tier's metrics with nothing in it: zero counts and rates, null medians. */
const quietTier = {
  tickets: 0,
  escalated: 0,
  escalationRate: 0,
  reEscalationRate: 0,
  timeToEscalateMedianMin: null,
  handoffDelayMedianMin: null,
  nearMisses: 0,
  proposed: 0,
  proposedRate: 0,
};

describe('computeEscalationMetrics on a scripted history (hand-computed answers)', () => {
  const m = computeEscalationMetrics(scripted, window);

  it('T1: 6 tickets, 3 escalated (A, C, D), C moved back down, medians 120 bm and 30 min, 2 near misses', () => {
    expect(m.tiers.T1).toEqual({
      ...quietTier,
      tickets: 6,
      escalated: 3,
      escalationRate: 0.5,
      reEscalationRate: 0.3333,
      timeToEscalateMedianMin: 120,
      handoffDelayMedianMin: 30,
      nearMisses: 2,
    });
  });

  it('T2: A, C and E visited it; only E was moved up out of it', () => {
    expect(m.tiers.T2).toEqual({
      ...quietTier,
      tickets: 3,
      escalated: 1,
      escalationRate: 0.3333,
      timeToEscalateMedianMin: 60,
      handoffDelayMedianMin: 10,
    });
  });

  it('T3: D and E arrived, nothing left it upwards: rates 0, medians null', () => {
    expect(m.tiers.T3).toEqual({ ...quietTier, tickets: 2 });
  });

  it('over-escalation is the T1 escalation rate, warn above 0.40', () => {
    expect(m.overEscalation).toEqual({ rate: 0.5, warn: true });
  });

  it('FCR = 1 of 4 resolved in the window (B); MTTR = (300 + 40 + 4460 + 120) / 4', () => {
    expect(m.fcr).toBe(0.25);
    expect(m.mttrMin).toBe(1230);
  });

  it('SLA attainment counts clocks stopped in the window: first response 2/3, resolution 3/4', () => {
    expect(m.slaAttainment).toEqual({ firstResponse: 0.6667, resolution: 0.75 });
  });

  it('tier3Audit lists D (resolved 20 min after arriving), not E (60 min)', () => {
    expect(m.tier3Audit).toEqual([
      { ticketId: 'D', arrivedAt: '2026-03-04T10:00:00Z', resolvedAt: '2026-03-04T10:20:00Z' },
    ]);
  });

  it('echoes instance and window as second-precision instants', () => {
    expect(m.instance).toBe('acme');
    expect(m.from).toBe('2026-03-02T00:00:00Z');
    expect(m.to).toBe('2026-03-09T00:00:00Z');
  });
});

describe('computeEscalationMetrics edges', () => {
  it('an empty history gives zero rates, null medians and no warning', () => {
    const m = computeEscalationMetrics([], window);
    expect(m.tiers.T1).toEqual(quietTier);
    expect(m).toMatchObject({
      overEscalation: { rate: 0, warn: false },
      fcr: 0,
      mttrMin: null,
      slaAttainment: { firstResponse: 0, resolution: 0 },
      tier3Audit: [],
    });
  });

  it('the window is [from, to): a move at `from` counts, a move at `to` does not', () => {
    const atFrom = history('X', '2026-03-01T23:00:00.000Z', 'T1', {
      moves: [ours('2026-03-02T00:00:00.000Z', 'T1', 'T2', 60)],
    });
    const atTo = history('Y', T('08', '22:00'), 'T1', { moves: [ours('2026-03-09T00:00:00.000Z', 'T1', 'T2', 60)] });
    const m = computeEscalationMetrics([atFrom, atTo], window);
    expect(m.tiers.T1).toMatchObject({ tickets: 2, escalated: 1, escalationRate: 0.5 });
  });

  it('a visit that ended exactly at `from` does not overlap the window', () => {
    const h = history('X', '2026-03-01T08:00:00.000Z', 'T1', {
      endedAt: '2026-03-02T00:00:00.000Z',
      resolvedAt: '2026-03-02T00:00:00.000Z',
    });
    const m = computeEscalationMetrics([h], window);
    expect(m.tiers.T1!.tickets).toBe(0);
    expect(m.fcr).toBe(1); // resolved at `from`: inside the window
  });

  it('a group move inside a tier, or a human move up, is not an escalation by us', () => {
    const same = history('X', T('03', '08:00'), 'T2', { moves: [ours(T('03', '09:00'), 'T2', 'T2', 60)] });
    const manual = history('Y', T('03', '08:00'), 'T1', { moves: [human(T('03', '09:00'), 'T1', 'T2')] });
    const m = computeEscalationMetrics([same, manual], window);
    expect(m.tiers.T2!.escalated).toBe(0);
    expect(m.tiers.T1).toMatchObject({ tickets: 1, escalated: 0 });
  });

  it('re-escalation by us counts; a later human move up does not', () => {
    const again = history('X', T('03', '08:00'), 'T1', {
      moves: [ours(T('03', '09:00'), 'T1', 'T2', 60), ours(T('03', '10:00'), 'T2', 'T3', 60)],
    });
    const humanUp = history('Y', T('03', '08:00'), 'T1', {
      moves: [ours(T('03', '09:00'), 'T1', 'T2', 60), human(T('03', '10:00'), 'T2', 'T3')],
    });
    const m = computeEscalationMetrics([again, humanUp], window);
    expect(m.tiers.T1).toMatchObject({ escalated: 2, reEscalationRate: 0.5 });
  });

  it('re-escalation after the window end is not counted', () => {
    const h = history('X', T('08', '08:00'), 'T1', {
      moves: [ours(T('08', '09:00'), 'T1', 'T2', 60), human('2026-03-10T09:00:00.000Z', 'T2', 'T1')],
    });
    expect(computeEscalationMetrics([h], window).tiers.T1!.reEscalationRate).toBe(0);
  });

  it('FCR ignores unrouted (null) stretches, but a ticket never in T1 is not first-contact', () => {
    const routed = history('X', T('03', '08:00'), null, {
      moves: [human(T('03', '08:05'), null, 'T1')],
      endedAt: T('03', '09:00'),
      resolvedAt: T('03', '09:00'),
    });
    const direct = history('Y', T('03', '08:00'), 'T2', { endedAt: T('03', '09:00'), resolvedAt: T('03', '09:00') });
    expect(computeEscalationMetrics([routed, direct], window).fcr).toBe(0.5);
  });

  it('tier3Audit: exactly 30 minutes counts; triage of an unrouted ticket into T3 does not; moved on from T3 does not', () => {
    const thirty = history('X', T('03', '08:00'), 'T2', {
      moves: [human(T('03', '09:00'), 'T2', 'T3')],
      endedAt: T('03', '09:30'),
      resolvedAt: T('03', '09:30'),
    });
    const triage = history('Y', T('03', '08:00'), null, {
      moves: [human(T('03', '08:01'), null, 'T3')],
      endedAt: T('03', '08:10'),
      resolvedAt: T('03', '08:10'),
    });
    const m = computeEscalationMetrics([thirty, triage], window);
    expect(m.tier3Audit.map((x) => x.ticketId)).toEqual(['X']);
  });

  it('ignores histories of other instances and tiers no longer configured', () => {
    const other = { ...history('X', T('03', '08:00'), 'T1'), instanceId: 'globex' };
    const gone = history('Y', T('03', '08:00'), 'T9');
    const m = computeEscalationMetrics([other, gone], window);
    expect(Object.keys(m.tiers)).toEqual(tiers);
    expect(m.tiers.T1!.tickets).toBe(0);
  });

  it('observe-mode proposals are counted apart from escalations', () => {
    const proposedOnly = history('X', T('03', '08:00'), 'T1', {
      proposals: [{ at: T('03', '10:00'), from: 'T1', to: 'T2', rule: 't1-timeout' }],
    });
    const idle = history('Y', T('03', '08:00'), 'T1');
    const m = computeEscalationMetrics([proposedOnly, idle], window);
    expect(m.tiers.T1).toMatchObject({ tickets: 2, escalated: 0, escalationRate: 0, proposed: 1, proposedRate: 0.5 });
    expect(m.overEscalation).toEqual({ rate: 0, warn: false });
  });

  it('slaDisagreements: tickets whose PSA due date and ours were further apart than the tolerance during [from, to)', () => {
    const run = (clock: 'firstResponse' | 'resolution', from: string, to: string) => ({ clock, from, to });
    const hs = [
      history('X', T('03', '08:00'), 'T1', {
        slaDisagreements: [run('firstResponse', T('03', '09:00'), T('03', '12:00'))],
      }),
      // Last seen disagreeing exactly at `from`: counted; first seen exactly at `to`: not.
      history('Y', T('01', '08:00'), 'T1', {
        slaDisagreements: [run('resolution', T('01', '08:00'), '2026-03-02T00:00:00.000Z')],
      }),
      history('Z', T('08', '08:00'), 'T1', {
        slaDisagreements: [run('resolution', '2026-03-09T00:00:00.000Z', '2026-03-09T01:00:00.000Z')],
      }),
      // Both clocks: one ticket.
      history('W', T('04', '08:00'), 'T1', {
        slaDisagreements: [
          run('firstResponse', T('04', '08:00'), T('04', '08:00')),
          run('resolution', T('05', '08:00'), T('06', '08:00')),
        ],
      }),
      // Disagreed before the window only; another instance's ticket.
      history('V', T('01', '00:00'), 'T1', {
        slaDisagreements: [run('firstResponse', T('01', '00:00'), T('01', '06:00'))],
      }),
      {
        ...history('U', T('03', '08:00'), 'T1', {
          slaDisagreements: [run('firstResponse', T('03', '09:00'), T('03', '09:00'))],
        }),
        instanceId: 'globex',
      },
      history('S', T('03', '08:00'), 'T1'),
    ];
    expect(computeEscalationMetrics(hs, window).slaDisagreements).toEqual({
      firstResponse: 2,
      resolution: 2,
      tickets: 3,
    });
    expect(computeEscalationMetrics([], window).slaDisagreements).toEqual({
      firstResponse: 0,
      resolution: 0,
      tickets: 0,
    });
  });

  it('with fewer than 3 tiers there is no Tier 3 audit', () => {
    expect(computeEscalationMetrics(scripted, { ...window, tiers: ['T1', 'T2'] }).tier3Audit).toEqual([]);
  });
});

describe('helpers', () => {
  it('median: odd, even, empty', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
  it('fraction: 4 decimals, 0 on an empty denominator', () => {
    expect(fraction(2, 3)).toBe(0.6667);
    expect(fraction(1, 0)).toBe(0);
  });
  it('visitsOf: one visit per stretch, the last ends at endedAt or never', () => {
    const v = visitsOf(scripted[2]!);
    expect(v.map((x) => [x.tier, x.end === Infinity])).toEqual([
      ['T1', false],
      ['T2', false],
      ['T1', true],
    ]);
  });
});
