import { afterAll, beforeAll } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';

import { startRedis } from './redis.js';
import type { TestRedis } from './redis.js';
import { FakePsa } from './test-psa.js';

export interface PsaSuite {
  /** Set in `beforeAll`. */
  redis: TestRedis;
  /** Set in `beforeAll`. */
  fake: FakePsa;
  /** Pipelines started by the tests: closed in `afterAll`. */
  pipelines: RunningPipeline[];
}

/**
 * The set-up most pipeline tests share, registered as this file's `beforeAll`/`afterAll`: a real Redis and a started
 * FakePsa (its clock `now` when given); at the end every pipeline in `pipelines` is closed, then the fake and Redis.
 */
export function usePsaSuite(now?: () => number): PsaSuite {
  const suite = { pipelines: [] as RunningPipeline[] } as PsaSuite;
  beforeAll(async () => {
    suite.redis = await startRedis();
    suite.fake = new FakePsa();
    if (now) suite.fake.now = now;
    await suite.fake.start();
  });
  afterAll(async () => {
    await Promise.all(suite.pipelines.map((p) => p.close()));
    await suite.fake?.stop();
    await suite.redis?.close();
  });
  return suite;
}

/**
 * Between the tests of a file that starts a fresh FakePsa per test: closes the pipelines the test started, stops its
 * fake and empties Redis, so the next test starts from nothing.
 */
export async function resetAfterTest(redisUrl: string, pipelines: RunningPipeline[], fake: FakePsa): Promise<void> {
  await Promise.all(pipelines.splice(0).map((p) => p.close()));
  await fake.stop();
  const { Redis } = await import('ioredis');
  const r = new Redis(redisUrl);
  await r.flushall();
  r.disconnect();
}
