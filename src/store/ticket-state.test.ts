import { describe, expect, it } from 'vitest';

import type { Decision, Ticket } from '../contract/index.js';
import type { TicketRecord } from './ticket-store.js';

import {
  actionId,
  applyDecision,
  isOlderVersion,
  markerOf,
  observeTicket,
  ownerMatches,
  toEngineState,
} from './ticket-state.js';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function ticket(over: Partial<Ticket> = {}): Ticket {
  return {
    ref: { instance: 'acme', psa: 'connectwise', id: '1' },
    title: 't',
    status: { id: 'o', name: 'Open', category: 'open' },
    priority: { id: '3', name: 'P3', level: 3 },
    location: { queue: { id: '1' } },
    tier: 'T1',
    owner: null,
    company: { id: 'c', vip: false },
    category: [],
    createdAt: iso(T0),
    updatedAt: iso(T0),
    version: iso(T0),
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

describe('isOlderVersion', () => {
  it('compares instants, numbers, and never drops on unknown formats', () => {
    expect(isOlderVersion('2026-11-24T10:00:00Z', '2026-11-24T10:00:01Z')).toBe(true);
    expect(isOlderVersion('2026-11-24T10:00:01Z', '2026-11-24T10:00:00Z')).toBe(false);
    expect(isOlderVersion('2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z')).toBe(false);
    // The same instant written with another offset is not older.
    expect(isOlderVersion('2026-11-24T05:00:00-05:00', '2026-11-24T10:00:00Z')).toBe(false);
    expect(isOlderVersion('9', '10')).toBe(true);
    expect(isOlderVersion('abc', 'abd')).toBe(false);
    expect(isOlderVersion('2026-11-24T10:00:00Z', undefined)).toBe(false);
  });
});

describe('ownerMatches', () => {
  it('recognises the member by name or by any part of its PSA identity, case-insensitively', () => {
    expect(ownerMatches({ id: '29684003' }, 't2.erin', { resourceID: 29684003, roleID: 1 })).toBe(true);
    expect(ownerMatches({ id: '7', name: 'Erin.T' }, 't2.erin', 'erin.t')).toBe(true);
    expect(ownerMatches({ id: '12' }, 't2.erin', { agent_id: 12 })).toBe(true);
    expect(ownerMatches({ id: '13' }, 't2.erin', { agent_id: 12 })).toBe(false);
    expect(ownerMatches(null, 't2.erin', undefined)).toBe(false);
  });
});

describe('observeTicket', () => {
  it('first sight: docs/spec.md defaults (tier entered and status since createdAt)', () => {
    const r = observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 + 60_000 });
    expect(r).toMatchObject({
      tier: 'T1',
      tierSince: iso(T0),
      statusCategory: 'open',
      statusHistory: [],
      fired: [],
      escalations: [],
    });
    expect(toEngineState(r, { recurringCount: 2, groupCursors: { g: 1 }, memberLoads: {} })).toMatchObject({
      tierSince: iso(T0),
      recurringCount: 2,
      groupCursors: { g: 1 },
    });
  });

  it('a tier change by a human starts a new visit at the change (updatedAt, within the last read and now)', () => {
    const first = observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 + 60_000 });
    const moved = ticket({
      tier: 'T2',
      location: { queue: { id: '2' } },
      updatedAt: iso(T0 + 120_000),
      version: iso(T0 + 120_000),
    });
    const r = observeTicket(first, { instanceId: 'acme', ticket: moved, now: T0 + 300_000 });
    expect(r.tier).toBe('T2');
    expect(r.tierSince).toBe(iso(T0 + 120_000));
    // Tickets we never moved have no hold.
    expect(r.manualChange).toBeUndefined();
  });

  it('records status changes with the category before them', () => {
    const first = observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 });
    const waiting = ticket({
      status: { id: 'w', name: 'Waiting', category: 'waiting_customer' },
      updatedAt: iso(T0 + 600_000),
    });
    const r = observeTicket(first, { instanceId: 'acme', ticket: waiting, now: T0 + 700_000 });
    expect(r.statusHistory).toEqual([
      { category: 'open', at: iso(T0) },
      { category: 'waiting_customer', at: iso(T0 + 600_000) },
    ]);
  });

  it('our own move starts the visit at our write; a later human move is a manual change, once', () => {
    const base = observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 });
    const afterMove = applyDecision(base, {
      decision: decision(),
      now: T0 + 1_000,
      appliedIds: ['a'],
      slaRules: new Set(),
      trigger: 'webhook',
      reassign: {
        rule: 't1',
        at: iso(T0 + 1_000),
        tier: 'T2',
        location: { queue: '2' },
        owner: 't2.a',
        ownerIdentity: 't2.a',
      },
    });
    const ours = ticket({
      tier: 'T2',
      location: { queue: { id: '2' } },
      owner: { id: 't2.a' },
      updatedAt: iso(T0 + 1_500),
    });
    const r1 = observeTicket(afterMove, { instanceId: 'acme', ticket: ours, now: T0 + 2_000 });
    expect(r1.tierSince).toBe(iso(T0 + 1_000));
    expect(r1.manualChange).toBeUndefined();
    const human = ticket({
      tier: 'T2',
      location: { queue: { id: '2' } },
      owner: { id: 'bob' },
      updatedAt: iso(T0 + 5_000),
    });
    const r2 = observeTicket(r1, { instanceId: 'acme', ticket: human, now: T0 + 6_000 });
    expect(r2.manualChange?.at).toBe(iso(T0 + 5_000));
    const r3 = observeTicket(r2, {
      instanceId: 'acme',
      ticket: { ...human, updatedAt: iso(T0 + 9_000) },
      now: T0 + 10_000,
    });
    expect(r3.manualChange?.at).toBe(iso(T0 + 5_000));
    expect(toEngineState(r3, { recurringCount: 0, groupCursors: {}, memberLoads: {} }).lastManualChangeAt).toBe(
      iso(T0 + 5_000),
    );
  });
});

describe('applyDecision', () => {
  const base = (): TicketRecord => observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 });

  it('records fired rules (not suppressed ones, not dead-lettered ones), escalations, tags and the next check', () => {
    const d = decision({
      actions: [{ type: 'tag', rule: 'r', tag: 'problem-candidate' }],
      reasons: [
        { rule: 'r', kind: 'hierarchical', text: '', matched: {} },
        { rule: 'held', kind: 'tiered', text: '', matched: {}, suppressed: 'manual_hold' },
        { rule: 'sla', kind: 'hierarchical', text: '', matched: {}, clocks: ['resolution'] },
        { rule: 'failed', kind: 'tiered', text: '', matched: {} },
      ],
      nextCheckAt: iso(T0 + 3_600_000),
    });
    const r = applyDecision(base(), {
      decision: d,
      now: T0 + 10,
      appliedIds: ['x'],
      slaRules: new Set(['sla']),
      trigger: 'webhook',
      failedRules: new Set(['failed']),
    });
    expect(r.fired).toEqual([
      { rule: 'r', at: iso(T0 + 10), tier: 'T1' },
      { rule: 'sla', at: iso(T0 + 10), tier: 'T1', clocks: ['resolution'] },
    ]);
    expect(r.tags).toEqual(['problem-candidate']);
    expect(r.nextCheckAt).toBe(iso(T0 + 3_600_000));
    expect(r.appliedActionIds).toEqual(['x']);
    expect(r.escalations).toEqual([]);
  });
});

describe('action ids and markers', () => {
  it('are deterministic per instance, ticket, rule, tier visit and action', () => {
    const r = { instanceId: 'acme', ticketId: '1', tierSince: iso(T0) };
    const note = { type: 'note' as const, rule: 't1', visibility: 'internal' as const, template: 'handoff', text: 'x' };
    expect(actionId(r, note)).toBe(actionId(r, { ...note, text: 'different text' }));
    expect(actionId(r, note)).not.toBe(actionId({ ...r, tierSince: iso(T0 + 1) }, note));
    expect(actionId(r, note)).not.toBe(actionId(r, { ...note, visibility: 'customer' }));
    expect(markerOf(actionId(r, note))).toMatch(/^\[esc:[0-9a-f]{8}\]$/);
  });
});

describe('our move starts a visit', () => {
  it('a human moving the ticket back after our reassign is a new visit, not the old one going on', () => {
    const seen = observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 + 60_000 });
    const movedAt = iso(T0 + 2 * 3_600_000);
    const after = applyDecision(seen, {
      decision: decision({ reasons: [{ rule: 't1-timeout', kind: 'tiered', text: 'x', matched: {} }] }),
      now: T0 + 2 * 3_600_000,
      appliedIds: [],
      slaRules: new Set(),
      trigger: 'scheduled',
      reassign: { rule: 't1-timeout', at: movedAt, tier: 'T2', location: { queue: '2' } },
    });
    // The rule fired in the T1 visit; the record now stands in T2 from our move.
    expect(after.fired).toEqual([{ rule: 't1-timeout', at: movedAt, tier: 'T1' }]);
    expect(after).toMatchObject({ tier: 'T2', tierSince: movedAt });
    // Our echo (T2) changes nothing; the human's move back to T1 an hour later opens a new T1 visit.
    const echo = observeTicket(after, {
      instanceId: 'acme',
      ticket: ticket({ tier: 'T2', location: { queue: { id: '2' } }, updatedAt: movedAt }),
      now: T0 + 2 * 3_600_000 + 1_000,
    });
    expect(echo).toMatchObject({ tier: 'T2', tierSince: movedAt });
    const backAt = iso(T0 + 3 * 3_600_000);
    const back = observeTicket(echo, {
      instanceId: 'acme',
      ticket: ticket({ updatedAt: backAt }),
      now: T0 + 3 * 3_600_000 + 5_000,
    });
    expect(back).toMatchObject({ tier: 'T1', tierSince: backAt, manualChange: { at: backAt } });
  });
});

describe('follow-through state (issue 17)', () => {
  const counters = { recurringCount: 0, groupCursors: {}, memberLoads: {} };

  it('records the promise of our customer note and hands it to the engine', () => {
    const first = observeTicket(undefined, { instanceId: 'acme', ticket: ticket(), now: T0 });
    const note = {
      type: 'note' as const,
      rule: 'sla-breach',
      visibility: 'customer' as const,
      template: 'customer',
      text: 'Next update by …',
      promisedUpdateBy: '2026-11-25T10:00:00Z',
    };
    const applied = applyDecision(first, {
      decision: decision({ actions: [note] }),
      now: T0 + 60_000,
      appliedIds: [],
      slaRules: new Set(),
      trigger: 't',
    });
    expect(applied.updatePromise).toEqual({ madeAt: iso(T0 + 60_000), by: '2026-11-25T10:00:00Z' });
    expect(toEngineState(applied, counters).updatePromise).toEqual(applied.updatePromise);
    // A dead-lettered note promised nothing.
    const failed = applyDecision(first, {
      decision: decision({ actions: [note] }),
      now: T0,
      appliedIds: [],
      slaRules: new Set(),
      trigger: 't',
      failedRules: new Set(['sla-breach']),
    });
    expect(failed.updatePromise).toBeUndefined();
  });

  it('a status change by the owner we assigned after our move is owner activity; before it, or by another owner, is not', () => {
    const base = observeTicket(undefined, {
      instanceId: 'acme',
      ticket: ticket({ tier: 'T2', owner: { id: '7', name: 'erin' } }),
      now: T0,
    });
    const moved: TicketRecord = {
      ...base,
      lastReassign: { rule: 'r', at: iso(T0), tier: 'T2', location: { queue: 2 }, owner: 'erin' },
    };
    const changed = (owner: Ticket['owner'], at: number) =>
      observeTicket(moved, {
        instanceId: 'acme',
        ticket: ticket({
          tier: 'T2',
          owner,
          status: { id: 'w', name: 'Working', category: 'scheduled' },
          updatedAt: iso(at),
        }),
        now: at,
      });
    expect(changed({ id: '7', name: 'erin' }, T0 + 29 * 60_000).ownerActivityAt).toBe(iso(T0 + 29 * 60_000));
    expect(toEngineState(changed({ id: '7', name: 'erin' }, T0 + 60_000), counters).ownerActivityAt).toBe(
      iso(T0 + 60_000),
    );
    expect(changed({ id: '8', name: 'frank' }, T0 + 60_000).ownerActivityAt).toBeUndefined();
    expect(
      observeTicket(base, {
        instanceId: 'acme',
        ticket: ticket({ status: { id: 'w', name: 'W', category: 'scheduled' } }),
        now: T0 + 1,
      }).ownerActivityAt,
    ).toBeUndefined();
  });
});
