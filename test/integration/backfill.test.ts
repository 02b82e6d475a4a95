import { describe, expect, it } from 'vitest';

import { PolicySchema } from '../../src/contract/index.js';
import type { AppConfig } from '../../src/config/types.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import type { InstanceStatus } from '../../src/store/models.js';
import { useFileRedis } from '../helpers/file-redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, startTestPipeline, testConfig, testPolicy, waitFor } from '../helpers/test-pipeline.js';

/**
 * Day one on a real PSA (issue 13): the instance connects with hundreds of tickets already open and no webhooks.
 * The first sweep (no stored cursor) backfills: every open ticket listed through the open-only listing, evaluated
 * once, within the sweep's 20 % of the request budget, resumable across a restart, with progress in /api/instances.
 */

let fake: FakePsa;
const file = useFileRedis(() => fake?.stop());
const running = file.running;

const HOUR = 3_600_000;
// Scaled: 3000 calls per 10 s → the sweep lane may spend 600 per 10 s, a 1 s sweep 60 calls.
const RATE = { requests: 3_000, per: 10_000 };
const SWEEP_CAP = Math.floor(RATE.requests * 0.2);

/** The test policy plus a VIP fast lane (T1 → T2 after 30 min for VIP companies). */
function dayOneConfig(psaUrl: string, backfill: 'observe' | 'enforce'): AppConfig {
  const base = testConfig({ psaUrl, reconcileEveryMs: 1_000, rateLimit: RATE });
  const policy = PolicySchema.parse({
    ...testPolicy,
    rules: [
      {
        id: 'vip-fast',
        kind: 'tiered',
        when: { vip: true, tier: 'T1', timeInTier: '30m' },
        then: { escalateTo: 'T2', group: 'tier2', note: 'handoff' },
      },
      ...testPolicy.rules,
    ],
  });
  const [inst] = base.instances;
  return {
    ...base,
    policies: { standard: policy },
    instances: [
      { ...inst!, backfill, info: { ...inst!.info, mapping: { ...inst!.info.mapping, vipCompanies: ['vip'] } } },
    ],
  };
}

interface Seeded {
  open: string[];
  resolved: string[];
  /** What the policy says: T1 for three days (t1-timeout) and VIP in T1 for an hour (vip-fast). */
  shouldEscalate: Set<string>;
}

/** 300 open tickets (30 stuck in T1 for three days, 20 VIP, 250 fresh) and 20 resolved ones. */
function seed(f: FakePsa, now: number): Seeded {
  const out: Seeded = { open: [], resolved: [], shouldEscalate: new Set() };
  const add = (id: string, createdMsAgo: number, extra: Partial<Parameters<FakePsa['addTicket']>[0]> = {}) => {
    const at = new Date(now - createdMsAgo).toISOString();
    f.addTicket({ id, createdAt: at, updatedAt: at, ...extra });
  };
  const pad = (n: number) => String(n).padStart(3, '0');
  for (let i = 0; i < 30; i++) {
    add(`stale-${pad(i)}`, 72 * HOUR);
    out.open.push(`stale-${pad(i)}`);
    out.shouldEscalate.add(`stale-${pad(i)}`);
  }
  for (let i = 0; i < 10; i++) {
    add(`vip-old-${pad(i)}`, HOUR, { company: 'vip' });
    out.open.push(`vip-old-${pad(i)}`);
    out.shouldEscalate.add(`vip-old-${pad(i)}`);
  }
  for (let i = 0; i < 10; i++) {
    add(`vip-new-${pad(i)}`, 10 * 60_000, { company: 'vip' });
    out.open.push(`vip-new-${pad(i)}`);
  }
  for (let i = 0; i < 250; i++) {
    add(`fresh-${pad(i)}`, 10 * 60_000, { queue: i % 5 === 0 ? '2' : '1' });
    out.open.push(`fresh-${pad(i)}`);
  }
  for (let i = 0; i < 20; i++) {
    add(`done-${pad(i)}`, 72 * HOUR, { status: 'resolved' });
    out.resolved.push(`done-${pad(i)}`);
  }
  return out;
}

const ticketGets = (f: FakePsa, id: string) =>
  f.calls.filter((c) => c.method === 'GET' && c.path === `/tickets/${id}`).length;
const patched = (f: FakePsa) => new Set(f.calls.filter((c) => c.method === 'PATCH').map((c) => c.path.split('/')[2]!));

/** The most calls the PSA saw within any window of `per` (50 ms of slack for the limiter's clock vs arrival). */
function busiestWindow(f: FakePsa, per: number): number {
  const at = f.calls.map((c) => c.at).sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < at.length; hi++) {
    while (at[hi]! - at[lo]! > per - 50) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const backfillOf = async (p: RunningPipeline): Promise<NonNullable<InstanceStatus['backfill']>> => {
  const [status] = await p.read.instances();
  return status!.backfill!;
};

async function evaluationsByTrigger(
  p: RunningPipeline & { metrics: { registry: { getSingleMetricAsString(n: string): Promise<string> } } },
  trigger: string,
): Promise<number> {
  const text = await p.metrics.registry.getSingleMetricAsString('psa_escalator_evaluations_total');
  const line = text.split('\n').find((l) => l.includes(`trigger="${trigger}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('backfill: day one with 300 open tickets and no webhooks', () => {
  it('evaluates every open ticket once, escalates exactly what the policy says, within budget, across a restart', async () => {
    fake = new FakePsa();
    await fake.start();
    const seeded = seed(fake, Date.now());
    const config = dayOneConfig(fake.url, 'enforce');
    const start = () =>
      startTestPipeline({ redisUrl: file.url, config, tuning: { reconcileStartDelayMs: 0, closeTimeoutMs: 15_000 } });

    const first = await start();
    running.push(first);
    // Progress is reported while it runs.
    const half = await waitFor(
      async () => {
        const bf = await backfillOf(first);
        return bf && bf.evaluated >= 150 ? bf : undefined;
      },
      60_000,
      100,
    );
    expect(half.listed).toBe(300);
    expect(half.remaining).toBe(300 - half.evaluated);
    expect(half.completedAt).toBeNull();
    expect(Date.parse(half.startedAt)).toBeGreaterThan(0);

    // Restart halfway: the next process resumes from Redis.
    running.splice(running.indexOf(first), 1);
    await first.close();
    const atRestart = await backfillOf(
      await (async () => {
        const second = await start();
        running.push(second);
        return second;
      })(),
    );
    expect(atRestart.evaluated).toBeGreaterThanOrEqual(150);
    expect(atRestart.evaluated).toBeLessThan(300);
    const second = running.at(-1)! as Awaited<ReturnType<typeof start>>;
    const done = await waitFor(
      async () => {
        const bf = await backfillOf(second);
        return bf.completedAt ? bf : undefined;
      },
      90_000,
      100,
    );
    expect(done).toMatchObject({ listed: 300, evaluated: 300, remaining: 0, listing: false });

    // Every open ticket evaluated once (across both processes); resolved ones never even fetched.
    expect((await evaluationsByTrigger(first, 'backfill')) + (await evaluationsByTrigger(second, 'backfill'))).toBe(
      300,
    );
    for (const id of seeded.open) expect(ticketGets(fake, id), id).toBeGreaterThanOrEqual(1);
    for (const id of seeded.open.filter((t) => !seeded.shouldEscalate.has(t))) expect(ticketGets(fake, id), id).toBe(1);
    for (const id of seeded.resolved) expect(ticketGets(fake, id), id).toBe(0);

    // Exactly the tickets the policy says moved, each once, with one handoff note.
    await waitFor(() => [...seeded.shouldEscalate].every((id) => fake.tickets.get(id)!.notes.length > 0), 30_000, 100);
    expect(patched(fake)).toEqual(seeded.shouldEscalate);
    for (const id of seeded.shouldEscalate) {
      expect(fake.tickets.get(id)!.queue, id).toBe('2');
      expect(
        fake.calls.filter((c) => c.method === 'PATCH' && c.path === `/tickets/${id}`),
        id,
      ).toHaveLength(1);
      expect(fake.tickets.get(id)!.notes, id).toHaveLength(1);
    }

    // Never more than the sweep's 20 % of the budget in any window (no webhooks: every call is the sweep's).
    if (process.env.SHOW_BUDGET)
      console.log(
        `busiest ${RATE.per} ms window: ${busiestWindow(fake, RATE.per)} calls (cap ${SWEEP_CAP}); total ${fake.calls.length}`,
      );
    expect(busiestWindow(fake, RATE.per)).toBeLessThanOrEqual(SWEEP_CAP);
  }, 180_000);

  it('`backfill: observe` in enforce mode proposes the first wave and writes nothing; `--full` with enforce applies it', async () => {
    fake = new FakePsa();
    await fake.start();
    const now = Date.now();
    for (let i = 0; i < 5; i++)
      fake.addTicket({
        id: `stale-${i}`,
        createdAt: new Date(now - 72 * HOUR).toISOString(),
        updatedAt: new Date(now - 72 * HOUR).toISOString(),
      });
    for (let i = 0; i < 5; i++) fake.addTicket({ id: `fresh-${i}` });
    const observe = await startTestPipeline({
      redisUrl: file.url,
      config: dayOneConfig(fake.url, 'observe'),
      tuning: { reconcileStartDelayMs: 0 },
    });
    running.push(observe);
    await waitFor(async () => (await backfillOf(observe))?.completedAt, 30_000, 100);
    const proposals = (await observe.read.escalations({ limit: 50 })).items;
    expect(proposals.map((e) => e.ticketId).sort()).toEqual(['stale-0', 'stale-1', 'stale-2', 'stale-3', 'stale-4']);
    for (const e of proposals) {
      expect(e).toMatchObject({ mode: 'observe', trigger: 'backfill' });
      expect(e.results.every((r) => r.status === 'proposed')).toBe(true);
    }
    expect(fake.count('PATCH', '/tickets')).toBe(0);
    expect(fake.count('POST', '/tickets')).toBe(0);
    running.splice(0);
    await observe.close();

    // The MSP read the proposals and switches to `backfill: enforce`, then runs a full reconcile.
    const enforce = await startTestPipeline({
      redisUrl: file.url,
      config: dayOneConfig(fake.url, 'enforce'),
      tuning: { reconcileStartDelayMs: 60_000 },
    });
    running.push(enforce);
    await enforce.pipeline.enqueueReconcile(INSTANCE, { full: true });
    await waitFor(
      () =>
        [0, 1, 2, 3, 4].every(
          (i) => fake.tickets.get(`stale-${i}`)!.queue === '2' && fake.tickets.get(`stale-${i}`)!.notes.length === 1,
        ),
      30_000,
      100,
    );
    await waitFor(async () => (await backfillOf(enforce))?.completedAt, 30_000, 100);
    expect([0, 1, 2, 3, 4].every((i) => fake.tickets.get(`fresh-${i}`)!.queue === '1')).toBe(true);
    expect(fake.count('PATCH', '/tickets')).toBe(5);
  }, 120_000);
});
