import { describe, expect, it } from 'vitest';

import type { Decision, Ticket } from '../../contract/index.js';

import { currentTier, recordEvaluation, recordGone } from './escalation-metrics-history.js';
import type { MetricsHistory } from '../../store/metrics-history-store.js';
import type { RecordArgs } from './escalation-metrics-history.js';
import { businessMinutesFor } from './escalation-metrics-service.js';

const ms = (s: string) => Date.parse(s);

function ticket(over: Partial<Ticket> = {}): Ticket {
  return {
    ref: { instance: 'acme', psa: 'connectwise', id: '42' },
    title: 'Printer down',
    status: { id: '1', name: 'New', category: 'new' },
    priority: { id: '3', name: 'P3', level: 3 },
    location: {},
    tier: 'T1',
    owner: null,
    company: { id: 'c1', vip: false },
    category: [],
    createdAt: '2026-03-02T09:00:00Z',
    updatedAt: '2026-03-02T09:00:00Z',
    version: '1',
    ...over,
  };
}
const decision = (over: Partial<Decision> = {}): Decision => ({
  actions: [],
  reasons: [],
  nearMisses: [],
  clocks: {},
  nextCheckAt: null,
  ...over,
});
const realMinutes = (a: number, b: number) => (b - a) / 60_000;

interface Move {
  at: string;
  tier: string | null;
  rule: string;
  kind?: string;
  owner?: string;
  ownerIdentity?: unknown;
}

/** One evaluation; `move` is our reassign of this evaluation (the state then lists it in `escalations`). */
function rec(
  prev: MetricsHistory | undefined,
  over: Omit<Partial<RecordArgs>, 'now'> & { now: string; move?: Move; earlier?: Move[] },
): MetricsHistory {
  const { now, move, earlier = [], ...rest } = over;
  const all = [...earlier, ...(move ? [move] : [])];
  const last = all.at(-1);
  const ours = {
    escalations: all.map((m) => ({ rule: m.rule, tier: m.tier, at: m.at, ...(m.kind ? { kind: m.kind } : {}) })),
    ...(last
      ? {
          lastReassign: {
            at: last.at,
            ...(last.owner ? { owner: last.owner, ownerIdentity: last.ownerIdentity } : {}),
          },
        }
      : {}),
  };
  return recordEvaluation(prev, {
    instanceId: 'acme',
    ticket: ticket(),
    businessMinutes: realMinutes,
    ours,
    ...rest,
    now: ms(now),
  });
}

describe('recordEvaluation', () => {
  it('SLA disagreements: a run of consecutive observations beyond the tolerance, per clock; agreement closes it', () => {
    const due = (dueAt: string) => ({
      targetMinutes: 240,
      dueAt,
      elapsedMinutes: 0,
      usedPct: 0,
      breached: false,
      paused: false,
      stopped: false,
    });
    // Ours: first response due 13:00, resolution 09:00 next day. PSA: see each read.
    const clocks: Decision['clocks'] = {
      firstResponse: due('2026-03-02T13:00:00Z'),
      resolution: due('2026-03-03T09:00:00Z'),
    };
    const read = (
      prev: MetricsHistory | undefined,
      now: string,
      respondBy: string,
      resolveBy = '2026-03-03T09:03:00Z',
    ) =>
      rec(prev, {
        now,
        ticket: ticket({ psaSla: { respondBy, resolveBy } }),
        decision: decision({ clocks }),
        slaDriftToleranceMin: 5,
      });
    const h0 = read(undefined, '2026-03-02T09:05:00Z', '2026-03-02T13:05:00Z'); // 5 min: within the tolerance
    expect(h0.slaDisagreements ?? []).toEqual([]);
    const h1 = read(h0, '2026-03-02T10:00:00Z', '2026-03-02T13:30:00Z');
    const h2 = read(h1, '2026-03-02T11:00:00Z', '2026-03-02T12:00:00Z');
    expect(h2.slaDisagreements).toEqual([
      { clock: 'firstResponse', from: '2026-03-02T10:00:00.000Z', to: '2026-03-02T11:00:00.000Z' },
    ]);
    const h3 = read(h2, '2026-03-02T12:00:00Z', '2026-03-02T13:00:00Z');
    const h4 = read(h3, '2026-03-02T14:00:00Z', '2026-03-02T15:00:00Z');
    expect(h4.slaDisagreements).toEqual([
      { clock: 'firstResponse', from: '2026-03-02T10:00:00.000Z', to: '2026-03-02T11:00:00.000Z' },
      { clock: 'firstResponse', from: '2026-03-02T14:00:00.000Z', to: '2026-03-02T14:00:00.000Z' },
    ]);
    // No PSA SLA at all: nothing recorded.
    expect(
      rec(undefined, { now: '2026-03-02T09:05:00Z', decision: decision({ clocks }) }).slaDisagreements,
    ).toBeUndefined();
  });

  it('first sight: the first visit starts at createdAt in the derived tier', () => {
    const h = rec(undefined, { now: '2026-03-02T09:05:00Z' });
    expect(h).toMatchObject({
      instanceId: 'acme',
      ticketId: '42',
      createdAt: '2026-03-02T09:00:00Z',
      initialTier: 'T1',
      moves: [],
    });
  });

  it('records our move with business minutes from the tier entry and the previous owner', () => {
    const h = rec(undefined, {
      now: '2026-03-02T11:00:00Z',
      ticket: ticket({ owner: { id: 'alice' } }),
      move: {
        at: '2026-03-02T11:00:00.000Z',
        tier: 'T2',
        rule: 't1-timeout',
        kind: 'tiered',
        owner: 't2.erin',
        ownerIdentity: 'erin',
      },
    });
    expect(h.moves).toEqual([
      {
        at: '2026-03-02T11:00:00.000Z',
        from: 'T1',
        to: 'T2',
        by: 'us',
        rule: 't1-timeout',
        kind: 'tiered',
        businessMinutes: 120,
        owner: 't2.erin',
        ownerIdentity: 'erin',
        previousOwnerId: 'alice',
      },
    ]);
    expect(currentTier(h)).toBe('T2');
  });

  it('a tier change seen on a later read is a human move, dated by updatedAt within [previous read, now]', () => {
    const h0 = rec(undefined, { now: '2026-03-02T09:05:00Z' });
    const h1 = rec(h0, {
      now: '2026-03-02T12:00:00Z',
      ticket: ticket({ tier: 'T2', updatedAt: '2026-03-02T10:30:00Z' }),
    });
    expect(h1.moves).toEqual([{ at: '2026-03-02T10:30:00.000Z', from: 'T1', to: 'T2', by: 'human' }]);
    const h2 = rec(h1, {
      now: '2026-03-02T13:00:00Z',
      ticket: ticket({ tier: 'T1', updatedAt: '2026-03-01T00:00:00Z' }),
    });
    expect(h2.moves[1]).toEqual({ at: '2026-03-02T12:00:00.000Z', from: 'T2', to: 'T1', by: 'human' });
  });

  it('our own move read back is not a human move', () => {
    const move = { at: '2026-03-02T11:00:00.000Z', tier: 'T2', rule: 'r' };
    const h0 = rec(undefined, { now: '2026-03-02T11:00:00Z', move });
    const h1 = rec(h0, {
      now: '2026-03-02T11:01:00Z',
      ticket: ticket({ tier: 'T2', updatedAt: '2026-03-02T11:00:00Z' }),
      earlier: [move],
    });
    expect(h1.moves).toHaveLength(1);
  });

  it('a move of ours completed by a retry (only seen in the state afterwards) is ours, not a human one', () => {
    const h0 = rec(undefined, { now: '2026-03-02T09:05:00Z' });
    const completed = { at: '2026-03-02T11:00:00.000Z', tier: 'T2', rule: 't1-timeout', kind: 'tiered' };
    const h1 = rec(h0, {
      now: '2026-03-02T11:02:00Z',
      ticket: ticket({ tier: 'T2', updatedAt: '2026-03-02T11:00:00Z' }),
      earlier: [completed],
    });
    expect(h1.moves).toMatchObject([
      { at: '2026-03-02T11:00:00.000Z', from: 'T1', to: 'T2', by: 'us', rule: 't1-timeout', businessMinutes: 120 },
    ]);
  });

  it('handoff: the first note by the member we assigned (matched by PSA identity), not ours, not before the move', () => {
    const h0 = rec(undefined, {
      now: '2026-03-02T11:00:00Z',
      move: {
        at: '2026-03-02T11:00:00.000Z',
        tier: 'T2',
        rule: 'r',
        owner: 't2.erin',
        ownerIdentity: { resourceID: 29 },
      },
    });
    const notes = [
      { at: '2026-03-02T11:40:00Z', author: '29', internal: true, text: 'second', ours: false },
      { at: '2026-03-02T11:20:00Z', author: '29', internal: true, text: 'looking', ours: false },
      { at: '2026-03-02T11:05:00Z', author: 'api', internal: true, text: '[esc:1]', ours: true },
      { at: '2026-03-02T11:10:00Z', author: '7', internal: false, text: 'customer', ours: false },
      { at: '2026-03-02T10:00:00Z', author: '29', internal: true, text: 'before', ours: false },
    ];
    const h1 = rec(h0, {
      now: '2026-03-02T12:00:00Z',
      ticket: ticket({ tier: 'T2', recentNotes: notes, updatedAt: '2026-03-02T11:40:00Z' }),
    });
    expect(h1.moves[0]!.handoffAt).toBe('2026-03-02T11:20:00.000Z');
    const h2 = rec(h1, {
      now: '2026-03-02T13:00:00Z',
      ticket: ticket({ tier: 'T2', recentNotes: [{ ...notes[0]!, at: '2026-03-02T11:15:00Z' }] }),
    });
    expect(h2.moves[0]!.handoffAt).toBe('2026-03-02T11:20:00.000Z'); // the first one found is kept
  });

  it('handoff without an owner of ours: someone taking the ticket after the move', () => {
    const h0 = rec(undefined, {
      now: '2026-03-02T11:00:00Z',
      ticket: ticket({ owner: { id: 'alice' } }),
      move: { at: '2026-03-02T11:00:00.000Z', tier: 'T2', rule: 'r' },
    });
    const same = rec(h0, {
      now: '2026-03-02T11:30:00Z',
      ticket: ticket({ tier: 'T2', owner: { id: 'alice' }, updatedAt: '2026-03-02T11:20:00Z' }),
    });
    expect(same.moves[0]!.handoffAt).toBeUndefined();
    const taken = rec(same, {
      now: '2026-03-02T12:00:00Z',
      ticket: ticket({ tier: 'T2', owner: { id: 'bob' }, updatedAt: '2026-03-02T11:50:00Z' }),
    });
    expect(taken.moves[0]!.handoffAt).toBe('2026-03-02T11:50:00.000Z');
  });

  it('resolution ends the visit at resolvedAt; reopening clears it', () => {
    const h0 = rec(undefined, { now: '2026-03-02T09:05:00Z' });
    const resolved = ticket({
      status: { id: '9', name: 'Done', category: 'resolved' },
      resolvedAt: '2026-03-02T10:00:00Z',
      updatedAt: '2026-03-02T10:00:00Z',
    });
    const h1 = rec(h0, { now: '2026-03-02T10:01:00Z', ticket: resolved });
    expect(h1).toMatchObject({ endedAt: '2026-03-02T10:00:00Z', resolvedAt: '2026-03-02T10:00:00Z' });
    const h2 = rec(h1, {
      now: '2026-03-02T11:00:00Z',
      ticket: ticket({ status: { id: '2', name: 'Open', category: 'open' } }),
    });
    expect(h2.endedAt).toBeUndefined();
    expect(h2.resolvedAt).toBeUndefined();
  });

  it('stopped clocks are recorded once, at firstRespondedAt / resolvedAt, met unless breached', () => {
    const clock = { targetMinutes: 60, dueAt: '2026-03-02T10:00:00Z', elapsedMinutes: 10, usedPct: 16, paused: false };
    const d = decision({
      clocks: {
        firstResponse: { ...clock, breached: false, stopped: true },
        resolution: { ...clock, breached: true, stopped: false },
      },
    });
    const t = ticket({ firstRespondedAt: '2026-03-02T09:10:00Z' });
    const h1 = rec(undefined, { now: '2026-03-02T09:15:00Z', ticket: t, decision: d });
    expect(h1.clockStops).toEqual([{ clock: 'firstResponse', at: '2026-03-02T09:10:00Z', met: true }]);
    const h2 = rec(h1, { now: '2026-03-02T09:20:00Z', ticket: t, decision: d });
    expect(h2.clockStops).toHaveLength(1);
  });

  it('near misses: first per rule and visit, in the tier of the visit', () => {
    const d = decision({
      nearMisses: [{ rule: 't1-timeout', text: '', matched: { timeInTier: 110, threshold: 120 } }],
    });
    const h1 = rec(undefined, { now: '2026-03-02T10:50:00Z', decision: d });
    const h2 = rec(h1, { now: '2026-03-02T10:55:00Z', decision: d });
    expect(h2.nearMisses).toEqual([
      { at: '2026-03-02T10:50:00.000Z', tier: 'T1', rule: 't1-timeout', visitAt: '2026-03-02T09:00:00Z' },
    ]);
  });

  it('observe mode: an unsuppressed move is recorded once per visit as a proposal; enforce mode records none', () => {
    const move = {
      type: 'reassign' as const,
      rule: 't1-timeout',
      tier: 'T2',
      location: {},
      from: { tier: 'T1', owner: null },
    };
    const d = decision({ actions: [move], reasons: [{ rule: 't1-timeout', kind: 'tiered', text: '', matched: {} }] });
    const h1 = rec(undefined, { now: '2026-03-02T11:00:00Z', decision: d, mode: 'observe' });
    const h2 = rec(h1, { now: '2026-03-02T11:05:00Z', decision: d, mode: 'observe' });
    expect(h2.proposals).toEqual([{ at: '2026-03-02T11:00:00.000Z', from: 'T1', to: 'T2', rule: 't1-timeout' }]);
    expect(rec(undefined, { now: '2026-03-02T11:00:00Z', decision: d, mode: 'enforce' }).proposals).toBeUndefined();
    const suppressed = decision({
      actions: [move],
      reasons: [{ rule: 't1-timeout', kind: 'tiered', text: '', matched: {}, suppressed: 'manual_hold' }],
    });
    expect(
      rec(undefined, { now: '2026-03-02T11:00:00Z', decision: suppressed, mode: 'observe' }).proposals,
    ).toBeUndefined();
  });

  it('recordGone ends the last visit once', () => {
    const h = recordGone(rec(undefined, { now: '2026-03-02T09:05:00Z' }), ms('2026-03-02T12:00:00Z'));
    expect(h.endedAt).toBe('2026-03-02T12:00:00.000Z');
    expect(recordGone(h, ms('2026-03-03T00:00:00Z')).endedAt).toBe('2026-03-02T12:00:00.000Z');
  });
});

describe('businessMinutesFor', () => {
  const config = {
    tiers: ['T1', 'T2'],
    calendars: { business: { timezone: 'UTC', hours: { 'mon-fri': '09:00-17:00' }, holidays: [] } },
    policies: {
      standard: { calendar: 'business', sla: { P1: { firstResponse: 15, resolution: 60, calendar: 'always' } } },
    },
    instances: [{ info: { id: 'acme', policy: 'standard' } }],
  } as unknown as Parameters<typeof businessMinutesFor>[0];
  const bm = businessMinutesFor(config, 'acme');

  it('uses the policy calendar: Friday 16:00 → Monday 10:00 is 120 business minutes', () => {
    expect(bm(ticket(), ms('2026-03-06T16:00:00Z'), ms('2026-03-09T10:00:00Z'))).toBe(120);
  });
  it("uses the priority's calendar override (P1 on always)", () => {
    expect(
      bm(
        ticket({ priority: { id: '1', name: 'P1', level: 1 } }),
        ms('2026-03-06T16:00:00Z'),
        ms('2026-03-09T10:00:00Z'),
      ),
    ).toBe(66 * 60);
  });
  it('falls back to real minutes for an unknown instance', () => {
    expect(businessMinutesFor(config, 'nope')(ticket(), ms('2026-03-07T00:00:00Z'), ms('2026-03-07T01:00:00Z'))).toBe(
      60,
    );
  });
});
