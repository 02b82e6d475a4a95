import { describe, expect, it } from 'vitest';

import type { Decision, Ticket, TicketState } from '../contract/index.js';
import { reasonRules, reassignOf, run } from './__fixtures__/decision-helpers.js';
import { loadExample } from './__fixtures__/example-policy.js';

/**
 * nextCheckAt: the earliest instant after `now` at which the Decision could change with the ticket unchanged.
 * For each case: evaluating at nextCheckAt fires the rule; one minute before does not.
 */

const acme = loadExample().compile('acme-cw');
const T2 = { queue: { id: '1' }, team: { id: '4' } };
const P1 = { id: '4', name: 'Priority 1', level: 1 as const };
const P2 = { id: '5', name: 'Priority 2', level: 2 as const };
const minuteBefore = (iso: string): string => new Date(Date.parse(iso) - 60_000).toISOString();

interface Case {
  name: string;
  ticket?: Partial<Ticket>;
  state?: TicketState;
  now: string;
  next: string;
  rule: string;
}

const cases: Case[] = [
  {
    name: 't1-timeout at 2 business hours',
    now: '2026-11-24T14:30:00Z',
    next: '2026-11-24T16:00:00Z',
    rule: 't1-timeout',
  },
  {
    name: 't1-timeout across the night',
    ticket: { createdAt: '2026-11-24T22:00:00Z' },
    now: '2026-11-24T22:30:00Z',
    next: '2026-11-25T14:00:00Z',
    rule: 't1-timeout',
  },
  {
    name: 't1-timeout across a weekend (Friday 17:00 → Saturday 10:00 local)',
    ticket: { createdAt: '2026-11-27T22:00:00Z' },
    now: '2026-11-27T22:10:00Z',
    next: '2026-11-28T15:00:00Z',
    rule: 't1-timeout',
  },
  {
    name: 't1-timeout after a paused hour (waiting on the customer 09:10–10:10 local)',
    state: {
      statusHistory: [
        { category: 'waiting_customer', at: '2026-11-24T14:10:00Z' },
        { category: 'open', at: '2026-11-24T15:10:00Z' },
      ],
    },
    now: '2026-11-24T15:30:00Z',
    next: '2026-11-24T17:00:00Z',
    rule: 't1-timeout',
  },
  {
    name: 'vip-fast-lane at 30 business minutes',
    ticket: { company: { id: '9', name: 'HQCorp', vip: true } },
    now: '2026-11-24T14:05:00Z',
    next: '2026-11-24T14:30:00Z',
    rule: 'vip-fast-lane',
  },
  {
    name: 'orphan at 30 business minutes (created before opening)',
    ticket: { owner: null, createdAt: '2026-11-24T11:00:00Z' },
    now: '2026-11-24T12:00:00Z',
    next: '2026-11-24T13:30:00Z',
    rule: 'orphan',
  },
  {
    name: 'sla-risk at 80 % of a P2 resolution',
    ticket: { location: T2, priority: P2, firstRespondedAt: '2026-11-24T14:30:00Z' },
    now: '2026-11-24T15:00:00Z',
    next: '2026-11-24T20:24:00Z',
    rule: 'sla-risk',
  },
  {
    name: 'after-hours-p1 when business hours end (18:00 local)',
    ticket: { location: T2, priority: P1, createdAt: '2026-11-24T20:00:00Z', firstRespondedAt: '2026-11-24T20:05:00Z' },
    state: { tierSince: '2026-11-24T20:00:00Z' },
    now: '2026-11-24T20:10:00Z',
    next: '2026-11-24T23:00:00Z',
    rule: 'after-hours-p1',
  },
  {
    name: 'sla-breach when the first-response clock runs out',
    ticket: { priority: P2 },
    state: { fired: [{ rule: 't1-timeout', at: '2026-11-24T14:00:00Z', tier: 'T1' }] },
    now: '2026-11-24T14:30:00Z',
    next: '2026-11-24T15:00:00Z',
    rule: 'sla-breach',
  },
];

describe('nextCheckAt', () => {
  it.each(cases)('$name', (c) => {
    const d = run(acme, { ticket: c.ticket, state: c.state, now: c.now });
    expect(reasonRules(d)).not.toContain(c.rule);
    expect(d.nextCheckAt).toBe(c.next);
    expect(reasonRules(run(acme, { ticket: c.ticket, state: c.state, now: minuteBefore(c.next) }))).not.toContain(
      c.rule,
    );
    expect(reasonRules(run(acme, { ticket: c.ticket, state: c.state, now: c.next }))).toContain(c.rule);
  });

  it('is null while every clock and timer is paused', () => {
    const d = run(acme, {
      ticket: { status: { id: '4', name: 'Waiting Customer', category: 'waiting_customer' } },
      now: '2026-11-24T15:00:00Z',
    });
    expect(d.clocks.resolution?.paused).toBe(true);
    expect(d.nextCheckAt).toBeNull();
  });

  it('is null for resolved tickets', () => {
    const d = run(acme, {
      ticket: { status: { id: '8', name: 'Resolved', category: 'resolved' }, resolvedAt: '2026-11-24T14:30:00Z' },
      now: '2026-11-24T15:00:00Z',
    });
    expect(d.nextCheckAt).toBeNull();
  });

  it('includes a running clock’s dueAt even when no rule waits for it', () => {
    const fired = [
      { rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' },
      { rule: 'sla-risk', at: '2026-11-24T16:00:00Z', tier: 'T1', clocks: ['resolution' as const] },
      {
        rule: 'sla-breach',
        at: '2026-11-24T16:00:00Z',
        tier: 'T1',
        clocks: ['firstResponse' as const, 'resolution' as const],
      },
    ];
    const d = run(acme, {
      ticket: { firstRespondedAt: '2026-11-24T14:10:00Z' },
      state: { fired },
      now: '2026-11-24T16:30:00Z',
    });
    expect(d.nextCheckAt).toBe('2026-11-27T18:00:00Z'); // 1,440 business minutes: Tue, Wed, (Thanksgiving), Fri
    expect(d.clocks.resolution?.dueAt).toBe('2026-11-27T18:00:00Z');
  });

  it('points at the hold end when a hold suppresses the winning move', () => {
    const d = run(acme, {
      ticket: { firstRespondedAt: '2026-11-24T14:10:00Z' },
      state: { lastManualChangeAt: '2026-11-24T15:30:00Z' },
      now: '2026-11-24T16:30:00Z',
    });
    expect(d.reasons[0]).toMatchObject({ rule: 't1-timeout', suppressed: 'manual_hold' });
    expect(d.nextCheckAt).toBe('2026-11-24T19:30:00Z');
    expect(
      reassignOf(
        run(acme, {
          ticket: { firstRespondedAt: '2026-11-24T14:10:00Z' },
          state: { lastManualChangeAt: '2026-11-24T15:30:00Z' },
          now: '2026-11-24T19:30:00Z',
        }),
      )?.rule,
    ).toBe('t1-timeout');
  });
});

/** What a check at another instant could observe changing: matches, actions and breach flags. */
function observable(d: Decision): string {
  return JSON.stringify({
    reasons: d.reasons.map((r) => [r.rule, r.suppressed]),
    actions: d.actions.map((a) => [a.type, a.rule]),
    breached: [d.clocks.firstResponse?.breached, d.clocks.resolution?.breached],
  });
}

describe('nextCheckAt is the earliest change', () => {
  const tickets: Partial<Ticket>[] = [
    {},
    { company: { id: '9', name: 'HQCorp', vip: true } },
    { owner: null, createdAt: '2026-11-24T21:30:00Z' },
    { location: T2, priority: P2 },
    { location: T2, priority: P1, createdAt: '2026-11-24T21:00:00Z' },
    { status: { id: '4', name: 'Waiting Customer', category: 'waiting_customer' }, owner: null },
  ];
  const nows = [
    '2026-11-24T14:01:00Z',
    '2026-11-24T19:00:00Z',
    '2026-11-24T22:45:00Z',
    '2026-11-25T03:00:00Z',
    '2026-11-28T12:00:00Z',
  ];

  it.each(tickets.flatMap((ticket, i) => nows.map((now) => ({ i, ticket, now }))))(
    'ticket $i at $now',
    ({ ticket, now }) => {
      if (Date.parse(now) < Date.parse(ticket.createdAt ?? '2026-11-24T14:00:00Z')) return;
      const d = run(acme, { ticket, now });
      if (d.nextCheckAt === null) return;
      const t0 = Date.parse(now);
      const t1 = Date.parse(d.nextCheckAt);
      expect(t1).toBeGreaterThan(t0);
      const before = observable(d);
      for (const k of [1, 2, 3]) {
        const mid = new Date(t0 + ((t1 - t0) * k) / 4 - 1).toISOString();
        expect(observable(run(acme, { ticket, now: mid }))).toBe(before);
      }
      expect(observable(run(acme, { ticket, now: d.nextCheckAt }))).not.toBe(before);
    },
  );
});
