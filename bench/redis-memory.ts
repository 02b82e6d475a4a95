/**
 * Redis memory per ticket (docs/redis-keys.md): `used_memory` of a private redis-server (AOF everysec, as the tests
 * run it) while the pipeline's ticket processor (`processTicket`: fetch → state → counters → engine → audit →
 * write-back → schedule → escalation-metrics history) handles tickets from an in-process PSA that answers at once.
 * Tickets look like help-desk tickets: a 60-character title, a 400-character description, two customer notes;
 * every 10th matches the test policy's "ransomware" rule (escalation, priority, note, notification), so it also writes
 * audit entries.
 *
 * Three runs, each on a fresh Redis:
 * - A, default retention (tickets 30d, audit 90d): N tickets opened (bytes per open ticket), then closed (bytes per
 *   10,000 closed tickets still within retention.tickets: record + audit trail + metrics history).
 * - B, retention.tickets 5s (audit 1h): N tickets opened and closed, then the figure once the closed records
 *   expired: what 10,000 closed tickets cost within retention.audit only (audit trail, metrics histories).
 * - C, every retention 3s: the same, then the figure once everything expired (back to the baseline).
 *
 *   npx tsx bench/redis-memory.ts [--tickets 10000] [--json]
 */
import type { Redis } from 'ioredis';

import { createKeys } from '../src/store/keys.js';
import { countKeys, pool, startInstantPipeline } from '../test/helpers/instant-pipeline.js';
import type { InstantPipeline } from '../test/helpers/instant-pipeline.js';
import { startRedis } from '../test/helpers/redis.js';
import type { TestRedis } from '../test/helpers/redis.js';
import type { TestConfigOptions } from '../test/helpers/test-pipeline.js';

import { arg, flag, fmt, printJson } from './util.js';

const N = arg('tickets', 10_000);
const keys = createKeys();

export interface RedisMemoryResult {
  tickets: number;
  /** used_memory of the empty pipeline's Redis, bytes. */
  baseline: number;
  /** Bytes per open ticket (run A). */
  perOpen: number;
  /** Bytes per 10,000 closed tickets while their records are kept (run A). */
  per10kClosedRetained: number;
  /** Bytes per 10,000 closed tickets after retention.tickets, within retention.audit (run B). */
  per10kClosedAfterTickets: number;
  /** Bytes per 10,000 closed tickets after every retention passed (run C): ~0 (Redis's own table slack). */
  per10kClosedAfterAll: number;
  /** Keys left in run C after every retention passed (per-instance and per-config keys only). */
  keysLeftAfterAll: number;
}

const lorem =
  'The user reports that the shared drive mapping fails after the overnight patch window; other users on the same floor are fine. Restarted the workstation, cleared cached credentials and re-mapped manually, which works until the next logon. Group policy results show the drive-map policy applied. Event log has 0x80070035 errors at logon. Suspect the DFS namespace referral order changed with the patch. ';

async function usedMemory(redis: Redis): Promise<number> {
  // Expired-but-unreclaimed keys and lazy frees would blur the figure: let Redis settle first.
  await new Promise((r) => setTimeout(r, 500));
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

function seed(h: InstantPipeline, n: number, prefix: string): string[] {
  const at = new Date().toISOString();
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${100_000 + i}`);
  for (const [i, id] of ids.entries()) {
    const title =
      i % 10 === 0
        ? `Ransomware warning on workstation WS-${i} in accounting`
        : `Mapped drive S: missing after patching, WS-${i} floor 3`;
    h.psa.set(id, {
      id,
      title: title.padEnd(60, '.'),
      description: lorem,
      status: 'open',
      priority: 3,
      queue: '1',
      owner: null,
      company: `c${i % 200}`,
      companyName: `Customer ${i % 200} Ltd`,
      category: ['Network', 'Drive mapping'],
      createdAt: at,
      updatedAt: at,
      notes: [
        { id: `${id}-2`, text: lorem.slice(0, 220), internal: false, at, author: 'customer' },
        { id: `${id}-1`, text: lorem.slice(100, 300), internal: false, at, author: 'customer' },
      ],
    });
  }
  return ids;
}

async function evaluateAll(h: InstantPipeline, ids: readonly string[], status?: string): Promise<void> {
  await pool(ids, 64, async (id) => {
    if (status) {
      const t = h.psa.get(id)!;
      t.status = status;
      t.updatedAt = new Date(Date.parse(t.updatedAt) + 1).toISOString();
    }
    const out = await h.evaluate(id);
    if (out.kind !== 'evaluated') throw new Error(`ticket ${id}: ${out.kind}`);
  });
}

async function withPipeline<T>(
  options: Omit<TestConfigOptions, 'psaUrl'>,
  run: (h: InstantPipeline, redis: TestRedis) => Promise<T>,
): Promise<T> {
  const redis = await startRedis();
  const h = await startInstantPipeline(redis.url, options);
  try {
    return await run(h, redis);
  } finally {
    await h.close();
    await redis.close();
  }
}

async function waitUntilGone(redis: Redis, pattern: string): Promise<void> {
  while ((await countKeys(redis, pattern)) > 0) await new Promise((r) => setTimeout(r, 500));
}

const per10k = (bytes: number): number => (bytes / N) * 10_000;
const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

const a = await withPipeline({}, async (h) => {
  const baseline = await usedMemory(h.redis);
  const ids = seed(h, N, 'a');
  await evaluateAll(h, ids);
  const open = await usedMemory(h.redis);
  await evaluateAll(h, ids, 'closed');
  const closed = await usedMemory(h.redis);
  return { baseline, open, closed };
});
console.log(
  `run A (default retention): baseline ${mb(a.baseline)}; ${fmt(N)} open tickets ${mb(a.open)}; closed, within retention ${mb(a.closed)}`,
);

// B: the records expire, the audit trail (1 h) is still there. C: everything expires.
const b = await withPipeline({ retention: { ticketsMs: 5_000, auditMs: 3_600_000 } }, async (h) => {
  const baseline = await usedMemory(h.redis);
  const ids = seed(h, N, 'b');
  await evaluateAll(h, ids);
  await evaluateAll(h, ids, 'closed');
  await waitUntilGone(h.redis, `${keys.prefix}:t:*`);
  return { baseline, afterTickets: await usedMemory(h.redis) };
});
console.log(`run B (tickets 5s, audit 1h): baseline ${mb(b.baseline)}; after retention.tickets ${mb(b.afterTickets)}`);
const c = await withPipeline({ retention: { ticketsMs: 3_000, auditMs: 3_000, deadLettersMs: 3_000 } }, async (h) => {
  const baseline = await usedMemory(h.redis);
  const ids = seed(h, N, 'c');
  await evaluateAll(h, ids);
  await evaluateAll(h, ids, 'closed');
  for (const family of ['t', 'audit:e', 'audit:ix:t', 'mx:t'])
    await waitUntilGone(h.redis, `${keys.prefix}:${family}:*`);
  return { baseline, afterAll: await usedMemory(h.redis), keysLeft: await h.redis.dbsize() };
});
console.log(
  `run C (tickets, audit 3s): baseline ${mb(c.baseline)}; after every retention ${mb(c.afterAll)} (${fmt(c.keysLeft)} keys left)`,
);

const result: RedisMemoryResult = {
  tickets: N,
  baseline: a.baseline,
  perOpen: (a.open - a.baseline) / N,
  per10kClosedRetained: per10k(a.closed - a.baseline),
  per10kClosedAfterTickets: per10k(b.afterTickets - b.baseline),
  per10kClosedAfterAll: per10k(c.afterAll - c.baseline),
  keysLeftAfterAll: c.keysLeft,
};
console.log(`per open ticket: ${fmt(result.perOpen)} bytes`);
console.log(
  `per 10,000 closed tickets: ${mb(result.per10kClosedRetained)} within retention.tickets; ${mb(result.per10kClosedAfterTickets)} after it (audit trail and metrics histories, kept for retention.audit); ${mb(result.per10kClosedAfterAll)} after retention.audit`,
);
if (flag('json')) printJson(result);
