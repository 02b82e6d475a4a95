import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningService } from '../../src/main.js';
import { Queue } from 'bullmq';

import { createIngest } from '../../src/pipeline/ingest/ingest.js';
import { PipelineUnavailableError } from '../../src/pipeline/types.js';
import { closeRedis, createRedis } from '../../src/store/redis.js';
import { startRedis } from '../helpers/redis.js';
import { startSentinel } from '../helpers/redis-sentinel.js';
import type { TestSentinel } from '../helpers/redis-sentinel.js';
import { FakePsa, waitForMovedWithOneNote } from '../helpers/test-psa.js';
import { expectOneMoveAndNoteEach } from '../helpers/test-psa-expect.js';
import { waitForEventsAndTicketsEmpty } from '../helpers/wait.js';
import { INSTANCE, sleep, testConfig, waitFor } from '../helpers/test-pipeline.js';

import { readyz, sendWebhook, startTestService } from './fixtures/service.js';

/**
 * Redis Sentinel for real (issue 18): a master, two replicas and three sentinels (Debian's redis-server), the service
 * connected through the sentinels. The master is killed with -9 in the middle of a webhook burst: the sentinels
 * promote a replica, the service follows by itself, and every acknowledged event is escalated exactly once — the
 * webhook answers 202 only after a replica holds the job (Redis WAIT, default with Sentinel), so the promoted
 * replica has every acknowledged event.
 */
let sentinel: TestSentinel;
let fake: FakePsa;
let service: RunningService | undefined;

beforeAll(async () => {
  sentinel = await startSentinel({ replicas: 2 });
  fake = new FakePsa();
  await fake.start();
}, 60_000);

afterAll(async () => {
  await service?.close().catch(() => undefined);
  await fake.stop();
  await sentinel.close();
});

const threeHoursAgo = () => new Date(Date.now() - 3 * 3_600_000).toISOString();

describe('Redis Sentinel', () => {
  it('connects through the sentinels to the master (redis+sentinel:// target)', async () => {
    const client = createRedis({ url: sentinel.url, role: 'client', name: 'sentinel-probe' });
    try {
      await client.set('probe', '1');
      expect(await client.get('probe')).toBe('1');
      expect(Number(/tcp_port:(\d+)/.exec(await client.info('server'))?.[1])).toBe(await sentinel.masterPort());
      expect(Number(/connected_slaves:(\d+)/.exec(await client.info('replication'))?.[1])).toBe(2);
    } finally {
      await closeRedis(client);
    }
  });

  it('a webhook no replica holds is not acknowledged (WAIT): 503, so a failover cannot lose it', async () => {
    const lone = await startRedis();
    const connection = createRedis({ url: lone.url, role: 'producer', name: 'wait-probe' });
    const events = new Queue('events', { connection });
    try {
      const event = { ticketId: '1', action: 'updated' as const, eventId: 'w1' };
      const ingestWait = createIngest({ events, dedupeTtlMs: 60_000, waitReplicas: 1, timeoutMs: 300 });
      await expect(
        ingestWait({ instanceId: 'i', event, receivedAt: Date.now(), requestId: 'r' }),
      ).rejects.toBeInstanceOf(PipelineUnavailableError);
      const ingestNoWait = createIngest({ events, dedupeTtlMs: 60_000, waitReplicas: 0, timeoutMs: 300 });
      await expect(
        ingestNoWait({ instanceId: 'i', event: { ...event, eventId: 'w2' }, receivedAt: Date.now(), requestId: 'r' }),
      ).resolves.toMatchObject({ duplicate: false });
    } finally {
      await events.close();
      await closeRedis(connection);
      await lone.close();
    }
  });

  it('failover (master killed -9) mid-burst: every acknowledged webhook escalated exactly once, ready again by itself', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);
    for (const id of ids) fake.addTicket({ id, queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    service = await startTestService({ config: testConfig({ psaUrl: fake.url }), redisUrl: sentinel.url });
    const url = service.url;
    await waitFor(async () => (await readyz(url)) === 200, 30_000, 100);

    const statuses: number[] = [];
    const acked = new Set<string>();
    // The PSA: 4 deliveries in flight, each retried until acknowledged (PSAs retry non-2xx answers).
    const queue = [...ids];
    const sender = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          for (;;) {
            const status = await sendWebhook(url, INSTANCE, { id: `ev-${id}`, ticketId: id });
            statuses.push(status);
            if (status === 202) break;
            await sleep(200);
          }
          acked.add(id);
          await sleep(50);
        }
      }),
    );
    await waitFor(
      () => (acked.size >= 12 ? true : undefined),
      30_000,
      20,
      'the first 12 acknowledgements before the failover',
    );
    const oldMaster = await sentinel.killMaster();
    await waitFor(
      async () => ((await sentinel.masterPort().catch(() => oldMaster)) !== oldMaster ? true : undefined),
      30_000,
      200,
      'the sentinels to promote a replica',
    );
    await sender;

    expect(acked.size).toBe(ids.length);
    expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    let lastReady = '';
    await waitFor(
      async () => {
        const res = await fetch(`${url}/readyz`);
        lastReady = `${res.status} ${await res.text()}`;
        return res.status === 200 || undefined;
      },
      45_000,
      200,
      () => `/readyz 200 after the failover (last: ${lastReady})`,
    );
    await waitForMovedWithOneNote(fake, ids).catch(async (e: unknown) => {
      // Say where the missing ones are: a job BullMQ failed (stalled twice) or still waiting, or none at all (lost).
      const q = service!.pipeline.queues;
      const jobs = await Promise.all(
        [q.events, q.tickets].map(async (queue) =>
          (await queue.getJobs(['failed', 'active', 'wait', 'delayed', 'prioritized', 'waiting-children'])).map(
            (j) => `${queue.name}:${j.id} ${JSON.stringify(j.data)} ${j.failedReason ?? ''}`,
          ),
        ),
      );
      throw new Error(`${(e as Error).message}; jobs: ${jobs.flat().join(' | ') || 'none'}`);
    });
    // Nothing further in flight for these tickets: wait for the queues to drain before counting writes.
    await waitForEventsAndTicketsEmpty(service.pipeline.queues);
    expectOneMoveAndNoteEach(fake, ids);
  }, 150_000);
});
