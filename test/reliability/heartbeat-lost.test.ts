import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningService } from '../../src/main.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { testConfig, waitFor } from '../helpers/test-pipeline.js';

import { readyz, startTestService } from './fixtures/service.js';

/**
 * A heartbeat job that Redis lost (a Sentinel failover promotes a replica that never received the last writes of the
 * dead master) must not keep a healthy worker process unready for ever: once it has waited `staleMs`, another
 * heartbeat is sent, and consuming that one makes the process ready again. Seen first in the Sentinel failover test,
 * where /readyz stayed 503 with `workers: false` long after the workers consumed again.
 */
let redis: TestRedis;
let service: RunningService;

beforeAll(async () => {
  redis = await startRedis();
  service = await startTestService({
    config: testConfig({ psaUrl: 'http://127.0.0.1:9' }),
    redisUrl: redis.url,
    role: 'worker',
    pipeline: { tuning: { heartbeatMs: 200, heartbeatStaleMs: 2_000 } },
  });
});

afterAll(async () => {
  await service?.close();
  await redis?.close();
});

describe('a heartbeat lost by Redis', () => {
  it('is sent again after staleMs: the process is ready again once its workers consume', async () => {
    await waitFor(async () => (await readyz(service.url)) === 200 || undefined, 20_000, 100, 'ready at start');
    const workers = service.pipeline.workers();
    // Paused but still reporting running (as a worker busy reconnecting does): readiness rests on the heartbeats alone.
    const isRunning = workers.map((w) => w.isRunning.bind(w));
    await Promise.all(
      workers.map(async (w) => {
        await w.pause(true);
        w.isRunning = () => true;
      }),
    );
    // Give the heartbeat loop time to send heartbeats nobody consumes, then lose them the way a failover would.
    await waitFor(
      async () => (await readyz(service.url)) === 503 || undefined,
      15_000,
      100,
      '503 while the workers are paused',
    );
    const client = service.pipeline.redis;
    const names = ['events', ...(await client.keys('bull:hb-*:meta')).map((k) => k.split(':')[1]!)];
    let removed = 0;
    for (const name of names) {
      for (const id of await client.lrange(`bull:${name}:wait`, 0, -1)) {
        await client.multi().lrem(`bull:${name}:wait`, 0, id).del(`bull:${name}:${id}`).exec();
        removed += 1;
      }
    }
    expect(removed, 'unconsumed heartbeat jobs found and removed').toBeGreaterThanOrEqual(2);
    for (const [i, w] of workers.entries()) {
      w.isRunning = isRunning[i]!;
      await w.resume();
    }
    await waitFor(
      async () => (await readyz(service.url)) === 200 || undefined,
      20_000,
      100,
      'ready again after the lost heartbeats (a fresh one consumed)',
    );
  }, 60_000);
});
