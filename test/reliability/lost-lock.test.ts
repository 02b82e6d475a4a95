import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CallRecord, FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, startFakePsaPipeline, type FakePsaPipeline } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

/**
 * A lost lock stops the writer (issue 12 item 5). Mid-job, right after the job's PATCH, the ticket lock lapses and
 * another worker holds it (Redis trouble longer than the lock TTL). The job must send no further PSA write while it
 * does not hold the lock; the handoff note is posted later, from the decision recorded as pending, exactly once.
 */
let h: FakePsaPipeline;
let fake: FakePsa;
let p: FakePsaPipeline['p'];
let raw: Redis;

beforeAll(async () => {
  // Long BullMQ locks: the fault here is our ticket lock, not a stalled job.
  h = await startFakePsaPipeline({
    debounceMs: 20,
    tuning: { lockDurationMs: 30_000, stalledIntervalMs: 15_000, lockRetryMs: 100 },
  });
  ({ fake, p } = h);
  raw = new Redis(h.redis.url);
});
afterAll(async () => {
  raw?.disconnect();
  await h?.close();
});

const threeHoursAgo = () => new Date(Date.now() - 3 * 3_600_000).toISOString();

describe('lost ticket lock', () => {
  it('lock lost mid-job → no further writes while another holds it; later completed from the pending decision exactly once', async () => {
    const id = 'll1';
    fake.addTicket({ id, queue: '1', createdAt: threeHoursAgo(), updatedAt: threeHoursAgo() });
    const lockKey = p.stores.keys.ticketLock(INSTANCE, id);
    const foreign = 'another-worker:job-9';
    const violations: string[] = [];
    let stolen = false;
    fake.onRequest = async (call: CallRecord) => {
      if (!call.path.startsWith(`/tickets/${id}`)) return;
      if (call.method !== 'GET' && (await raw.get(lockKey)) === foreign) violations.push(`${call.method} ${call.path}`);
      if (call.method === 'PATCH' && !stolen) {
        stolen = true;
        // Our lock lapsed while the PATCH was in flight and another worker took the ticket for 1.5 s.
        await raw.set(lockKey, foreign, 'PX', 1_500);
      }
    };
    await p.kick({ instanceId: INSTANCE, ticketId: id, trigger: 'manual', delayMs: 0 });
    const done = await waitFor(
      async () => {
        const r = await p.stores.tickets.get(INSTANCE, id);
        return stolen && r && !r.pending && fake.tickets.get(id)!.notes.length > 0 ? r : undefined;
      },
      30_000,
      50,
    ).catch((e: unknown) => {
      throw new Error(
        `never completed: stolen=${stolen} notes=${fake.tickets.get(id)!.notes.length} calls=${fake.calls.map((c) => `${c.method} ${c.path}`).join(', ')} (${String(e)})`,
      );
    });
    expect(violations, 'PSA writes sent while another worker held the ticket lock').toEqual([]);
    await waitForDrained(p, 30_000, 'every run of the ticket (the one that lost its lock included) to finish');
    expect(fake.tickets.get(id)!.notes, 'the handoff note is posted exactly once').toHaveLength(1);
    expect(fake.count('PATCH', `/tickets/${id}`)).toBe(1);
    expect(fake.tickets.get(id)).toMatchObject({ queue: '2' });
    expect(done.tier).toBe('T2');
    const audit = await p.read.escalations({ instance: INSTANCE, limit: 10 });
    const entry = audit.items.find((e) => e.ticketId === id && e.decision.actions.some((a) => a.type === 'reassign'));
    expect(entry?.results.map((r) => r.status).filter((s) => s === 'applied' || s === 'skipped').length).toBe(
      entry?.results.length,
    );
  }, 60_000);
  it('lock lost after the PSA writes, before the notifier → the notifier is called exactly once (by the next lock holder)', async () => {
    const id = 'll2';
    // "ransomware": the emergency rule moves it to T3 with P1, posts an internal note and notifies `managers`.
    fake.addTicket({ id, title: 'ransomware on the file server', queue: '1' });
    const lockKey = p.stores.keys.ticketLock(INSTANCE, id);
    const foreign = 'another-worker:job-10';
    let stolen = false;
    fake.onRequest = async (call: CallRecord) => {
      if (call.method === 'POST' && call.path === `/tickets/${id}/notes` && !stolen) {
        stolen = true;
        // Our lock lapsed while the note POST (the job's last PSA write) was in flight; another worker held it 1.5 s.
        await raw.set(lockKey, foreign, 'PX', 1_500);
      }
    };
    const mine = () =>
      fake.notifications.filter((n) => (n.body as { ticket?: { ref?: { id?: string } } }).ticket?.ref?.id === id);
    await p.kick({ instanceId: INSTANCE, ticketId: id, trigger: 'manual', delayMs: 0 });
    await waitFor(
      async () => {
        const r = await p.stores.tickets.get(INSTANCE, id);
        return stolen && r && !r.pending && mine().length > 0 ? r : undefined;
      },
      30_000,
      50,
    ).catch((e: unknown) => {
      throw new Error(
        `never completed: stolen=${stolen} notifications=${mine().length} calls=${fake.calls.map((c) => `${c.method} ${c.path}`).join(', ')} (${String(e)})`,
      );
    });
    await waitForDrained(p, 30_000, 'every run of the ticket (the one that lost its lock included) to finish');
    expect(mine(), 'notifier POSTs for the ticket').toHaveLength(1);
    expect(fake.tickets.get(id)!.notes, 'the note is posted exactly once').toHaveLength(1);
    expect(fake.tickets.get(id)).toMatchObject({ queue: '3' });
  }, 60_000);
});
