import type { AddressInfo } from 'node:net';

import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/http/app.js';
import { eventDedupeId } from '../../src/pipeline/queue/queues.js';
import { ADMIN_TOKEN, testEnv } from '../helpers/build.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { signBody } from '../helpers/test-connector.js';
import {
  INSTANCE,
  startTestPipeline,
  TEST_SECRET,
  testConfig,
  testConnectors,
  waitFor,
} from '../helpers/test-pipeline.js';
import { FakePsa } from '../helpers/test-psa.js';

// End to end through real HTTP: the real app over the real pipeline on a real Redis, with a fake PSA behind the
// test connector. Webhook → durable job → worker → engine → write-back → /api read models.

let redis: TestRedis;
let fake: FakePsa;
let raw: Redis;
const cleanup: (() => Promise<void>)[] = [];
let seq = 0;

async function serve(role: 'all' | 'api') {
  const config = testConfig({ psaUrl: fake.url });
  const p = await startTestPipeline({ redisUrl: redis.url, config, role });
  const connectors = { ...testConnectors, autotask: testConnectors.connectwise, halo: testConnectors.connectwise };
  const app: FastifyInstance = buildApp(
    {
      config,
      env: testEnv(),
      connectors,
      contextFor: (id) => p.runtimes.contextFor(id),
      pipeline: p.pipeline,
      read: p.read,
      metrics: p.metrics,
      log: pino({ level: 'silent' }),
      role,
    },
    { readinessTimeoutMs: 500 },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanup.push(async () => {
    await app.close();
    await p.close();
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { p, base };
}

const delivery = (ticketId: string, id = `evt-${++seq}`) => {
  const body = JSON.stringify({ id, ticketId, action: 'updated' });
  return { id, body, headers: { 'content-type': 'application/json', 'x-test-signature': signBody(TEST_SECRET, body) } };
};
const postWebhook = (base: string, d: { body: string; headers: Record<string, string> }) =>
  fetch(`${base}/webhooks/${INSTANCE}`, { method: 'POST', body: d.body, headers: d.headers });
const api = (base: string, path: string) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
  raw = new Redis(redis.url, { maxRetriesPerRequest: null });
  raw.on('error', () => undefined);
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await raw.flushall();
});

afterAll(async () => {
  raw.disconnect();
  await fake.stop();
  await redis.close();
});

describe('webhook → Redis (api role)', () => {
  it('the job and its dedupe key are in Redis when the 202 arrives; a duplicate adds nothing; failures store nothing', async () => {
    const { base } = await serve('api');
    const d = delivery('100');
    const res = await postWebhook(base, d);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, eventId: `${INSTANCE}:${d.id}` });
    const jobId = await raw.get(`bull:events:de:${eventDedupeId(INSTANCE, d.id)}`);
    expect(jobId).toBeTruthy();
    expect(JSON.parse((await raw.hget(`bull:events:${jobId}`, 'data'))!)).toMatchObject({
      ticketId: '100',
      eventId: d.id,
    });

    const again = await postWebhook(base, d);
    expect(await again.json()).toEqual({ accepted: true, eventId: `${INSTANCE}:${d.id}`, duplicate: true });
    const keysBefore = (await raw.keys('*')).sort();

    const tampered = delivery('101');
    expect((await postWebhook(base, { ...tampered, body: `${tampered.body} ` })).status).toBe(401);
    expect(
      (await fetch(`${base}/webhooks/nope`, { method: 'POST', body: tampered.body, headers: tampered.headers })).status,
    ).toBe(404);
    const notJson = 'not json';
    expect(
      (await postWebhook(base, { body: notJson, headers: { 'x-test-signature': signBody(TEST_SECRET, notJson) } }))
        .status,
    ).toBe(400);
    expect((await raw.keys('*')).sort()).toEqual(keysBefore.filter((k) => !k.includes('heartbeat')));
  });

  it('Redis down → webhooks 503 and /readyz 503; Redis back → 202 and ready again', async () => {
    const { base } = await serve('api');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await redis.stop();
    const res = await postWebhook(base, delivery('200'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    await redis.start();
    // (ioredis reconnects by itself: no restart of the app or the pipeline)
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 15_000, 200);
    expect((await postWebhook(base, delivery('200'))).status).toBe(202);
  });
});

describe('webhook → worker → PSA → /api (all role)', () => {
  it('an emergency ticket is escalated and shows up in /api/escalations and /api/tickets', async () => {
    fake.addTicket({ id: '9', queue: '1', title: 'Ransomware on file server', priority: 3 });
    const { base } = await serve('all');
    expect((await postWebhook(base, delivery('9'))).status).toBe(202);
    await waitFor(() => fake.tickets.get('9')?.queue === '3', 15_000);
    expect(fake.tickets.get('9')).toMatchObject({ queue: '3', priority: 1 });

    const page = await waitFor(async () => {
      const body = (await (await api(base, `/api/escalations?instance=${INSTANCE}`)).json()) as {
        items: { ticketId: string; results: unknown[] }[];
      };
      return body.items.length > 0 && body.items[0]!.results.length > 0 ? body : undefined;
    });
    expect(page.items[0]).toMatchObject({ instanceId: INSTANCE, ticketId: '9', mode: 'enforce', trigger: 'webhook' });
    const view = await api(base, `/api/tickets/${INSTANCE}/9`);
    expect(view.status).toBe(200);
    const body = (await view.json()) as { ticket: { title: string }; decisions: unknown[] };
    expect(body.ticket.title).toBe('Ransomware on file server');
    expect(body.decisions.length).toBeGreaterThan(0);
    expect((await api(base, `/api/tickets/${INSTANCE}/404`)).status).toBe(404);
    const instances = (await (await api(base, '/api/instances')).json()) as { items: { id: string }[] };
    expect(instances.items.map((i) => i.id)).toContain(INSTANCE);
  });
});
