import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { Decision } from '../../src/contract/index.js';
import { SharedRateLimiter } from '../../src/pipeline/outbound/rate-limiter.js';
import type { AuditEntry } from '../../src/store/models.js';
import { AuditStore, newAuditId } from '../../src/store/audit-store.js';
import { CountersStore } from '../../src/store/counters-store.js';
import { createKeys } from '../../src/store/keys.js';
import { tryLock } from '../../src/store/lock.js';
import { ScheduleStore } from '../../src/store/schedule-store.js';
import { RedisSharedCache } from '../../src/store/shared-cache.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/test-pipeline.js';

let redis: TestRedis;
let client: Redis;
const keys = createKeys();

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterEach(async () => {
  await client.flushall();
});
afterAll(async () => {
  client.disconnect();
  await redis.close();
});

const withAction = (rule: string): Decision => ({
  actions: [{ type: 'notify', rule, notifier: 'managers' }],
  reasons: [{ rule, kind: 'hierarchical', text: '', matched: {} }],
  nearMisses: [],
  clocks: {},
  nextCheckAt: null,
});

function entry(at: number, instanceId: string, rule: string, ticketId = 't'): AuditEntry {
  return {
    id: newAuditId(at),
    at: new Date(at).toISOString(),
    instanceId,
    psa: 'halo',
    ticketId,
    mode: 'enforce',
    decision: withAction(rule),
    results: [],
  };
}

describe('AuditStore', () => {
  it('pages newest first with a cursor, filters by instance, rule and since', async () => {
    const audit = new AuditStore(client, keys);
    const base = Date.now() - 100_000;
    const all: AuditEntry[] = [];
    for (let i = 0; i < 25; i++) {
      const e = entry(base + Math.floor(i / 2) * 1_000, i % 2 ? 'a' : 'b', i % 3 ? 'r1' : 'r2');
      all.push(e);
      await audit.record(e);
    }
    const expected = [...all].sort((x, y) => (x.id < y.id ? 1 : -1)).map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await audit.query({ limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(expected);
    const onlyA = await audit.query({ limit: 500, instance: 'a' });
    expect(onlyA.items.every((e) => e.instanceId === 'a')).toBe(true);
    expect(onlyA.items).toHaveLength(all.filter((e) => e.instanceId === 'a').length);
    const r2inB = await audit.query({ limit: 500, instance: 'b', rule: 'r2' });
    expect(r2inB.items.map((e) => e.id).sort()).toEqual(
      all
        .filter((e) => e.instanceId === 'b' && e.decision.actions[0]!.rule === 'r2')
        .map((e) => e.id)
        .sort(),
    );
    const recent = await audit.query({ limit: 500, since: new Date(base + 10_000).toISOString() });
    expect(recent.items.every((e) => Date.parse(e.at) >= base + 10_000)).toBe(true);
    expect(recent.items.length).toBeGreaterThan(0);
  });

  it('keeps events without actions out of /api/escalations but in the ticket history', async () => {
    const audit = new AuditStore(client, keys);
    const gone: AuditEntry = {
      ...entry(Date.now(), 'a', 'x', 'g1'),
      decision: { ...withAction('x'), actions: [], reasons: [] },
      event: 'ticket_gone',
    };
    await audit.record(gone);
    expect((await audit.query({ limit: 50 })).items).toHaveLength(0);
    expect(await audit.forTicket('a', 'g1')).toHaveLength(1);
  });
});

describe('SharedRateLimiter', () => {
  it('two limiters of one instance share one budget; another instance is unaffected', async () => {
    const limit = { requests: 5, per: 60_000 };
    const a = new SharedRateLimiter({ redis: client, keys, instanceId: 'i1', limit, maxPollMs: 20 });
    const b = new SharedRateLimiter({ redis: client, keys, instanceId: 'i1', limit, maxPollMs: 20 });
    const other = new SharedRateLimiter({ redis: client, keys, instanceId: 'i2', limit, maxPollMs: 20 });
    for (let i = 0; i < 3; i++) (await a.acquire())();
    for (let i = 0; i < 2; i++) (await b.acquire())();
    const sixth = a.acquire().then(() => 'got');
    const timeout = new Promise((r) => setTimeout(() => r('waiting'), 300));
    expect(await Promise.race([sixth, timeout])).toBe('waiting');
    // Another instance is not held back: it gets a slot (5 s only bounds a hang; 300 ms was tight for a busy machine).
    expect(
      await Promise.race([
        other.acquire().then(() => 'got'),
        new Promise((r) => setTimeout(() => r('waiting'), 5_000)),
      ]),
    ).toBe('got');
    await client.del(keys.rateWindow('i1'));
    expect(await sixth).toBe('got');
  });

  it('caps concurrency across limiters and honours a Retry-After pause', async () => {
    const limit = { requests: 100, per: 60_000, concurrency: 2 };
    const a = new SharedRateLimiter({ redis: client, keys, instanceId: 'i3', limit, maxPollMs: 20 });
    const b = new SharedRateLimiter({ redis: client, keys, instanceId: 'i3', limit, maxPollMs: 20 });
    const r1 = await a.acquire();
    await b.acquire();
    let third = false;
    const p = b.acquire().then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(third).toBe(false);
    r1();
    (await p)();
    expect(third).toBe(true);
    await a.pause(1_000);
    const until = (await a.pausedUntil())!;
    expect(until).toBeGreaterThan(Date.now());
    // Measured against the pause's own end, not a stopwatch started after it (time already spent would count).
    await (
      await b.acquire()
    )();
    expect(Date.now()).toBeGreaterThanOrEqual(until);
  });
});

describe('ScheduleStore, counters, locks, cache', () => {
  it('claims due checks with a lease and replaces or removes them', async () => {
    const s = new ScheduleStore(client, keys);
    await s.set('acme', '1', 1_000);
    await s.set('acme', '2', 5_000);
    await s.set('acme', '1', 2_000);
    expect(await s.claimDue(1_500, 60_000)).toEqual([]);
    expect(await s.claimDue(2_500, 60_000)).toEqual([{ instanceId: 'acme', ticketId: '1' }]);
    expect(await s.get('acme', '1')).toBe(62_500);
    expect(await s.claimDue(3_000, 60_000)).toEqual([]);
    await s.set('acme', '2', null);
    expect(await s.get('acme', '2')).toBeNull();
  });

  it('moves member loads with ticket ownership and counts recurring tickets in a window', async () => {
    const c = new CountersStore(client, keys);
    await c.setTicketOwner('acme', 't1', 'erin');
    await c.setTicketOwner('acme', 't2', 'erin');
    await c.setTicketOwner('acme', 't2', 'erin');
    await c.setTicketOwner('acme', 't3', 'frank');
    expect(await c.memberLoads('acme')).toEqual({ erin: 2, frank: 1 });
    await c.setTicketOwner('acme', 't1', 'frank');
    await c.setTicketOwner('acme', 't3', null);
    expect(await c.memberLoads('acme')).toEqual({ erin: 1, frank: 1 });
    await c.recordRecurring('acme', 'sig', { id: 'a', createdAtMs: 1_000 }, { keepSinceMs: 0, ttlMs: 60_000 });
    await c.recordRecurring('acme', 'sig', { id: 'b', createdAtMs: 2_000 }, { keepSinceMs: 0, ttlMs: 60_000 });
    await c.recordRecurring('acme', 'sig', { id: 'b', createdAtMs: 2_000 }, { keepSinceMs: 0, ttlMs: 60_000 });
    await c.recordRecurring('acme', 'sig', { id: 'c', createdAtMs: 9_000 }, { keepSinceMs: 0, ttlMs: 60_000 });
    expect(await c.countRecurring('acme', 'sig', 1_500, 10_000)).toBe(2);
  });

  it('a ticket lock excludes a second holder until released', async () => {
    // 2 s TTL renewed every ~667 ms: a loaded machine may delay a renewal by a second without losing the lock.
    const l1 = await tryLock(client, 'lk', 'one', 2_000);
    expect(l1).not.toBeNull();
    expect(await tryLock(client, 'lk', 'two', 2_000)).toBeNull();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(l1!.held).toBe(true);
    await l1!.release();
    expect(await tryLock(client, 'lk', 'two', 2_000)).not.toBeNull();
  });

  it('the shared cache is per instance and expires', async () => {
    const a = new RedisSharedCache(client, keys, 'a');
    const b = new RedisSharedCache(client, keys, 'b');
    // 1 s: the reads right after the write must land inside it on a busy machine (200 ms left no room).
    await a.set('k', { v: 1 }, 1_000);
    expect(await a.get('k')).toEqual({ v: 1 });
    expect(await b.get('k')).toBeUndefined();
    await waitFor(async () => (await a.get('k')) === undefined, 5_000);
  });
});
