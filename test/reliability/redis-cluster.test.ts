import { Writable } from 'node:stream';

import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Queue } from 'bullmq';

import type { RunningService } from '../../src/main.js';
import { createIngest } from '../../src/pipeline/ingest/ingest.js';
import { PipelineUnavailableError } from '../../src/pipeline/types.js';
import { bullPrefix, createKeys } from '../../src/store/keys.js';
import { closeRedis, createRedis, scanKeys } from '../../src/store/redis.js';
import { CountersStore } from '../../src/store/counters-store.js';
import { startCluster } from '../helpers/redis-cluster.js';
import type { TestCluster } from '../helpers/redis-cluster.js';
import { FakePsa, waitForMovedWithOneNote } from '../helpers/test-psa.js';
import { expectOneMoveAndNoteEach } from '../helpers/test-psa-expect.js';
import { waitForEventsAndTicketsEmpty } from '../helpers/wait.js';
import { INSTANCE, testConfig, waitFor } from '../helpers/test-pipeline.js';

import { api, readyz, sendWebhook, startTestService } from './fixtures/service.js';

/**
 * Redis Cluster for real (issue 18): three masters of Debian's redis-server with `--cluster-enabled yes`, joined by
 * `redis-cli --cluster create`, the service connected through `REDIS_CLUSTER_NODES`. Our keys carry the `{esc}` hash
 * tag and BullMQ's the `{bull}` tag (docs/redis.md), so every MULTI and script runs in one slot; without the tags the
 * same operations fail with CROSSSLOT.
 */
let cluster: TestCluster;
let fake: FakePsa;
let service: RunningService | undefined;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
  fake = new FakePsa();
  await fake.start();
}, 90_000);

afterAll(async () => {
  await service?.close().catch(() => undefined);
  await fake?.stop();
  await cluster?.close();
});

const threeHoursAgo = () => new Date(Date.now() - 3 * 3_600_000).toISOString();

describe('Redis Cluster', () => {
  it('a multi-key script needs the hash tag: CROSSSLOT without it, one slot with it', async () => {
    const client = createRedis({ url: cluster.url, role: 'client', name: 'cluster-probe' });
    try {
      expect(client.isCluster).toBe(true);
      // The owner pick script reads and writes the owners and loads of one instance together (counters-store.ts).
      const untagged = new CountersStore(client, createKeys());
      await expect(untagged.setTicketOwner('probe', '1', 'alice')).rejects.toThrow(/CROSSSLOT/);
      const tagged = new CountersStore(client, createKeys({ hashTag: true }));
      await tagged.setTicketOwner('probe', '1', 'alice');
      expect(await client.hget(createKeys({ hashTag: true }).ticketOwners('probe'), '1')).toBe('alice');
    } finally {
      await closeRedis(client);
    }
  });

  it('webhook → escalation → one note, with REDIS_CLUSTER_NODES; serve names the topology; keys stay in their slots', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    for (const id of ids) fake.addTicket({ id, queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    service = await startTestService({
      config: testConfig({ psaUrl: fake.url }),
      env: { REDIS_CLUSTER_NODES: cluster.nodes },
      log: pino({ level: 'info' }, sink) as never,
    });
    const url = service.url;
    await waitFor(async () => (await readyz(url)) === 200 || undefined, 30_000, 100, '/readyz 200 on the Cluster');

    const serving = lines
      .map((l) => JSON.parse(l) as { msg?: string; redis?: string })
      .find((l) => l.msg === 'psa-escalator is serving');
    expect(serving?.redis).toBe(`cluster via 3 seed node(s) ${cluster.nodes}`);

    for (const id of ids) expect(await sendWebhook(url, INSTANCE, { id: `ev-${id}`, ticketId: id }), id).toBe(202);
    // A retried delivery is a duplicate (BullMQ deduplication keys, in the {bull} slot).
    expect(await sendWebhook(url, INSTANCE, { id: `ev-${ids[0]}`, ticketId: ids[0]! })).toBe(202);

    await waitForMovedWithOneNote(fake, ids);
    await waitForEventsAndTicketsEmpty(service.pipeline.queues);
    expectOneMoveAndNoteEach(fake, ids);

    // Read models: the audit indexes (MULTI over global and per-instance ZSETs) and the ticket list (SCAN per master).
    const escalations = await api<{ items: { ticketId: string }[] }>(url, 'GET', '/api/escalations?limit=100');
    expect(escalations.status).toBe(200);
    expect(new Set(escalations.body.items.map((e) => e.ticketId))).toEqual(new Set(ids));
    const listed = await api<{ total: number }>(url, 'GET', `/api/tickets?instance=${INSTANCE}&limit=100`);
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(ids.length);

    // Every key we and BullMQ wrote carries a hash tag, so it lives on the master of `{esc}` or of `{bull}`.
    const client = createRedis({ url: cluster.url, role: 'client', name: 'cluster-keys' });
    try {
      const all: string[] = [];
      for await (const batch of scanKeys(client, '*')) all.push(...batch);
      expect(all.length).toBeGreaterThan(ids.length);
      expect(all.filter((k) => !k.startsWith('{esc}:') && !k.startsWith('{bull}:'))).toEqual([]);
      expect(all.some((k) => k.startsWith('{esc}:t:'))).toBe(true);
      expect(all.some((k) => k.startsWith('{bull}:events:'))).toBe(true);
      expect(await cluster.ownerOf('{esc}:t:x')).toBe(await cluster.ownerOf('{esc}'));
    } finally {
      await closeRedis(client);
    }
  }, 150_000);

  it('one master that evicts keys → serve refuses to start on the Cluster (the weakest master counts)', async () => {
    const port = cluster.ports[2]!;
    const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      await node.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const error = await startTestService({
        config: testConfig({ psaUrl: fake.url }),
        env: { REDIS_CLUSTER_NODES: cluster.nodes },
      }).then(
        async (s) => {
          await s.close();
          return undefined;
        },
        (e: unknown) => e as Error,
      );
      expect(error, 'serve started against a Cluster with an evicting master').toBeInstanceOf(Error);
      expect(error!.message).toMatch(/maxmemory-policy is "allkeys-lru"/);
    } finally {
      await node.config('SET', 'maxmemory-policy', 'noeviction');
      node.disconnect();
    }
  }, 60_000);

  it('REDIS_WAIT_REPLICAS=1 on a Cluster whose masters have no replica: the webhook is not acknowledged (503)', async () => {
    const connection = createRedis({ url: cluster.url, role: 'producer', name: 'wait-probe' });
    const events = new Queue('events', { connection, prefix: bullPrefix(true) });
    try {
      const ingest = createIngest({ events, dedupeTtlMs: 60_000, waitReplicas: 1, timeoutMs: 300 });
      const event = { ticketId: '1', action: 'updated' as const, eventId: 'nw1' };
      await expect(ingest({ instanceId: 'i', event, receivedAt: Date.now(), requestId: 'r' })).rejects.toBeInstanceOf(
        PipelineUnavailableError,
      );
    } finally {
      await events.close();
      await closeRedis(connection);
    }
  });
});

describe('Redis Cluster with a replica per master', () => {
  let replicated: TestCluster | undefined;
  afterAll(async () => {
    await replicated?.close();
  });

  it("REDIS_WAIT_REPLICAS=1: acknowledged once a replica holds the job; the {bull} master's replica frozen → 503 (WAIT goes to that master)", async () => {
    replicated = await startCluster({ masters: 3, replicas: 1 });
    const connection = createRedis({ url: replicated.url, role: 'producer', name: 'wait-probe' });
    const events = new Queue('events', { connection, prefix: bullPrefix(true) });
    try {
      const ingest = createIngest({ events, dedupeTtlMs: 60_000, waitReplicas: 1, timeoutMs: 1_000 });
      const send = (id: string) =>
        ingest({
          instanceId: 'i',
          event: { ticketId: id, action: 'updated' as const, eventId: id },
          receivedAt: Date.now(),
          requestId: 'r',
        });
      for (let i = 0; i < 5; i++) await expect(send(`w${i}`)).resolves.toMatchObject({ duplicate: false });
      expect(await events.count()).toBe(5);
      // The replica of the {bull} master stops: the other masters' replicas are fine, so only a WAIT sent to the
      // right master notices. Each delivery is refused (503) rather than acknowledged unreplicated.
      const resume = await replicated.freezeReplicasOf('{bull}');
      try {
        for (let i = 0; i < 5; i++) await expect(send(`f${i}`)).rejects.toBeInstanceOf(PipelineUnavailableError);
      } finally {
        resume();
      }
      // Replication catches up: the retried deliveries are acknowledged (as duplicates when the job was written).
      await waitFor(
        async () =>
          (await send('f0').then(
            () => true,
            () => false,
          )) || undefined,
        30_000,
        200,
        'a delivery acknowledged after the replica resumed',
      );
    } finally {
      await events.close();
      await closeRedis(connection);
    }
  }, 120_000);
});
