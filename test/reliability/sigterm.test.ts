import { describe, expect, it } from 'vitest';

import { usePsaSuite } from '../helpers/psa-suite.js';
import { INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

import { startChild } from './fixtures/child.js';

const suite = usePsaSuite();
const TICKETS = Array.from({ length: 8 }, (_, i) => `s${i}`);

describe('SIGTERM with jobs in flight (a real child process)', () => {
  it('finishes in-flight evaluations, exits 0, and loses no acknowledged event', async () => {
    const created = new Date(Date.now() - 3 * 3_600_000).toISOString();
    for (const id of TICKETS) suite.fake.addTicket({ id, queue: '1', createdAt: created, updatedAt: created });
    suite.fake.fetchDelayMs = 700;
    const child = await startChild({ REDIS_URL: suite.redis.url, PSA_URL: suite.fake.url, ROLE: 'worker' });
    // The API half runs here; the worker half is the child.
    const api = await startTestPipeline({
      redisUrl: suite.redis.url,
      config: testConfig({ psaUrl: suite.fake.url }),
      role: 'api',
    });
    suite.pipelines.push(api);
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
    await waitFor(() => suite.fake.count('GET', '/tickets/s') >= 2, 20_000, 20);
    const inFlight = new Set(suite.fake.calls.filter((c) => c.method === 'GET').map((c) => c.path.split('/')[2]!));
    const t0 = Date.now();
    child.proc.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    // Evaluations that had started when the signal came were finished, not abandoned.
    for (const id of inFlight) {
      expect(suite.fake.tickets.get(id)!.queue, `ticket ${id} was in flight`).toBe('2');
      expect(suite.fake.tickets.get(id)!.notes).toHaveLength(1);
    }
    // Nothing acknowledged is lost: a new worker picks up what the first did not start.
    suite.fake.fetchDelayMs = 0;
    const worker = await startTestPipeline({
      redisUrl: suite.redis.url,
      config: testConfig({ psaUrl: suite.fake.url }),
      role: 'worker',
    });
    suite.pipelines.push(worker);
    await waitFor(
      () =>
        acked.every(
          (id) => suite.fake.tickets.get(id)!.queue === '2' && suite.fake.tickets.get(id)!.notes.length === 1,
        ),
      30_000,
      100,
    );
    await waitForDrained(worker, 30_000, 'every acknowledged event evaluated for good');
    for (const id of acked) {
      expect(suite.fake.tickets.get(id)!.notes, id).toHaveLength(1);
      expect(suite.fake.count('PATCH', `/tickets/${id}`), id).toBe(1);
    }
  });
});
