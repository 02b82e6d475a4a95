import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

import { usePsaSuite } from '../helpers/psa-suite.js';
import { INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

const suite = usePsaSuite();
// Each test starts its own pipelines: none may consume the next test's jobs.
afterEach(async () => {
  await Promise.all(suite.pipelines.splice(0).map((p) => p.close()));
});

/**
 * A bare BullMQ worker on `queue` whose processor never returns (a worker that dies mid-job): once it holds a job that
 * is not a heartbeat, it is force-closed, so the job's lock lapses and the next stalled check moves it back.
 */
async function stallOnce(queue: string, prefix: string | undefined, want: (job: Job) => boolean): Promise<string> {
  const connection = new Redis(suite.redis.url, { maxRetriesPerRequest: null });
  let held: Job | undefined;
  const w = new Worker(
    queue,
    async (job) => {
      if (!want(job)) return 'skipped';
      held = job;
      return new Promise<never>(() => undefined);
    },
    { connection, prefix, lockDuration: 2_000, stalledInterval: 1_000, maxStalledCount: 1, concurrency: 1 },
  );
  const job = await waitFor(() => held, 30_000, 100, `a ${queue} job to become active on the doomed worker`);
  await w.close(true);
  connection.disconnect();
  return job.id!;
}

describe('a job that stalls more than maxStalledCount', () => {
  it.each(['events', 'tickets'] as const)(
    'a %s job failed by the stall limit becomes a dead letter of its ticket, and its retry evaluates the ticket',
    async (queue) => {
      const ticketId = `st-${queue}`;
      const created = new Date(Date.now() - 3 * 3_600_000).toISOString();
      suite.fake.addTicket({ id: ticketId, queue: '1', createdAt: created, updatedAt: created });
      const config = testConfig({ psaUrl: suite.fake.url });
      const api = await startTestPipeline({ redisUrl: suite.redis.url, config, role: 'api' });
      suite.pipelines.push(api);
      if (queue === 'events')
        await api.pipeline.ingest({
          instanceId: INSTANCE,
          event: { eventId: `${ticketId}-1`, ticketId, action: 'updated' },
          receivedAt: Date.now(),
          requestId: ticketId,
        });
      else
        await api.queues.tickets.add(
          'ticket',
          { instanceId: INSTANCE, ticketId, trigger: 'webhook', enqueuedAt: Date.now() },
          { attempts: 5 },
        );
      // A backfill listed the ticket (and kicked it): its outcome, whatever it is, must count toward the backfill.
      const startedAt = new Date().toISOString();
      await api.stores.backfill.start(INSTANCE, startedAt);
      await api.stores.backfill.addListed(INSTANCE, [ticketId], undefined, startedAt);
      await api.stores.backfill.advance(INSTANCE, 1);
      const prefix = api.queues[queue].opts.prefix;
      const ours = (job: Job) => (job.data as { ticketId?: string }).ticketId === ticketId;
      // Two workers die holding the job: the second stall exceeds `maxStalledCount`.
      const jobId = await stallOnce(queue, prefix, ours);
      expect(await stallOnce(queue, prefix, ours)).toBe(jobId);

      const worker = await startTestPipeline({ redisUrl: suite.redis.url, config, role: 'worker' });
      suite.pipelines.push(worker);
      const failed = await waitFor(
        async () => {
          const job = await api.queues[queue].getJob(jobId);
          return (await job?.getState()) === 'failed' ? job : undefined;
        },
        30_000,
        100,
        `the ${queue} job to fail by the stall limit`,
      );
      expect(failed.failedReason).toBe('job stalled more than allowable limit');

      const letter = await waitFor(
        async () => (await worker.read.deadLetters()).items.find((l) => l.ticketId === ticketId),
        15_000,
        100,
        `a dead letter for ${ticketId}`,
      );
      expect(letter).toMatchObject({ instanceId: INSTANCE, ticketId, error: { code: 'stalled' } });
      // Counted like any other dead letter: the backfill that listed the ticket is not left waiting for it forever.
      const progress = await waitFor(
        async () => {
          const p = await worker.stores.backfill.progress(INSTANCE);
          return p?.completedAt ? p : undefined;
        },
        15_000,
        100,
        `the backfill to count the dead-lettered ${ticketId}`,
      );
      expect(progress).toMatchObject({ listed: 1, evaluated: 1, remaining: 0 });

      expect(await worker.read.retryDeadLetter(letter.id)).toBe(true);
      await waitFor(() => suite.fake.tickets.get(ticketId)!.queue === '2', 30_000, 100, `${ticketId} escalated`);
      await waitForDrained(worker, 30_000, 'the dead-letter retry to finish');
      expect(suite.fake.count('PATCH', `/tickets/${ticketId}`)).toBe(1);
      expect((await worker.read.deadLetters()).items.filter((l) => l.ticketId === ticketId)).toHaveLength(0);
    },
    90_000,
  );
});

describe('an events job that fails on every attempt', () => {
  it('becomes a dead letter of its ticket (an acknowledged event is never lost silently), and its retry evaluates the ticket', async () => {
    const ticketId = 'ev-fails';
    const created = new Date(Date.now() - 3 * 3_600_000).toISOString();
    suite.fake.addTicket({ id: ticketId, queue: '1', createdAt: created, updatedAt: created });
    const config = testConfig({ psaUrl: suite.fake.url });
    const worker = await startTestPipeline({ redisUrl: suite.redis.url, config, role: 'all' });
    suite.pipelines.push(worker);
    // Processing throws every time: no Date holds this `receivedAt` (a stand-in for any fault that outlives the retries).
    const job = await worker.queues.events.add(
      'event',
      { instanceId: INSTANCE, ticketId, action: 'updated', eventId: `${ticketId}-1`, receivedAt: 9e15 },
      { attempts: 2, backoff: { type: 'fixed', delay: 50 } },
    );
    const failed = await waitFor(
      async () => {
        const j = await worker.queues.events.getJob(job.id!);
        return (await j?.getState()) === 'failed' ? j : undefined;
      },
      30_000,
      100,
      'the events job to fail for good',
    );
    expect(failed.attemptsMade).toBe(2);
    const letter = await waitFor(
      async () => (await worker.read.deadLetters()).items.find((l) => l.ticketId === ticketId),
      15_000,
      100,
      `a dead letter for ${ticketId}`,
    );
    expect(letter).toMatchObject({ instanceId: INSTANCE, ticketId, error: { code: 'job_failed' } });
    expect(letter.error.message).toContain('Invalid time value');
    // One letter for the job, not one per failed attempt.
    expect((await worker.read.deadLetters()).items.filter((l) => l.ticketId === ticketId)).toHaveLength(1);

    expect(await worker.read.retryDeadLetter(letter.id)).toBe(true);
    await waitFor(() => suite.fake.tickets.get(ticketId)!.queue === '2', 30_000, 100, `${ticketId} escalated`);
    await waitForDrained(worker, 30_000, 'the dead-letter retry to finish');
    expect(suite.fake.count('PATCH', `/tickets/${ticketId}`)).toBe(1);
  }, 60_000);
});
