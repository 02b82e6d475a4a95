import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningService } from '../../src/main.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { expectOneMoveAndNoteEach } from '../helpers/test-psa-expect.js';
import { INSTANCE, testConfig } from '../helpers/test-pipeline.js';
import { sleep, waitFor, waitForDrained, waitForDrainedAt } from '../helpers/wait.js';

import { startChild, terminate } from './fixtures/child.js';
import type { Child } from './fixtures/child.js';
import { readyz, sendWebhook, startTestService } from './fixtures/service.js';

/**
 * Must-show 2 (issue 8): Redis dies (kill -9, AOF everysec) and stays down for more than 10 s while a PSA keeps
 * delivering webhooks (retrying each until it gets a 2xx, as PSAs do). The service is a real child process.
 * During the outage webhooks and /readyz answer 503; afterwards the workers resume by themselves (bullmq#4585 is
 * about workers that stay silent after an outage longer than drainDelay + 1 s, 6 s here) and every acknowledged
 * delivery is escalated exactly once. Then: with embedded Redis, a redis-server child that crashes is restarted.
 */
let redis: TestRedis;
let fake: FakePsa;
let child: Child | undefined;
let embeddedService: RunningService | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'psa-esc-embedded-'));

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
});

afterAll(async () => {
  if (child && child.proc.exitCode === null) {
    await terminate(child);
  }
  await embeddedService?.close();
  await fake.stop();
  await redis.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const threeHoursAgo = () => new Date(Date.now() - 3 * 3_600_000).toISOString();

/** Delivers one event until it is acknowledged; records every status it saw. */
async function deliverUntilAcked(url: string, id: string, ticketId: string, statuses: number[]): Promise<void> {
  for (;;) {
    const status = await sendWebhook(url, INSTANCE, { id, ticketId });
    statuses.push(status);
    if (status === 202) return;
    await sleep(250);
  }
}

describe('Redis restarted while webhooks arrive', () => {
  it('outage > 10 s: 503 on webhooks and /readyz during it, workers resume, no acknowledged event lost or doubled', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `r${i}`);
    for (const id of ids) fake.addTicket({ id, queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    child = await startChild({ REDIS_URL: redis.url, PSA_URL: fake.url, ROLE: 'all' });
    const url = child.url;
    await waitFor(async () => (await readyz(url)) === 200, 20_000, 100);

    const statuses: number[] = [];
    let outageStarted = 0;
    let outageEnded = 0;
    const readyDuringOutage: number[] = [];
    // The PSA: 4 deliveries in flight at a time, each retried until acknowledged.
    const queue = [...ids.entries()];
    const sender = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [i, id] = next;
          await deliverUntilAcked(url, `ev-${i}`, id, statuses);
          await sleep(100);
        }
      }),
    );
    await waitFor(() => statuses.filter((s) => s === 202).length >= 20, 20_000, 20);
    await redis.stop({ kill: true });
    outageStarted = Date.now();
    while (Date.now() - outageStarted < 12_000) {
      readyDuringOutage.push(await readyz(url));
      await sleep(1_000);
    }
    const during = statuses.length;
    await redis.start();
    outageEnded = Date.now();
    await sender;

    expect(readyDuringOutage.length).toBeGreaterThanOrEqual(5);
    expect(readyDuringOutage.every((s) => s === 503)).toBe(true);
    expect(statuses.slice(0, during)).toContain(503);
    expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    // The workers came back by themselves: ready again, and every acknowledged delivery was escalated once.
    await waitFor(async () => (await readyz(url)) === 200, 30_000, 200);
    await waitFor(
      () => ids.every((id) => fake.tickets.get(id)!.queue === '2' && fake.tickets.get(id)!.notes.length === 1),
      60_000,
      200,
    );
    expect(Date.now() - outageEnded).toBeLessThan(60_000);
    await waitForDrainedAt(redis.url, 30_000, 'the child service to finish every acknowledged event');
    expectOneMoveAndNoteEach(fake, ids);
    expect((await terminate(child)).code).toBe(0);
  }, 120_000);

  it('embedded Redis: a redis-server child killed with -9 is restarted and the service carries on without losing the acknowledged event', async () => {
    fake.addTicket({ id: 'e1', queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    fake.addTicket({ id: 'e2', queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    // Slow reads: the first event is acknowledged but still being processed when Redis dies.
    fake.fetchDelayMs = 1_500;
    embeddedService = await startTestService({ config: testConfig({ psaUrl: fake.url }), dataDir });
    const embedded = embeddedService.embedded!;
    expect(embedded).toBeDefined();
    const url = embeddedService.url;
    await waitFor(async () => (await readyz(url)) === 200, 20_000, 100);
    expect(await sendWebhook(url, INSTANCE, { id: 'emb-1', ticketId: 'e1' })).toBe(202);
    const firstPid = embedded.pid();
    process.kill(firstPid!, 'SIGKILL');
    await waitFor(() => embedded.restarts() === 1 && embedded.pid() !== firstPid, 20_000, 50);
    fake.fetchDelayMs = 0;
    await waitFor(async () => (await readyz(url)) === 200, 30_000, 200);
    expect(await sendWebhook(url, INSTANCE, { id: 'emb-2', ticketId: 'e2' })).toBe(202);
    await waitFor(
      () => ['e1', 'e2'].every((id) => fake.tickets.get(id)!.queue === '2' && fake.tickets.get(id)!.notes.length === 1),
      30_000,
      100,
    );
    await waitForDrained(embeddedService.pipeline, 30_000, 'every evaluation after the Redis restart');
    expect(fake.tickets.get('e1')!.notes).toHaveLength(1);
    expect(fake.count('PATCH', '/tickets/e1')).toBe(1);
  }, 90_000);
});
