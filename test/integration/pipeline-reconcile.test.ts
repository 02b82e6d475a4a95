import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { resetAfterTest } from '../helpers/psa-suite.js';
import { INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { watchClock, type TestClock } from '../helpers/clock.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

let redis: TestRedis;
let fake: FakePsa;
const running: RunningPipeline[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => resetAfterTest(redis.url, running, fake));
afterAll(async () => {
  await redis.close();
});

/** The clock of the pipeline started last: its background loop (`dueChecks` + `dueSweeps`) reads it once a tick. */
let watched: TestClock;

async function start(opts: { every?: number; publicUrl?: string; startDelay?: number } = {}) {
  fake = new FakePsa();
  await fake.start();
  watched = watchClock(() => Date.now(), ['dueChecks']);
  const p = await startTestPipeline({
    redisUrl: redis.url,
    now: watched.now,
    config: testConfig({ psaUrl: fake.url, reconcileEveryMs: opts.every ?? 1_000 }),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    tuning: { reconcileStartDelayMs: opts.startDelay ?? 0 },
  });
  running.push(p);
  return p;
}

describe('reconciliation sweep', () => {
  it('escalates a ticket changed without any webhook within one interval', async () => {
    const p = await start({ every: 1_000 });
    fake.addTicket({ id: 'lost', queue: '1', title: 'Ransomware popup' });
    await waitFor(() => fake.tickets.get('lost')!.queue === '3', 10_000, 100);
    const [entry] = (await p.read.escalations({ limit: 5 })).items;
    expect(entry).toMatchObject({ ticketId: 'lost', trigger: 'reconcile' });
    // Unchanged tickets are not evaluated again by later sweeps (the sweep after our own write reads it once more).
    // Wait for that re-read to be stored rather than guessing how long a sweep takes on a slow machine; then let a
    // sweep that listed while it ran (a legitimate follow-up) settle before counting.
    await waitFor(
      async () => {
        const r = await p.stores.tickets.get(INSTANCE, 'lost');
        const jobs = await p.queues.tickets.getJobCounts('waiting', 'active', 'delayed');
        return (
          r?.version === fake.tickets.get('lost')!.updatedAt && !r.pending && Object.values(jobs).every((n) => n === 0)
        );
      },
      15_000,
      100,
    );
    await waitForDrained(p, 30_000, 'the evaluation of the lost ticket and its follow-ups');
    const gets = fake.count('GET', '/tickets/lost');
    // Two more sweeps (one a second) list the ticket unchanged: neither fetches it again.
    const lists = fake.count('GET', '/tickets');
    await waitFor(() => fake.count('GET', '/tickets') >= lists + 2, 30_000, 50, 'two more reconciliation sweeps');
    await waitForDrained(p, 30_000, 'anything those sweeps queued');
    expect(fake.count('GET', '/tickets/lost')).toBe(gets);
    expect(fake.count('GET', '/tickets')).toBeGreaterThanOrEqual(fake.count('GET', '/tickets/lost') + 2);
  });

  it('never calls the PSA at start-up; an API-queued sweep runs at once', async () => {
    const p = await start({ every: 1_000, startDelay: 60_000 });
    fake.addTicket({ id: 'q1', queue: '2' });
    // Three ticks of the background loop (which also queues due sweeps) inside the start-up delay, then nothing queued.
    await watched.waitTicks('dueChecks', 'the sweep loop inside its start-up delay', 3);
    await waitForDrained(p, 30_000, 'anything the loop queued');
    expect(fake.calls).toHaveLength(0);
    const { jobId } = await p.pipeline.enqueueReconcile(INSTANCE);
    expect(jobId).toBeTruthy();
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 'q1')) !== undefined);
  });

  it('keeps the cursor when the listing fails and reports the PSA unreachable', async () => {
    const p = await start({ every: 60_000, startDelay: 60_000 });
    // Not the first sweep (that one backfills, see backfill.test.ts): a cursor is stored.
    const cursor = '2026-01-01T00:00:00.000Z';
    await p.redis.set(p.stores.keys.reconcileCursor(INSTANCE), cursor);
    fake.fail({ method: 'GET', path: '/tickets', status: 500, times: 10 });
    await p.pipeline.enqueueReconcile(INSTANCE);
    await waitFor(async () => (await p.stores.instances.get(INSTANCE)).psa === 'unreachable');
    expect(await p.redis.get(p.stores.keys.reconcileCursor(INSTANCE))).toBe(cursor);
  });

  it('repairs a disabled webhook registration; a deactivation notice schedules at most one check per 10 min', async () => {
    const p = await start({ every: 60_000, startDelay: 60_000, publicUrl: 'https://esc.example.com/' });
    fake.webhookState = 'inactive';
    await p.pipeline.enqueueReconcile(INSTANCE);
    await waitFor(async () => (await p.stores.instances.get(INSTANCE)).webhook === 'active');
    expect(fake.count('POST', '/webhooks')).toBe(1);
    await p.pipeline.reportDeactivation(INSTANCE);
    await p.pipeline.reportDeactivation(INSTANCE);
    expect((await p.read.instances())[0]!.webhook).toMatch(/deactivation_reported|active/);
    await waitFor(async () => (await p.stores.instances.get(INSTANCE)).webhook === 'active');
    await waitForDrained(p, 30_000, 'the registration checks to finish');
    expect(fake.count('GET', '/webhooks')).toBe(2);
    expect(fake.count('POST', '/webhooks')).toBe(1);
  });
});
