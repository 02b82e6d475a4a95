import { afterAll, afterEach, beforeAll } from 'vitest';

import type { AppConfig } from '../../src/config/types.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';

import { watchClock } from './clock.js';
import type { TestClock } from './clock.js';
import { startRedis } from './redis.js';
import type { TestRedis } from './redis.js';
import { startTestPipeline } from './test-pipeline.js';
import type { StartOptions } from './test-pipeline.js';
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

export interface ClockedPsaSuite extends PsaSuite {
  /** The injected clock: counts the reads of the watched loops, so a test awaits their ticks instead of sleeping. */
  watched: TestClock;
  /** Starts a pipeline on `config(fake.url)` and the injected clock (`tuning` over the test tuning); closed in `afterAll`. */
  start(tuning?: StartOptions['tuning']): Promise<RunningPipeline>;
}

/**
 * `usePsaSuite` on a clock the test moves (`read`, e.g. `() => clock` over a `let clock`), read by the fake PSA and by
 * the pipelines `start()` runs on `config`; the timer-driven `loops` of the service (`dueChecks`, `flush`) are
 * watched on it.
 */
export function useClockedPsaSuite(
  read: () => number,
  loops: readonly string[],
  config: (psaUrl: string) => AppConfig,
): ClockedPsaSuite {
  const suite = usePsaSuite(read) as ClockedPsaSuite;
  suite.watched = watchClock(read, loops);
  suite.start = async (tuning) => {
    const p = await startTestPipeline({
      redisUrl: suite.redis.url,
      config: config(suite.fake.url),
      now: suite.watched.now,
      ...(tuning ? { tuning } : {}),
    });
    suite.pipelines.push(p);
    return p;
  };
  return suite;
}

export interface FreshPsaPerTest {
  /** What a test started (pipelines, other fakes): closed after it, last first, before its fake and Redis. */
  closers: (() => Promise<void>)[];
  /** A fresh Redis and a started FakePsa for this test only. */
  start(): Promise<{ redis: TestRedis; fake: FakePsa }>;
}

/** For files whose tests each start from nothing: registers the `afterEach` that closes what the test started. */
export function useFreshPsaPerTest(): FreshPsaPerTest {
  let redis: TestRedis | undefined;
  let fake: FakePsa | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await fake?.stop();
    await redis?.close();
    fake = redis = undefined;
  });
  return {
    closers,
    start: async () => {
      redis = await startRedis();
      fake = new FakePsa();
      await fake.start();
      return { redis, fake };
    },
  };
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
