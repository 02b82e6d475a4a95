import { describe, expect, it } from 'vitest';

import { PolicySchema, recurringKey } from '../contract/index.js';
import type { Ticket } from '../contract/index.js';
import { cwTicket } from '../engine/__fixtures__/example-policy.js';
import type { CountersStore } from './counters-store.js';

import { policyFacts, readCounters } from './ticket-counters.js';

const H = 3_600_000;
const DAY = 24 * H;

/** The counters store's recurring sets in memory: signature → ticket id → createdAt. */
class MemoryRecurring {
  readonly sets = new Map<string, Map<string, number>>();
  readonly store = {
    recordRecurring: async (
      _i: string,
      sig: string,
      t: { id: string; createdAtMs: number },
      w: { keepSinceMs: number },
    ) => {
      const set = this.sets.get(sig) ?? new Map<string, number>();
      set.set(t.id, t.createdAtMs);
      for (const [k, at] of set) if (at < w.keepSinceMs) set.delete(k);
      this.sets.set(sig, set);
    },
    countRecurring: async (_i: string, sig: string, from: number, to: number) =>
      [...(this.sets.get(sig)?.values() ?? [])].filter((at) => at >= from && at <= to).length,
    groupCursors: async () => ({}),
    memberLoads: async () => ({}),
  } as unknown as CountersStore;
}

const policy = PolicySchema.parse({
  calendar: 'business',
  sla: {
    P1: { firstResponse: '15m', resolution: '4h' },
    P2: { firstResponse: '1h', resolution: '8h' },
    P3: { firstResponse: '4h', resolution: '3d' },
    P4: { firstResponse: '1d', resolution: '10d' },
  },
  rules: [
    {
      id: 'day',
      kind: 'functional',
      when: { recurring: { count: 3, within: '24h', same: ['company', 'category'] } },
      then: { tag: 'x' },
    },
    {
      id: 'day-again',
      kind: 'functional',
      when: { any: [{ recurring: { count: 4, within: '24h', same: ['category', 'company'] } }] },
      then: { tag: 'y' },
    },
    {
      id: 'week',
      kind: 'functional',
      when: { recurring: { count: 5, within: '7d', same: ['company'] } },
      then: { tag: 'z' },
    },
    {
      id: 'hour',
      kind: 'functional',
      when: { recurring: { count: 2, within: '1h', same: ['company'] } },
      then: { tag: 'w' },
    },
  ],
});

describe('recurring windows in the pipeline', () => {
  const facts = policyFacts(policy, {});
  const day = recurringKey(DAY, ['company', 'category']);
  const week = recurringKey(7 * DAY, ['company']);
  const hour = recurringKey(H, ['company']);

  it('lists each distinct window once, and keeps a shared set of tickets as long as its longest window needs', () => {
    expect(facts.recurring.map((r) => r.key)).toEqual([day, week, hour]);
    expect(facts.recurring.find((r) => r.key === hour)!.keepMs).toBe(7 * DAY);
    expect(facts.recurring.find((r) => r.key === day)!.keepMs).toBe(DAY);
  });

  it('counts every window on its own; recurringCount is the first window', async () => {
    const mem = new MemoryRecurring();
    const now = Date.parse('2026-11-24T12:00:00Z');
    const ticket = (id: string, createdMs: number, category = ['Network', 'Firewall']): Ticket =>
      cwTicket({
        ref: { instance: 'acme-cw', psa: 'connectwise', id },
        createdAt: new Date(createdMs).toISOString(),
        category,
      });
    // Same company: 2 days ago, 3 days ago (other category), 10 min ago, and the current one now.
    for (const t of [
      ticket('1', now - 2 * DAY),
      ticket('2', now - 3 * DAY, ['Email']),
      ticket('3', now - 10 * 60_000),
    ]) {
      await readCounters({ store: mem.store, facts, instanceId: 'acme-cw', ticket: t, now: Date.parse(t.createdAt) });
    }
    const counters = await readCounters({
      store: mem.store,
      facts,
      instanceId: 'acme-cw',
      ticket: ticket('4', now),
      now,
    });
    expect(counters.recurringCounts).toEqual({ [day]: 2, [week]: 4, [hour]: 2 });
    expect(counters.recurringCount).toBe(2);
  });
});
