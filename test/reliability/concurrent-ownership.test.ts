import { describe, expect, it } from 'vitest';

import { GroupSchema } from '../../src/contract/index.js';
import { useFreshPsaPerTest } from '../helpers/psa-suite.js';
import { addOverdueTickets } from '../helpers/test-psa.js';
import { INSTANCE, startTestPipeline, testConfig, waitFor } from '../helpers/test-pipeline.js';

/**
 * Ownership under concurrency (issue 12 item 4): ten tickets escalated in the same instant into the 2-member group
 * `tier2`, evaluated by two worker processes with 4 slots each (up to 8 evaluations at once). Picking the owner and
 * recording the pick must be one atomic Redis step, or several evaluations read the same cursor / loads and give
 * their tickets to the same member.
 */
const fresh = useFreshPsaPerTest();

async function escalateTenAtOnce(assign: 'round-robin' | 'least-loaded'): Promise<Record<string, number>> {
  const { redis, fake } = await fresh.start();
  // Each ticket read takes a little while, so the evaluations overlap for sure on any machine.
  fake.fetchDelayMs = 50;
  const base = testConfig({ psaUrl: fake.url });
  const config = { ...base, groups: { tier2: GroupSchema.parse({ assign, members: ['t2.a', 't2.b'] }) } };
  // Long BullMQ locks: a loaded machine must not take a slow job for stalled (that would be another fault).
  const tuning = { lockDurationMs: 30_000, stalledIntervalMs: 15_000 };
  const workers = await Promise.all(
    [0, 1].map(() => startTestPipeline({ redisUrl: redis.url, config, workerConcurrency: 4, tuning })),
  );
  for (const w of workers) fresh.closers.push(() => w.close());
  const ids = Array.from({ length: 10 }, (_, i) => `own${i}`);
  addOverdueTickets(fake, ids);
  const now = Date.now();
  await Promise.all(
    ids.map((ticketId) => workers[0]!.kick({ instanceId: INSTANCE, ticketId, trigger: 'manual', delayMs: 0, now })),
  );
  await waitFor(
    () => ids.every((id) => fake.tickets.get(id)!.queue === '2' && fake.tickets.get(id)!.owner !== null),
    60_000,
    100,
  ).catch((e: unknown) => {
    throw new Error(
      `not all 10 tickets escalated to T2 with an owner: ${JSON.stringify(ids.map((id) => [fake.tickets.get(id)!.queue, fake.tickets.get(id)!.owner]))} (${String(e)})`,
    );
  });
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const owner = fake.tickets.get(id)!.owner!;
    counts[owner] = (counts[owner] ?? 0) + 1;
  }
  return counts;
}

describe('ownership under concurrency', () => {
  it('10 tickets escalated at once into a round-robin group of 2 → 5 and 5', async () => {
    const counts = await escalateTenAtOnce('round-robin');
    expect(counts).toEqual({ 't2.a': 5, 't2.b': 5 });
  }, 90_000);

  it('10 tickets escalated at once into a least-loaded group of 2 → balanced within 1', async () => {
    const counts = await escalateTenAtOnce('least-loaded');
    const a = counts['t2.a'] ?? 0;
    const b = counts['t2.b'] ?? 0;
    expect(a + b).toBe(10);
    expect(Math.abs(a - b), JSON.stringify(counts)).toBeLessThanOrEqual(1);
  }, 90_000);
});
