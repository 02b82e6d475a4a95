import { describe, expect, it } from 'vitest';

import { loadExample } from '../engine/__fixtures__/example-policy.js';
import type { Ticket } from '../contract/index.js';

import { CrossTicketBuilder } from './cross-ticket.js';
import { simPolicy, simulateTimeline } from './simulate.js';
import type { SimDecision } from './simulate.js';
import { parseTimelineLine } from './timeline.js';
import type { Timeline } from './timeline.js';

// Issue 15 "Must show" 2: hand-built timelines with known answers, replayed with the example policy
// (examples/escalator.yaml, instance acme-cw: calendar `business` = America/New_York Mon–Fri 08–18, Sat 09–13,
// holiday 2026-11-26; T1 = board 1 / team 3).

const example = loadExample();
const sim = simPolicy('acme-cw', example.compile('acme-cw'));

type Patch = Partial<Omit<Ticket, 'status' | 'priority' | 'owner'>> & {
  status?: string;
  priority?: string;
  owner?: string | null;
};

/** One JSONL line as a producer writes it (lenient ticket shorthands), parsed through the real line parser. */
function timeline(id: string, base: Patch, steps: [string, Patch][]): Timeline {
  let cur: Record<string, unknown> = {
    ref: { psa: 'connectwise', id },
    title: 'Printer offline',
    status: 'open',
    priority: 'P3',
    company: { id: '19', name: 'Acme', vip: false },
    location: { queue: { id: '1' }, team: { id: '3' } },
    owner: 't1.sam',
    category: ['Hardware', 'Printer'],
    ...base,
  };
  const snapshots = steps.map(([at, patch]) => {
    cur = { ...cur, ...patch, updatedAt: at };
    return { at, ticket: cur };
  });
  const parsed = parseTimelineLine(JSON.stringify({ instance: 'acme-cw', snapshots }), 1);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function run(...timelines: Timeline[]): SimDecision[][] {
  const b = new CrossTicketBuilder(sim.facts, sim.compiled.instance.members);
  for (const t of timelines) b.add(t);
  const cross = b.build();
  return timelines.map((t) => simulateTimeline(t, sim, cross).decisions);
}

/** The comparable part of a decision: instant, rule, and the move's tier/group/owner. */
function summary(d: SimDecision) {
  const move = d.actions.find((a) => a.type === 'reassign');
  return {
    at: d.at,
    rule: d.rule,
    ...(move?.type === 'reassign' ? { tier: move.tier, group: move.group, owner: move.owner } : {}),
    actions: d.actions.map((a) => a.type).sort(),
  };
}

describe('backtest simulation: hand-built timelines with known answers', () => {
  it('T1 timeout across a weekend: Sat 12:30 → 30 min Saturday + 90 min Monday = Mon 09:30 New York', () => {
    const t = timeline(
      'w1',
      { createdAt: '2026-11-28T17:30:00Z', firstRespondedAt: '2026-11-28T17:30:00Z', priority: 'P4' },
      [
        ['2026-11-28T17:30:00Z', {}],
        ['2026-11-30T19:00:00Z', { status: 'resolved', resolvedAt: '2026-11-30T19:00:00Z' }],
      ],
    );
    expect(run(t)[0]!.map(summary)).toEqual([
      {
        at: '2026-11-30T14:30:00.000Z',
        rule: 't1-timeout',
        tier: 'T2',
        group: 'tier2',
        owner: 't2.erin',
        actions: ['note', 'reassign'],
      },
    ]);
  });

  it('T1 timeout across the Thanksgiving holiday: Wed 17:30 → 30 min Wednesday + 90 min Friday = Fri 09:30', () => {
    const t = timeline(
      'h1',
      { createdAt: '2026-11-25T22:30:00Z', firstRespondedAt: '2026-11-25T22:30:00Z', priority: 'P4' },
      [
        ['2026-11-25T22:30:00Z', {}],
        ['2026-11-27T17:00:00Z', { status: 'resolved', resolvedAt: '2026-11-27T17:00:00Z' }],
      ],
    );
    expect(run(t)[0]!.map(summary)).toEqual([
      {
        at: '2026-11-27T14:30:00.000Z',
        rule: 't1-timeout',
        tier: 'T2',
        group: 'tier2',
        owner: 't2.erin',
        actions: ['note', 'reassign'],
      },
    ]);
  });

  it('a pause (waiting on the customer 09:30–10:30) pushes the 2 h timeout from 11:00 to 12:00', () => {
    const t = timeline('p1', { createdAt: '2026-11-24T14:00:00Z', firstRespondedAt: '2026-11-24T14:00:00Z' }, [
      ['2026-11-24T14:00:00Z', {}],
      ['2026-11-24T14:30:00Z', { status: 'waiting_customer' }],
      ['2026-11-24T15:30:00Z', { status: 'open' }],
      ['2026-11-24T18:00:00Z', { status: 'resolved', resolvedAt: '2026-11-24T18:00:00Z' }],
    ]);
    expect(run(t)[0]!.map(summary)).toEqual([
      {
        at: '2026-11-24T17:00:00.000Z',
        rule: 't1-timeout',
        tier: 'T2',
        group: 'tier2',
        owner: 't2.erin',
        actions: ['note', 'reassign'],
      },
    ]);
  });

  it('a VIP goes to T2 after 30 min, and the moved ticket is not moved again by the T1 timeout', () => {
    const t = timeline(
      'v1',
      {
        createdAt: '2026-11-24T14:00:00Z',
        firstRespondedAt: '2026-11-24T14:00:00Z',
        company: { id: '7', name: 'HQ', vip: true },
      },
      [
        ['2026-11-24T14:00:00Z', {}],
        ['2026-11-24T17:30:00Z', { status: 'resolved', resolvedAt: '2026-11-24T17:30:00Z' }],
      ],
    );
    expect(run(t)[0]!.map(summary)).toEqual([
      {
        at: '2026-11-24T14:30:00.000Z',
        rule: 'vip-fast-lane',
        tier: 'T2',
        group: 'tier2',
        owner: 't2.erin',
        actions: ['note', 'notify', 'reassign'],
      },
    ]);
  });
});

describe('backtest simulation: priorities, resolutions and people', () => {
  it('an emergency at creation goes to T3 security at once, with P1, the handoff note and both notifiers', () => {
    const t = timeline(
      'e1',
      {
        createdAt: '2026-11-24T14:00:00Z',
        firstRespondedAt: '2026-11-24T14:00:00Z',
        title: 'Ransomware note on FINANCE-PC07',
      },
      [
        ['2026-11-24T14:00:00Z', {}],
        ['2026-11-24T15:00:00Z', { status: 'resolved', resolvedAt: '2026-11-24T15:00:00Z' }],
      ],
    );
    expect(run(t)[0]!.map(summary)).toEqual([
      {
        at: '2026-11-24T14:00:00.000Z',
        rule: 'emergency-security',
        tier: 'T3',
        group: 'security',
        owner: 'sec.carol',
        actions: ['note', 'notify', 'notify', 'priority', 'reassign'],
      },
    ]);
  });

  it('a ticket resolved before its timeout: no decision', () => {
    const t = timeline('r1', { createdAt: '2026-11-24T14:00:00Z', firstRespondedAt: '2026-11-24T14:00:00Z' }, [
      ['2026-11-24T14:00:00Z', {}],
      ['2026-11-24T15:59:00Z', { status: 'resolved', resolvedAt: '2026-11-24T15:59:00Z' }],
    ]);
    expect(run(t)[0]).toEqual([]);
  });

  it('a person moving the ticket back after our move holds the rules for respectManualChangesFor (4 h)', () => {
    const t = timeline(
      'm1',
      { createdAt: '2026-11-24T14:00:00Z', firstRespondedAt: '2026-11-24T14:00:00Z', usersAffected: 2 },
      [
        ['2026-11-24T14:00:00Z', {}],
        // Our (simulated) move to T2 at 14:00; the real history shows a person giving it to Kim on T1 at 14:20.
        ['2026-11-24T14:20:00Z', { owner: 't1.kim' }],
        ['2026-11-24T20:00:00Z', { status: 'resolved', resolvedAt: '2026-11-24T20:00:00Z' }],
      ],
    );
    expect(run(t)[0]!.map(summary)).toEqual([
      {
        at: '2026-11-24T14:00:00.000Z',
        rule: 'complexity-multi-user',
        tier: 'T2',
        group: 'tier2',
        owner: 't2.erin',
        actions: ['note', 'reassign'],
      },
      // Held until 18:20 (14:20 + 4 h): t1-timeout (due 16:20) and the multi-user rule wait; the first listed wins.
      {
        at: '2026-11-24T18:20:00.000Z',
        rule: 'complexity-multi-user',
        tier: 'T2',
        group: 'tier2',
        owner: 't2.erin',
        actions: ['note', 'reassign'],
      },
    ]);
  });

  it('is deterministic: the same input gives the same output', () => {
    const make = () =>
      timeline('d1', { createdAt: '2026-11-24T14:00:00Z' }, [
        ['2026-11-24T14:00:00Z', {}],
        ['2026-11-25T14:00:00Z', {}],
      ]);
    expect(JSON.stringify(run(make()))).toBe(JSON.stringify(run(make())));
  });
});

describe('backtest simulation without note texts (tickets whose decisions the report does not show)', () => {
  it('decides exactly the same, only the note texts are left empty', () => {
    const t = timeline(
      'n1',
      { createdAt: '2026-11-24T14:00:00Z', firstRespondedAt: '2026-11-24T14:00:00Z', usersAffected: 2 },
      [
        ['2026-11-24T14:00:00Z', {}],
        ['2026-11-24T14:20:00Z', { owner: 't1.kim' }],
        ['2026-11-25T20:00:00Z', { status: 'resolved', resolvedAt: '2026-11-25T20:00:00Z' }],
      ],
    );
    const b = new CrossTicketBuilder(sim.facts, sim.compiled.instance.members);
    b.add(t);
    const cross = b.build();
    const full = simulateTimeline(t, sim, cross);
    const bare = simulateTimeline(t, sim, cross, false);
    const noteTexts = (o: typeof full) =>
      o.decisions.flatMap((d) => d.actions.flatMap((a) => (a.type === 'note' ? [a.text] : [])));
    expect(noteTexts(full).length).toBeGreaterThan(0);
    expect(noteTexts(full).every((x) => x !== '')).toBe(true);
    expect(noteTexts(bare).every((x) => x === '')).toBe(true);
    const blank = (o: typeof full) => ({
      ...o,
      decisions: o.decisions.map((d) => ({
        ...d,
        actions: d.actions.map((a) => (a.type === 'note' ? { ...a, text: '' } : a)),
      })),
    });
    expect(bare).toEqual(blank(full));
  });
});
