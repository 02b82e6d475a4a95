import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningService } from '../../src/main.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { testConfig, waitFor } from '../helpers/test-pipeline.js';

import { readyz, startTestService } from './fixtures/service.js';

/**
 * Readiness per worker (issue 12 item 10): three worker replicas share one Redis and one `events` queue. When one
 * replica's workers stop consuming (stuck, as after bullmq#4585), its own /readyz must say 503 — its heartbeat must not
 * be answered by another replica that happens to consume the shared queue — while the two healthy ones stay 200.
 */
let redis: TestRedis;
const replicas: RunningService[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const config = testConfig({ psaUrl: 'http://127.0.0.1:9' });
  for (let i = 0; i < 3; i++) {
    // heartbeatStaleMs 3 s; the self-restart of stuck workers (after 2 × staleMs more) is not what this test is about.
    replicas.push(
      await startTestService({
        config,
        redisUrl: redis.url,
        role: 'worker',
        pipeline: { tuning: { heartbeatMs: 200, heartbeatStaleMs: 3_000 } },
      }),
    );
  }
});

afterAll(async () => {
  for (const r of replicas) await r.close();
  await redis?.close();
});

describe('readiness of one stuck worker among three replicas', () => {
  it('the stuck replica reports 503 on its own /readyz; the other two stay 200', async () => {
    for (const r of replicas) await waitFor(async () => (await readyz(r.url)) === 200, 20_000, 100);
    const [healthyA, stuck, healthyB] = replicas as [RunningService, RunningService, RunningService];
    // This replica's workers stop taking jobs while BullMQ still reports them running and Redis answers PING: the
    // bullmq#4585 state (a worker that never resumes fetching after an outage). Pausing stops the fetching; the
    // instance's isRunning keeps answering true, as the silent worker's does.
    await Promise.all(
      stuck.pipeline.workers().map(async (w) => {
        await w.pause(true);
        w.isRunning = () => true;
      }),
    );
    await waitFor(async () => (await readyz(stuck.url)) === 503, 15_000, 100).catch((e: unknown) => {
      throw new Error(
        `the stuck replica still reports ready: its heartbeat was answered by another replica (${String(e)})`,
      );
    });
    expect(await readyz(healthyA.url)).toBe(200);
    expect(await readyz(healthyB.url)).toBe(200);
  }, 60_000);
});
