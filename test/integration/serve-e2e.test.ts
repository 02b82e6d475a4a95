import { Writable } from 'node:stream';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseEnv } from '../../src/config/env.js';
import { connectors } from '../../src/connectors.js';
import { createLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/main.js';
import type { RunningService } from '../../src/main.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { signBody, testConnector } from '../helpers/test-connector.js';
import { FakePsa } from '../helpers/test-psa.js';
import { FAST_TUNING, INSTANCE, TEST_SECRET, quietLog, testConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

const ADMIN = 'a'.repeat(40);
let redis: TestRedis;
let fake: FakePsa;
let service: RunningService;

async function webhook(body: Record<string, unknown>, opts: { sign?: boolean } = {}) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${service.url}/webhooks/${INSTANCE}?ignored=1`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.sign === false ? {} : { 'x-test-signature': signBody(TEST_SECRET, raw) }),
    },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const api = async (path: string) => {
  const res = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url, ADMIN_TOKEN: ADMIN, DEBOUNCE_MS: '100' });
  if (!env.ok) throw new Error(env.error.join('; '));
  service = await startService({
    env: env.value,
    config: testConfig({ psaUrl: fake.url }),
    connectors: { ...connectors, connectwise: testConnector },
    log: quietLog() as never,
    pipeline: {
      tuning: FAST_TUNING,
      http: { minDelayMs: 5, maxDelayMs: 20 },
    },
  });
});

afterAll(async () => {
  await service.close();
  await fake.stop();
  await redis.close();
});

describe('serve end to end (real HTTP, real Redis, test connector)', () => {
  it('is ready: Redis answers, config loaded, workers consume', async () => {
    const ready = await waitFor(async () => {
      const r = await fetch(`${service.url}/readyz`);
      return r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
    });
    expect(ready).toMatchObject({ ready: true, checks: { redis: true, config: true, workers: true } });
  });

  it('webhook → 202 after enqueue → escalation written to the PSA and visible in /api', async () => {
    fake.addTicket({
      id: '500',
      queue: '1',
      title: 'VPN down',
      createdAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
    });
    const first = await webhook({ id: 'd-1', ticketId: '500', action: 'updated' });
    expect(first).toEqual({ status: 202, body: { accepted: true, eventId: `${INSTANCE}:d-1` } });
    const dup = await webhook({ id: 'd-1', ticketId: '500', action: 'updated' });
    expect(dup).toEqual({ status: 202, body: { accepted: true, eventId: `${INSTANCE}:d-1`, duplicate: true } });
    await waitFor(() => fake.tickets.get('500')!.queue === '2' && fake.tickets.get('500')!.notes.length > 0);
    expect(fake.tickets.get('500')!.notes).toHaveLength(1);
    const esc = await waitFor(async () => {
      const r = await api('/api/escalations?limit=5');
      return (r.body.items as unknown[]).length > 0 ? r : undefined;
    });
    expect((esc.body.items as Record<string, unknown>[])[0]).toMatchObject({
      ticketId: '500',
      instanceId: INSTANCE,
      mode: 'enforce',
    });
    const ticket = await api(`/api/tickets/${INSTANCE}/500`);
    expect(ticket.status).toBe(200);
    const inst = await api('/api/instances');
    expect((inst.body.items as Record<string, unknown>[])[0]).toMatchObject({ id: INSTANCE, psa: 'ok' });
  });

  it('echoes and unauthenticated deliveries enqueue nothing', async () => {
    fake.addTicket({ id: '501', queue: '2' });
    expect((await webhook({ id: 'd-echo', ticketId: '501', actor: 'escalator-api' })).body).toMatchObject({
      accepted: true,
      ignored: 'echo',
    });
    expect((await webhook({ id: 'd-unsigned', ticketId: '501' }, { sign: false })).status).toBe(401);
    // A wrongly enqueued job has run once the pipeline is drained.
    await waitForDrained(service.pipeline, 30_000, 'a wrongly enqueued job to run');
    expect(fake.count('GET', '/tickets/501')).toBe(0);
  });

  it('Redis stopped → webhook 503 fast and /readyz 503; Redis back → 202 and ready again', async () => {
    await redis.stop();
    try {
      const t0 = Date.now();
      const down = await webhook({ id: 'd-down', ticketId: '500' });
      // Fast = the ingest's own 800 ms bound, not a wait for the reconnect; generous for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(down.status).toBe(503);
      expect((down.body.error as { code: string }).code).toBe('unavailable');
      expect((await fetch(`${service.url}/readyz`)).status).toBe(503);
    } finally {
      await redis.start();
    }
    await waitFor(async () => (await fetch(`${service.url}/readyz`)).status === 200, 20_000, 200);
    expect((await webhook({ id: 'd-after', ticketId: '500' })).status).toBe(202);
  });
});

describe('external Redis (REDIS_URL)', () => {
  it('refuses a Redis whose maxmemory-policy is not noeviction (REDIS_UNSAFE_OK=1 starts with a warning), and says when hz makes the debounce late', async () => {
    const other = await startRedis();
    const admin = new Redis(other.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.config('SET', 'hz', '10');
    admin.disconnect();
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const refusedEnv = parseEnv({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: other.url });
    if (!refusedEnv.ok) throw new Error(refusedEnv.error.join('; '));
    const refused = await startService({
      env: refusedEnv.value,
      config: testConfig({ psaUrl: fake.url }),
      role: 'api',
      connectors: { ...connectors, connectwise: testConnector },
      log: createLogger({ level: 'silent' }),
    }).then(
      async (started) => {
        await started.close();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(refused?.message).toMatch(/maxmemory-policy is "allkeys-lru"/);
    const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: other.url, REDIS_UNSAFE_OK: '1' });
    if (!env.ok) throw new Error(env.error.join('; '));
    const s = await startService({
      env: env.value,
      config: testConfig({ psaUrl: fake.url }),
      role: 'api',
      connectors: { ...connectors, connectwise: testConnector },
      log: createLogger({ level: 'info', destination: sink }),
    });
    try {
      expect(lines.join('')).toContain('maxmemory-policy is \\"allkeys-lru\\" (must be noeviction');
      expect(lines.join('')).toContain(
        'Redis hz is 10: delayed jobs (the per-ticket debounce) may start up to 100 ms late',
      );
      expect(s.embedded).toBeUndefined();
    } finally {
      await s.close();
      await other.close();
    }
  });
});
