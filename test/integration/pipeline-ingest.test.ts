import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { eventDedupeId } from '../../src/pipeline/queue/queues.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { PipelineUnavailableError } from '../../src/pipeline/types.js';
import type { IngestRequest } from '../../src/pipeline/types.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

let redis: TestRedis;
let fake: FakePsa;
let raw: Redis;
const running: RunningPipeline[] = [];

const event = (eventId: string, ticketId = '100'): IngestRequest => ({
  instanceId: INSTANCE,
  event: { eventId, ticketId, action: 'updated' },
  receivedAt: Date.now(),
  requestId: `req-${eventId}`,
});

async function start(role: 'api' | 'all') {
  const p = await startTestPipeline({ redisUrl: redis.url, config: testConfig({ psaUrl: fake.url }), role });
  running.push(p);
  return p;
}

beforeAll(async () => {
  // `always`: the kill -9 test needs an acknowledged add on disk; with `everysec` a busy disk can postpone the AOF
  // write by up to 2 s after the reply.
  redis = await startRedis({ appendfsync: 'always' });
  fake = new FakePsa();
  await fake.start();
  raw = new Redis(redis.url, { maxRetriesPerRequest: null });
  raw.on('error', () => undefined);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.close()));
  await raw.flushall();
});

afterAll(async () => {
  raw.disconnect();
  await fake.stop();
  await redis.close();
});

describe('ingest (API role)', () => {
  it('resolves only once the job is in Redis, and the job survives a Redis kill -9 (AOF)', async () => {
    const p = await start('api');
    const res = await p.pipeline.ingest(event('evt-1'));
    expect(res).toEqual({ eventId: `${INSTANCE}:evt-1`, duplicate: false });
    // Read straight from Redis with a separate connection: the job and its dedupe key are there.
    const jobId = await raw.get(`bull:events:de:${eventDedupeId(INSTANCE, 'evt-1')}`);
    expect(jobId).toMatch(/^e-/);
    expect(JSON.parse((await raw.hget(`bull:events:${jobId}`, 'data'))!)).toMatchObject({
      ticketId: '100',
      eventId: 'evt-1',
    });
    await p.close();
    running.length = 0;
    await redis.stop({ kill: true });
    await redis.start();
    const again = new Redis(redis.url);
    expect(await again.hget(`bull:events:${jobId}`, 'data')).not.toBeNull();
    expect(await again.lrange('bull:events:wait', 0, -1)).toContain(jobId);
    again.disconnect();
  });

  it('50 parallel identical deliveries create exactly one job', async () => {
    const p = await start('api');
    const results = await Promise.all(Array.from({ length: 50 }, () => p.pipeline.ingest(event('evt-burst'))));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.every((r) => r.eventId === `${INSTANCE}:evt-burst`)).toBe(true);
    expect(await p.queues.events.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('still answers duplicate after the job completed and was removed', async () => {
    fake.addTicket({ id: '200', queue: '2' });
    const p = await start('all');
    expect((await p.pipeline.ingest(event('evt-done', '200'))).duplicate).toBe(false);
    // The events job is processed and removed on completion; the ticket gets evaluated.
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, '200')) !== undefined);
    await waitFor(
      async () =>
        (await p.queues.events.getJobCounts('waiting', 'active', 'completed', 'delayed')).completed === 0 &&
        (await raw.lrange('bull:events:wait', 0, -1)).length === 0,
    );
    const fetchesBefore = fake.count('GET', '/tickets/200');
    const again = await p.pipeline.ingest(event('evt-done', '200'));
    expect(again.duplicate).toBe(true);
    expect(await p.queues.events.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
    await waitForDrained(p, 30_000, 'a wrongly enqueued evaluation of the duplicate to run');
    expect(fake.count('GET', '/tickets/200')).toBe(fetchesBefore);
  });

  it('keeps the dedupe key for dedupeTtl only (a redelivery after the TTL is a new event)', async () => {
    // 3 s: the redelivery and the TTL read below must land inside it even on a loaded machine (300 ms left no room).
    const ttlMs = 3_000;
    const p = await startTestPipeline({
      redisUrl: redis.url,
      config: testConfig({ psaUrl: fake.url, dedupeTtlMs: ttlMs }),
      role: 'api',
    });
    running.push(p);
    const key = `bull:events:de:${eventDedupeId(INSTANCE, 'evt-ttl')}`;
    expect((await p.pipeline.ingest(event('evt-ttl'))).duplicate).toBe(false);
    expect((await p.pipeline.ingest(event('evt-ttl'))).duplicate).toBe(true);
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(ttlMs);
    // Redis expires the key on its own clock: wait until it is gone instead of sleeping a guessed TTL.
    await waitFor(async () => (await raw.pttl(key)) === -2, 10_000, 100);
    expect((await p.pipeline.ingest(event('evt-ttl'))).duplicate).toBe(false);
  });

  it('fails fast with PipelineUnavailableError while Redis is down, and works again after', async () => {
    const p = await start('api');
    await redis.stop();
    try {
      const t0 = Date.now();
      await expect(p.pipeline.ingest(event('evt-down'))).rejects.toBeInstanceOf(PipelineUnavailableError);
      // Fails fast (the ingest's own 800 ms bound, no waiting for a reconnect); generous for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect((await p.pipeline.readiness()).redis).toBe(false);
    } finally {
      await redis.start();
    }
    await waitFor(async () => (await p.pipeline.readiness()).redis);
    const res = await waitFor(() => p.pipeline.ingest(event('evt-after')).catch(() => undefined));
    expect(res.duplicate).toBe(false);
    expect(await p.pipeline.readiness()).toEqual({ redis: true, workers: null });
  });
});
