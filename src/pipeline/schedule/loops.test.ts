import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Logger } from '../../contract/index.js';
import type { RedisClient } from '../../store/redis.js';
import type { Keys } from '../../store/keys.js';
import type { ScheduleStore, ScheduledCheck } from '../../store/schedule-store.js';
import type { Runtimes } from '../outbound/instance-runtime.js';

import { startLoops } from './loops.js';

/** A promise the test settles. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const noop = () => undefined;
const log = { debug: noop, info: noop, warn: noop, error: noop, child: () => log } as unknown as Logger;

describe('startLoops: due-check activity (what the demo pacer reads)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is in flight from the claim to the last kick; a claim that took checks or failed counts, an empty one not', async () => {
    vi.useFakeTimers();
    let claim = deferred<ScheduledCheck[]>();
    const kicked = deferred<undefined>();
    const kicks: string[] = [];
    const schedule = { claimDue: () => claim.promise } as unknown as ScheduleStore;
    const loops = startLoops({
      schedule,
      redis: {} as RedisClient,
      keys: {} as Keys,
      runtimes: { all: () => [] } as unknown as Runtimes,
      control: {} as Queue,
      kick: async (k) => {
        kicks.push(k.ticketId);
        await kicked.promise;
      },
      log,
      now: () => 0,
      pollMs: 100,
    });
    try {
      expect(loops.activity()).toEqual({ inFlight: false, claims: 0 });
      await vi.advanceTimersByTimeAsync(100);
      expect(loops.activity()).toEqual({ inFlight: true, claims: 0 });
      // Claimed two: still in flight while the kicks run (the checks are out of the schedule, their jobs not all in).
      claim.resolve([
        { instanceId: 'i', ticketId: '1' },
        { instanceId: 'i', ticketId: '2' },
      ]);
      await vi.advanceTimersByTimeAsync(0);
      expect(kicks).toEqual(['1']);
      expect(loops.activity().inFlight).toBe(true);
      kicked.resolve(undefined);
      await vi.advanceTimersByTimeAsync(0);
      expect(kicks).toEqual(['1', '2']);
      expect(loops.activity()).toEqual({ inFlight: false, claims: 1 });
      // An empty claim: nothing moved.
      claim = deferred();
      await vi.advanceTimersByTimeAsync(100);
      claim.resolve([]);
      await vi.advanceTimersByTimeAsync(0);
      expect(loops.activity()).toEqual({ inFlight: false, claims: 1 });
      // A failed claim (its reply lost: it may have moved checks) counts.
      claim = deferred();
      await vi.advanceTimersByTimeAsync(100);
      claim.reject(new Error('Command timed out'));
      await vi.advanceTimersByTimeAsync(0);
      expect(loops.activity()).toEqual({ inFlight: false, claims: 2 });
    } finally {
      loops.stop();
    }
  });

  it('a reconciliation claim that fails while due checks are being claimed starts no second claim (activity stays in flight)', async () => {
    vi.useFakeTimers();
    const claim = deferred<ScheduledCheck[]>();
    let claimsStarted = 0;
    const schedule = {
      claimDue: () => {
        claimsStarted++;
        return claim.promise;
      },
    } as unknown as ScheduleStore;
    const runtime = { loaded: { reconcileEveryMs: 60_000, info: { id: 'i' } } };
    const loops = startLoops({
      schedule,
      redis: { set: () => Promise.reject(new Error('Command timed out')) } as unknown as RedisClient,
      keys: { reconcileDue: (id: string) => `reconcile:${id}` } as unknown as Keys,
      runtimes: { all: () => [runtime] } as unknown as Runtimes,
      control: {} as Queue,
      kick: async () => undefined,
      log,
      now: () => 0,
      pollMs: 100,
      reconcileStartDelayMs: 0,
    });
    try {
      await vi.advanceTimersByTimeAsync(100);
      expect(claimsStarted).toBe(1);
      // The sweep's claim has failed; the due-check claim is still under way for several polls.
      await vi.advanceTimersByTimeAsync(300);
      expect(claimsStarted, 'a second due-check claim ran beside the first').toBe(1);
      expect(loops.activity()).toEqual({ inFlight: true, claims: 0 });
      claim.resolve([{ instanceId: 'i', ticketId: '1' }]);
      await vi.advanceTimersByTimeAsync(0);
      expect(loops.activity()).toEqual({ inFlight: false, claims: 1 });
      await vi.advanceTimersByTimeAsync(100);
      expect(claimsStarted).toBe(2);
    } finally {
      loops.stop();
    }
  });
});
