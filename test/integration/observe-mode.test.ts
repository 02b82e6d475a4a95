import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuditEntry } from '../../src/store/models.js';

import { startHarness } from './metrics-harness.js';
import type { Harness } from './metrics-harness.js';

// docs/spec.md §5 "Observe mode" end to end through the real service against the fake ConnectWise: decisions are stored
// with "mode":"observe" and every result "proposed"; nothing is written to the PSA and no notifier is called;
// a proposal uses up its rule for the visit but not the daily limit (maxAutoEscalationsPerDay: 1 here).

let h: Harness;
const writesFor = (id: number) => h.fake.writes().filter((r) => r.path.includes(`/service/tickets/${id}`));
const entries = async () => (await h.api<{ items: AuditEntry[] }>('/api/escalations?instance=acme-cw')).body.items;

beforeAll(async () => {
  h = await startHarness('observe');
});
afterAll(async () => {
  await h?.close();
});

describe('observe mode through the real service', () => {
  it('records the decision as proposed, writes nothing to the PSA and calls no notifier', async () => {
    h.t1Ticket(3001);
    const since = Date.now();
    expect(await h.deliver(3001)).toBe(202);
    await h.evaluated(3001, since);
    const items = await entries();
    expect(items).toHaveLength(1);
    const entry = items[0]!;
    expect(entry).toMatchObject({ instanceId: 'acme-cw', psa: 'connectwise', ticketId: '3001', mode: 'observe' });
    expect(entry.decision.actions.map((a) => a.type)).toEqual(['reassign', 'note', 'notify']);
    expect(entry.results.map((r) => r.status)).toEqual(['proposed', 'proposed', 'proposed']);
    expect(entry.decision.reasons).toEqual([
      expect.objectContaining({
        rule: 't1-timeout',
        kind: 'tiered',
        matched: expect.objectContaining({ threshold: 120 }),
      }),
    ]);
    expect(entry.decision.reasons[0]!.matched['timeInTier']).toBeGreaterThanOrEqual(180);
    expect(writesFor(3001)).toEqual([]);
    expect(h.notified).toEqual([]);
    expect(h.fake.tickets.get(3001)).toMatchObject({
      board: { id: 1 },
      team: { id: 3 },
      owner: { identifier: 'jsmith' },
    });
  });

  it('a proposal counts for once-per-visit: the next event in the same visit proposes nothing new', async () => {
    const since = Date.now();
    expect(await h.deliver(3001)).toBe(202);
    await h.evaluated(3001, since);
    expect(await entries()).toHaveLength(1);
    const record = await h.running.stores.tickets.get('acme-cw', '3001');
    expect(record?.fired.map((f) => f.rule)).toEqual(['t1-timeout']);
    // …but not for the daily limit: no reassign of ours is on record.
    expect(record?.escalations).toEqual([]);
  });

  it('a proposal does not count for the daily limit: a new visit proposes again, unsuppressed', async () => {
    const t = h.fake.tickets.get(3001)!;
    Object.assign(t, {
      board: { id: 5, name: 'Network' },
      team: { id: 9, name: 'Network Team' },
      status: { id: 51, name: 'In Progress' },
    });
    t._info = { ...t._info, lastUpdated: h.fake.stamp(), updatedBy: 'jsmith' };
    const since = Date.now();
    expect(await h.deliver(3001)).toBe(202);
    await h.evaluated(3001, since);
    const items = await entries();
    expect(items).toHaveLength(2);
    const second = items[0]!; // newest first
    expect(second.mode).toBe('observe');
    expect(second.decision.reasons).toEqual([expect.objectContaining({ rule: 't2-aged', kind: 'hierarchical' })]);
    expect(second.decision.reasons[0]!.suppressed).toBeUndefined();
    expect(second.decision.actions.find((a) => a.type === 'reassign')).toMatchObject({ tier: 'T3' });
    expect(second.results.every((r) => r.status === 'proposed')).toBe(true);
    expect(writesFor(3001)).toEqual([]);
    expect(h.notified).toEqual([]);
  });

  it('metrics see the human move but no escalation by us', async () => {
    const { status, body } = await h.api<{ tiers: Record<string, { tickets: number; escalated: number }> }>(
      '/api/metrics/escalations?instance=acme-cw',
    );
    expect(status).toBe(200);
    expect(body.tiers['T1']).toMatchObject({ tickets: 1, escalated: 0, proposed: 1, proposedRate: 1 });
    expect(body.tiers['T2']).toMatchObject({ tickets: 1, escalated: 0 });
  });
});
