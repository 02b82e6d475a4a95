import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { AppConfig } from '../../src/config/types.js';
import type { RunningService } from '../../src/main.js';
import type { DeadLetter } from '../../src/store/models.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { TestSettingsSchema } from '../helpers/test-connector.js';
import { FakePsa } from '../helpers/test-psa.js';
import { expectOneMoveAndNoteEach } from '../helpers/test-psa-expect.js';
import type { Failure } from '../helpers/test-psa.js';
import { INSTANCE, testConfig } from '../helpers/test-pipeline.js';
import { sleep, waitFor, waitForDrained } from '../helpers/wait.js';

import { api, sendWebhook, startTestService } from './fixtures/service.js';

/**
 * Must-show 3 (issue 8), through the real service (HTTP webhooks in, admin API, pipeline, Redis, the outbound client,
 * the shared limiter) against fake PSAs on loopback:
 * - a PSA answering 429 + Retry-After for 60 s, then 200: no write lost, calls within the instance's budget, and a
 *   second instance (another PSA) keeps flowing meanwhile;
 * - a PSA answering 500s: retried with backoff, then dead-lettered, then retried from the API and applied.
 */
const OTHER = 'beta';
const BUDGET = { requests: 20, per: 5_000 };
const STORM_MS = 60_000;
const RETRY_AFTER_S = 10;

let redis: TestRedis;
let fakeA: FakePsa;
let fakeB: FakePsa;
let service: RunningService | undefined;

function twoPsas(): AppConfig {
  const config = testConfig({ psaUrl: fakeA.url, moreInstances: [OTHER], rateLimit: BUDGET });
  const [a, b] = config.instances;
  return {
    ...config,
    instances: [
      a!,
      { ...b!, settings: TestSettingsSchema.parse({ baseUrl: fakeB.url, secret: 'test-webhook-secret-0123456789' }) },
    ],
  };
}

const threeHoursAgo = () => new Date(Date.now() - 3 * 3_600_000).toISOString();

/** Every request to the fake fails as scripted until `times` is set to 0. */
function failEverything(fake: FakePsa, status: number, headers?: Record<string, string>): Failure[] {
  const all = ['GET', 'PATCH', 'POST'].map((method) => ({
    method,
    path: '/tickets',
    status,
    times: 1e9,
    ...(headers ? { headers } : {}),
  }));
  fake.failures.push(...all);
  return all;
}

/** Most calls seen in any window of `per` ms. */
function busiestWindow(times: number[], per: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= per) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  await service?.close();
  service = undefined;
  await Promise.all([fakeA.stop(), fakeB.stop()]);
  const { Redis } = await import('ioredis');
  const r = new Redis(redis.url);
  await r.flushall();
  r.disconnect();
});

afterAll(async () => {
  await redis.close();
});

async function fresh(): Promise<RunningService> {
  fakeA = new FakePsa();
  fakeB = new FakePsa();
  await Promise.all([fakeA.start(), fakeB.start()]);
  // Long BullMQ locks: these tests count PSA calls exactly, and with the 2 s test lock a loaded machine can miss a
  // renewal, so the job is taken for stalled and re-run (extra, legitimate calls). Worker death is not tested here.
  service = await startTestService({
    config: twoPsas(),
    redisUrl: redis.url,
    pipeline: { tuning: { lockDurationMs: 30_000, stalledIntervalMs: 15_000 } },
  });
  return service;
}

describe('PSA faults through the real service', () => {
  it('429 with Retry-After for 60 s then 200: no write lost, within budget, the other instance keeps flowing', async () => {
    const s = await fresh();
    const idsA = Array.from({ length: 6 }, (_, i) => `a${i}`);
    for (const id of idsA) fakeA.addTicket({ id, queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    const storm = failEverything(fakeA, 429, { 'retry-after': String(RETRY_AFTER_S) });
    const stormStart = Date.now();
    for (const [i, id] of idsA.entries())
      expect(await sendWebhook(s.url, INSTANCE, { id: `a-ev-${i}`, ticketId: id })).toBe(202);

    // Meanwhile the other instance's tickets arrive one by one and are escalated promptly, each of them
    // (more tickets of the throttled instance than worker slots: none of them may hold a slot while it waits).
    const latencies: number[] = [];
    for (let i = 0; Date.now() - stormStart < STORM_MS - 8_000; i++) {
      const id = `b${i}`;
      fakeB.addTicket({ id, queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
      const t0 = Date.now();
      expect(await sendWebhook(s.url, OTHER, { id: `b-ev-${i}`, ticketId: id })).toBe(202);
      await waitFor(() => fakeB.tickets.get(id)!.queue === '2' && fakeB.tickets.get(id)!.notes.length === 1, 8_000, 25);
      latencies.push(Date.now() - t0);
      // 1.5 s apart: ≥ 10 tickets fit in the storm even when each escalation takes a few seconds on a loaded machine,
      // and 4 calls per ticket stay under the other instance's budget (20 per 5 s).
      await sleep(1_500);
    }
    expect(latencies.length).toBeGreaterThanOrEqual(10);
    // Still throttled: nothing of the first instance got through, and nothing was given up on.
    expect(idsA.every((id) => fakeA.tickets.get(id)!.queue === '1')).toBe(true);
    expect((await api<{ items: DeadLetter[] }>(s.url, 'GET', '/api/dead-letters')).body.items).toHaveLength(0);

    await sleep(Math.max(0, stormStart + STORM_MS - Date.now()));
    for (const f of storm) f.times = 0;
    const stormEnd = Date.now();
    // Every write lands exactly once after the storm.
    await waitFor(
      () => idsA.every((id) => fakeA.tickets.get(id)!.queue === '2' && fakeA.tickets.get(id)!.notes.length === 1),
      30_000,
      100,
    );
    // Nothing waiting or running any more; a note's settle re-check may stay parked for the PSA's commit delay
    // (60 s): it finds the note by its marker and writes nothing, which the counts below would show.
    await waitForDrained(service!.pipeline, 30_000, 'every ticket of the storm evaluated for good', { delayed: false });
    expectOneMoveAndNoteEach(fakeA, idsA, stormEnd);
    // Retry-After was honoured: about one round of calls per pause, never more than the budget in any window.
    const during = fakeA.calls.filter((c) => c.at < stormEnd);
    expect(during.length).toBeLessThanOrEqual(idsA.length * (STORM_MS / (RETRY_AFTER_S * 1_000) + 1));
    // The limiter counts when a call is granted; arrival at the fake is later by a few ms, more on a loaded machine
    // (1 s allowed for that: still far below what an unthrottled burst of these calls would show).
    expect(
      busiestWindow(
        fakeA.calls.map((c) => c.at),
        BUDGET.per - 1_000,
      ),
    ).toBeLessThanOrEqual(BUDGET.requests);
    expect((await api<{ items: DeadLetter[] }>(s.url, 'GET', '/api/dead-letters')).body.items).toHaveLength(0);
  }, 150_000);

  it('500s: retried with backoff, then dead-lettered; POST /api/dead-letters/:id/retry applies the new decision', async () => {
    const s = await fresh();
    fakeA.addTicket({ id: 'f1', queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    const outage = failEverything(fakeA, 500);
    outage.find((f) => f.method === 'GET')!.times = 0; // reads work; every write answers 500
    expect(await sendWebhook(s.url, INSTANCE, { id: 'f-ev-1', ticketId: 'f1' })).toBe(202);

    const letter = await waitFor(
      async () => (await api<{ items: DeadLetter[] }>(s.url, 'GET', '/api/dead-letters')).body.items[0],
      30_000,
      100,
    );
    expect(letter).toMatchObject({ instanceId: INSTANCE, ticketId: 'f1', error: { code: 'psa_unavailable' } });
    expect(letter.actions.map((a) => (a as { type: string }).type)).toEqual(['reassign', 'note']);
    // HTTP-level retries of the idempotent PATCH, inside each of the job's 6 attempts; attempts spaced by a growing backoff.
    const patches = fakeA.calls.filter((c) => c.method === 'PATCH').map((c) => c.at);
    expect(patches).toHaveLength(6 * 4);
    const attemptStarts = patches.filter((_, i) => i % 4 === 0);
    const gaps = attemptStarts.slice(1).map((t, i) => t - attemptStarts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]!);
    // A note is never blind-retried: none was posted (the write failed first), nothing is half-applied.
    expect(fakeA.tickets.get('f1')).toMatchObject({ queue: '1', notes: [] });
    const [audit] = (
      await api<{ items: { results: { status: string }[] }[] }>(s.url, 'GET', '/api/escalations?limit=5')
    ).body.items;
    expect(audit!.results.map((r) => r.status)).toEqual(['dead_letter', 'dead_letter']);

    for (const f of outage) f.times = 0;
    expect((await api(s.url, 'POST', '/api/dead-letters/nope/retry')).status).toBe(404);
    expect((await api(s.url, 'POST', `/api/dead-letters/${letter.id}/retry`)).status).toBe(202);
    await waitFor(
      () => fakeA.tickets.get('f1')!.queue === '2' && fakeA.tickets.get('f1')!.notes.length === 1,
      15_000,
      50,
    );
    // The audit results are written after the last PSA write: wait for them rather than sleep.
    const retried = await waitFor(
      async () => {
        const [entry] = (
          await api<{ items: { trigger?: string; results: { status: string }[] }[] }>(
            s.url,
            'GET',
            '/api/escalations?limit=5',
          )
        ).body.items;
        return entry?.trigger === 'dead_letter_retry' && entry.results.length > 0 ? entry : undefined;
      },
      15_000,
      50,
    );
    await waitForDrained(service!.pipeline, 30_000, 'the dead-letter retry to finish');
    expect(fakeA.tickets.get('f1')!.notes).toHaveLength(1);
    expect((await api<{ items: DeadLetter[] }>(s.url, 'GET', '/api/dead-letters')).body.items).toHaveLength(0);
    expect(retried.results.map((r) => r.status)).toEqual(['applied', 'applied']);
  }, 60_000);
});
