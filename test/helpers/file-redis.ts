import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';

import { startRedis, type TestRedis } from './redis.js';

/**
 * One real Redis for a whole test file (started once: a Redis per test costs a process start each), emptied after each
 * test together with the pipelines the test started, so every test still begins on an empty Redis.
 */
export interface FileRedis {
  readonly redis: TestRedis;
  readonly url: string;
  /** Pipelines to close after the current test. */
  readonly running: RunningPipeline[];
}

/** Registers the hooks; `afterEachTest` runs after the pipelines closed and before the flush (e.g. stop a fake PSA). */
export function useFileRedis(afterEachTest?: () => Promise<unknown> | unknown): FileRedis {
  let redis: TestRedis | undefined;
  const running: RunningPipeline[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.close()));
    await afterEachTest?.();
    const r = new Redis(redis!.url);
    await r.flushall();
    r.disconnect();
  });
  afterAll(async () => {
    await redis?.close();
  });
  const started = (): TestRedis => {
    if (!redis) throw new Error('useFileRedis: Redis is started in beforeAll');
    return redis;
  };
  return {
    get redis() {
      return started();
    },
    get url() {
      return started().url;
    },
    running,
  };
}
