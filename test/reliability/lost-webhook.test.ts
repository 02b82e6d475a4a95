import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningService } from '../../src/main.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, testConfig, waitFor } from '../helpers/test-pipeline.js';

import { api, sendWebhook, startTestService } from './fixtures/service.js';

/**
 * Must-show 4 (issue 8): a webhook is lost (ConnectWise never retries a 5xx and disables a failing callback), so a
 * ticket changes in the PSA and we are never told. The reconciliation sweep of the real service finds it and
 * escalates it within one `reconcileEvery` interval (jittered ±10 %) plus the evaluation itself.
 */
const EVERY_MS = 3_000;
let redis: TestRedis;
let fake: FakePsa;
let service: RunningService;

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
  service = await startTestService({
    config: testConfig({ psaUrl: fake.url, reconcileEveryMs: EVERY_MS }),
    redisUrl: redis.url,
    pipeline: { tuning: { reconcileStartDelayMs: 0 } },
  });
});

afterAll(async () => {
  await service.close();
  await fake.stop();
  await redis.close();
});

describe('lost webhook', () => {
  it('a ticket changed in the PSA without any webhook is escalated by the sweep within one interval', async () => {
    // Known ticket: delivered, evaluated, nothing to do (T2, no emergency words).
    fake.addTicket({ id: 'lw1', queue: '1', title: 'Outlook asks for the password' });
    expect(await sendWebhook(service.url, INSTANCE, { id: 'lw-ev-1', ticketId: 'lw1' })).toBe(202);
    await waitFor(async () => (await service.pipeline.stores.tickets.get(INSTANCE, 'lw1'))?.lastDecision);
    // Let a sweep pass over the unchanged ticket first: it must not be evaluated again for nothing.
    const sweeps = () => fake.calls.filter((c) => c.method === 'GET' && c.path === '/tickets').length;
    // (A sweep already in flight when the webhook's evaluation stored the version may still fetch once: count from
    // the first sweep that starts after it.)
    const before = sweeps();
    await waitFor(() => sweeps() >= before + 2, 3 * EVERY_MS, 50);
    const fetched = fake.count('GET', '/tickets/lw1');
    await waitFor(() => sweeps() >= before + 3, 3 * EVERY_MS, 50);
    expect(fake.count('GET', '/tickets/lw1')).toBe(fetched);

    // The customer writes "ransomware" into the ticket; the PSA's webhook for it never arrives.
    const changedAt = Date.now();
    fake.update('lw1', { description: 'Screen says files are encrypted, ransomware note on the desktop' });
    // The note is posted after the PATCH that moves the ticket: wait for both.
    await waitFor(
      () => fake.tickets.get('lw1')!.queue === '3' && fake.tickets.get('lw1')!.notes.length > 0,
      4 * EVERY_MS,
      20,
    );
    // Within one interval, counted in sweeps rather than wall-clock time (a loaded machine stretches the evaluation,
    // not the sweep cadence): the first sweep that listed after the change found it, and it was the one that kicked
    // the evaluation (no second sweep listed before the ticket was fetched).
    const listedAfter = fake.calls.filter((c) => c.method === 'GET' && c.path === '/tickets' && c.at >= changedAt);
    const fetchedAt = fake.calls.find((c) => c.method === 'GET' && c.path === '/tickets/lw1' && c.at >= changedAt)!.at;
    expect(listedAfter.filter((c) => c.at <= fetchedAt)).toHaveLength(1);
    // …and that sweep came on time (the claim's ±10 % jitter, plus the 100 ms poll and a loaded machine's slack).
    expect(listedAfter[0]!.at - changedAt).toBeLessThan(1.1 * EVERY_MS + 1_500);
    const { body } = await api<{ items: { ticketId: string; trigger?: string }[] }>(
      service.url,
      'GET',
      '/api/escalations?limit=5',
    );
    expect(body.items[0]).toMatchObject({ ticketId: 'lw1', trigger: 'reconcile' });
    expect(fake.tickets.get('lw1')!.notes).toHaveLength(1);
  }, 60_000);
});
