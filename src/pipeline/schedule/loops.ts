import type { Queue } from 'bullmq';
import type { RedisClient } from '../../store/redis.js';

import type { Logger } from '../../contract/index.js';
import type { Metrics } from '../metrics/prometheus.js';
import type { Keys } from '../../store/keys.js';
import type { ScheduleStore } from '../../store/schedule-store.js';

import type { Runtimes } from '../outbound/instance-runtime.js';
import type { KickOptions } from '../queue/kick-ticket.js';

export interface LoopOptions {
  schedule: ScheduleStore;
  redis: RedisClient;
  keys: Keys;
  runtimes: Runtimes;
  control: Queue;
  kick: (kick: KickOptions) => Promise<void>;
  log: Logger;
  now: () => number;
  /** @defaultValue 500 */
  pollMs?: number;
  /** A claimed check fires again after this long if its evaluation never ran. @defaultValue 60_000 */
  leaseMs?: number;
  /** First reconciliation claim waits this long after start (start-up never calls a PSA). @defaultValue 60_000 */
  reconcileStartDelayMs?: number;
  random?: () => number;
}

/**
 * What the due-check loop is doing (the demo's pacer, src/demo/pacer.ts): a claim of due checks takes them out of the
 * due range of the schedule before their ticket jobs exist, so an observer that reads the schedule and the queues
 * must also know whether a claim was under way or happened meanwhile.
 */
export interface DueCheckActivity {
  /** A claim (and the kicks of what it claimed) is under way. */
  inFlight: boolean;
  /** Claims that took a check (or failed) since start: changes whenever checks may have left the schedule. */
  claims: number;
}

/**
 * Background loops of a worker-role process: due scheduled checks → ticket jobs (trigger `scheduled`), and one
 * reconciliation sweep per instance per `reconcileEvery` (jittered ±10 %), claimed cluster-wide with `SET NX PX`.
 */
export function startLoops(options: LoopOptions): { stop(): void; activity(): DueCheckActivity } {
  const pollMs = options.pollMs ?? 500;
  const leaseMs = options.leaseMs ?? 60_000;
  const startedAt = Date.now();
  const startDelay = options.reconcileStartDelayMs ?? 60_000;
  const random = options.random ?? Math.random;
  let running = false;
  let inFlight = false;
  let claims = 0;

  async function dueChecks(): Promise<void> {
    inFlight = true;
    let due: Awaited<ReturnType<ScheduleStore['claimDue']>> | undefined;
    try {
      due = await options.schedule.claimDue(options.now(), leaseMs);
      for (const c of due) await options.kick({ ...c, trigger: 'scheduled', now: options.now() });
    } finally {
      // An empty claim moved nothing; a failed one may have (its reply lost), so it counts.
      if (due === undefined || due.length > 0) claims++;
      inFlight = false;
    }
  }

  async function dueSweeps(): Promise<void> {
    if (Date.now() - startedAt < startDelay) return;
    for (const rt of options.runtimes.all()) {
      const every = rt.loaded.reconcileEveryMs;
      const ttl = Math.max(1_000, Math.round(every * (0.9 + 0.2 * random())));
      const claimed = await options.redis.set(
        options.keys.reconcileDue(rt.loaded.info.id),
        String(Date.now()),
        'PX',
        ttl,
        'NX',
      );
      if (claimed === 'OK')
        await options.control.add(
          'reconcile',
          { kind: 'reconcile', instanceId: rt.loaded.info.id, requestedAt: Date.now() },
          { removeOnComplete: 100, removeOnFail: 100 },
        );
    }
  }

  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // Both settled before the next beat: with Promise.all a failed sweep claim ended the beat while a due-check claim
    // was still under way, and the next beat ran a second one beside it (the demo pacer then read "not in flight").
    void Promise.allSettled([dueChecks(), dueSweeps()]).then((results) => {
      running = false;
      for (const r of results)
        if (r.status === 'rejected')
          options.log.debug({ err: { message: (r.reason as Error).message } }, 'background loop skipped a beat');
    });
  }, pollMs);
  timer.unref();
  return { stop: () => clearInterval(timer), activity: () => ({ inFlight, claims }) };
}

/** Queue depth and lag gauges for `/metrics` (every process, any role). */
export function startQueueMetrics(queues: readonly Queue[], metrics: Metrics, everyMs = 5_000): { stop(): void } {
  const timer = setInterval(() => {
    for (const q of queues) {
      q.getJobCounts('waiting', 'delayed', 'active', 'failed')
        .then((counts) => {
          for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: q.name, state }, n);
          return q.getWaiting(0, 0);
        })
        .then(([oldest]) =>
          metrics.queueLag.set({ queue: q.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1_000) : 0),
        )
        .catch(() => undefined);
    }
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
