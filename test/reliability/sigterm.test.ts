import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

import { startChild } from './fixtures/child.js';

let redis: TestRedis;
let fake: FakePsa;
const pipelines: RunningPipeline[] = [];
const TICKETS = Array.from({ length: 8 }, (_, i) => `s${i}`);

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
});

afterAll(async () => {
  await Promise.all(pipelines.map((p) => p.close()));
  await fake.stop();
  await redis.close();
});

describe('SIGTERM with jobs in flight (a real child process)', () => {
  it('finishes in-flight evaluations, exits 0, and loses no acknowledged event', async () => {
    const created = new Date(Date.now() - 3 * 3_600_000).toISOString();
    for (const id of TICKETS) fake.addTicket({ id, queue: '1', createdAt: created, updatedAt: created });
    fake.fetchDelayMs = 700;
    const child = await startChild({ REDIS_URL: redis.url, PSA_URL: fake.url, ROLE: 'worker' });
    // The API half runs here; the worker half is the child.
    const api = await startTestPipeline({ redisUrl: redis.url, config: testConfig({ psaUrl: fake.url }), role: 'api' });
    pipelines.push(api);
    const acked: string[] = [];
    for (const [i, id] of TICKETS.entries()) {
      await api.pipeline.ingest({
        instanceId: INSTANCE,
        event: { eventId: `sig-${i}`, ticketId: id, action: 'updated' },
        receivedAt: Date.now(),
        requestId: `r${i}`,
      });
      acked.push(id);
    }
    // Wait until the child is mid-evaluation (fetches under way), then SIGTERM it.
    await waitFor(() => fake.count('GET', '/tickets/s') >= 2, 20_000, 20);
    const inFlight = new Set(fake.calls.filter((c) => c.method === 'GET').map((c) => c.path.split('/')[2]!));
    const t0 = Date.now();
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    // Evaluations that had started when the signal came were finished, not abandoned.
    for (const id of inFlight) {
      expect(fake.tickets.get(id)!.queue, `ticket ${id} was in flight`).toBe('2');
      expect(fake.tickets.get(id)!.notes).toHaveLength(1);
    }
    // Nothing acknowledged is lost: a new worker picks up what the first did not start.
    fake.fetchDelayMs = 0;
    const worker = await startTestPipeline({
      redisUrl: redis.url,
      config: testConfig({ psaUrl: fake.url }),
      role: 'worker',
    });
    pipelines.push(worker);
    await waitFor(
      () => acked.every((id) => fake.tickets.get(id)!.queue === '2' && fake.tickets.get(id)!.notes.length === 1),
      30_000,
      100,
    );
    await waitForDrained(worker, 30_000, 'every acknowledged event evaluated for good');
    for (const id of acked) {
      expect(fake.tickets.get(id)!.notes, id).toHaveLength(1);
      expect(fake.count('PATCH', `/tickets/${id}`), id).toBe(1);
    }
  });
});
