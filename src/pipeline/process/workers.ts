import { DelayedError, Worker } from 'bullmq';
import type { Job } from 'bullmq';

import { isConnectorError } from '../../contract/index.js';
import type { Action, Logger } from '../../contract/index.js';
import type { Keys } from '../../store/keys.js';
import { tryLock } from '../../store/lock.js';
import { createRedis } from '../../store/redis.js';
import type { RedisClient } from '../../store/redis.js';

import type { Runtimes } from '../outbound/instance-runtime.js';
import type { KickOptions } from '../queue/kick-ticket.js';
import { resendNotifiers } from '../notify/notifier-retry.js';
import { processTicket } from './process-ticket.js';
import type { ProcessorDeps } from './processor-deps.js';
import { ControlJobSchema, EventJobSchema, TicketJobSchema, heartbeatQueueName, queueNames } from '../queue/queues.js';
import type { TicketJob } from '../queue/queues.js';
import { inLane, laneOf } from '../outbound/rate-lanes.js';
import { checkRegistration, reconcile } from '../schedule/reconcile.js';
import { isLockLost, lockGuard } from './write-guard.js';
import { isSettleWait } from './write-retry.js';
import type { ReconcileDeps } from '../schedule/reconcile.js';

export interface WorkerSettings {
  /** Evaluations in parallel per process (`WORKER_CONCURRENCY`). @defaultValue 4 */
  concurrency: number;
  /** `DEBOUNCE_MS`. @defaultValue 250 */
  debounceMs: number;
  /** BullMQ job lock (tests: 2_000). @defaultValue 30_000 */
  lockDurationMs?: number;
  /** BullMQ stalled-job check (tests: 1_000). @defaultValue 30_000 */
  stalledIntervalMs?: number;
  /** A ticket held by another job is retried after this long. @defaultValue 250 */
  lockRetryMs?: number;
  /** Retries of one ticket per rolling hour (all its jobs together) before it is dead-lettered. @defaultValue 12 */
  ticketRetriesPerHour?: number;
}

export interface WorkerDeps {
  redisUrl: string;
  /** General connection (heartbeats, locks). */
  redis: RedisClient;
  keys: Keys;
  processor: ProcessorDeps;
  reconcile: ReconcileDeps;
  runtimes: Runtimes;
  kick: (kick: KickOptions) => Promise<void>;
  log: Logger;
  processId: string;
  settings: WorkerSettings;
  prefix?: string;
}

/** A scheduled check whose evaluation failed for a transient reason is tried again this much later. */
const SCHEDULED_RETRY_MS = 5 * 60_000;

const isFinalAttempt = (job: Job): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/** `events` job → a debounced ticket job (or a heartbeat: proves this queue is consumed, see heartbeat.ts). */
function eventsProcessor(deps: WorkerDeps) {
  return async (job: Job): Promise<string> => {
    if (job.name === 'heartbeat') {
      const { processId, sentAt } = job.data as { processId: string; sentAt: number };
      await deps.redis.set(deps.keys.heartbeat(processId), String(sentAt), 'PX', 10 * 60_000);
      return 'heartbeat';
    }
    const ev = EventJobSchema.parse(job.data);
    await deps.processor.instances.touchEvent(ev.instanceId, new Date(ev.receivedAt).toISOString());
    const delayMs = ev.receivedAt + deps.settings.debounceMs - Date.now();
    await deps.kick({
      instanceId: ev.instanceId,
      ticketId: ev.ticketId,
      trigger: 'webhook',
      deleted: ev.action === 'deleted',
      delayMs,
      now: ev.receivedAt,
    });
    return 'kicked';
  };
}

/** This process's own heartbeat queue (heartbeat.ts): records when this process's workers consumed it. */
function ownHeartbeatProcessor(deps: WorkerDeps) {
  return async (job: Job): Promise<string> => {
    const { sentAt } = job.data as { sentAt: number };
    await deps.redis.set(deps.keys.heartbeatOwn(deps.processId), String(sentAt), 'PX', 10 * 60_000);
    return 'heartbeat';
  };
}

/** Retries of one ticket in its current hour (failed attempts that will run again). */
async function retriesThisHour(deps: WorkerDeps, instanceId: string, ticketId: string): Promise<number> {
  return Number((await deps.redis.get(deps.keys.ticketRetries(instanceId, ticketId))) ?? 0);
}

async function countRetry(deps: WorkerDeps, instanceId: string, ticketId: string): Promise<void> {
  const key = deps.keys.ticketRetries(instanceId, ticketId);
  await deps.redis.multi().set(key, '0', 'PX', 3_600_000, 'NX').incr(key).exec();
}

/** Moves the job back to the delayed set for `ms` without spending an attempt. */
async function delayJob(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
}

/** Dead-letters a ticket (evaluation kind: nothing to apply) with one metric and one error line. */
async function deadLetterTicket(
  deps: WorkerDeps,
  data: TicketJob,
  error: { code: string; message: string },
  line: string,
): Promise<void> {
  await deps.processor.deadLetters.add({
    instanceId: data.instanceId,
    ticketId: data.ticketId,
    kind: 'evaluation',
    actions: [],
    error,
  });
  deps.processor.metrics?.deadLetters.inc({ instance: data.instanceId, code: error.code });
  deps.log.error({ instance: data.instanceId, ticket: data.ticketId, code: error.code }, line);
}

/**
 * A failed evaluation: waits that spend no attempt (note settling, lock lost, rate limit, open breaker), a scheduled
 * check deferred while the PSA is down, a dead letter on the last attempt, else a counted retry (BullMQ re-runs it).
 */
async function onTicketFailure(
  deps: WorkerDeps,
  job: Job,
  token: string | undefined,
  data: TicketJob,
  e: unknown,
): Promise<string> {
  if (isSettleWait(e)) return delayJob(job, token, e.waitMs);
  if (isLockLost(e)) {
    // Not a failure of the ticket: no attempt is spent; whoever holds the lock next completes the pending decision.
    deps.log.warn({ instance: data.instanceId, ticket: data.ticketId }, 'ticket lock lost: job re-runs later');
    return delayJob(job, token, deps.settings.lockRetryMs ?? 250);
  }
  // Over budget, paused, or the instance's circuit breaker is open: wait without spending an attempt.
  if (isConnectorError(e) && (e.code === 'rate_limited' || e.details?.['breaker'] === 'open') && e.retryAfterMs)
    return delayJob(job, token, e.retryAfterMs);
  if (isFinalAttempt(job) && data.trigger === 'scheduled' && isConnectorError(e) && e.retryable) {
    // A due check while the PSA is down: not a dead letter per ticket per lease (hundreds during an outage) —
    // the check stays scheduled and fires again later; /api/instances shows the PSA unreachable meanwhile.
    await deps.processor.schedule.set(data.instanceId, data.ticketId, deps.processor.now() + SCHEDULED_RETRY_MS);
    deps.log.warn(
      { instance: data.instanceId, ticket: data.ticketId, code: e.code },
      'scheduled check failed; trying again later',
    );
    return 'deferred';
  }
  if (isFinalAttempt(job)) {
    const error = isConnectorError(e)
      ? { code: e.code, message: e.message }
      : { code: 'internal', message: e instanceof Error ? e.message : String(e) };
    await deadLetterTicket(deps, data, error, 'evaluation failed for good: dead-lettered');
    return 'dead_letter';
  }
  // A failed attempt that BullMQ will run again: counted toward the ticket's hourly retry cap.
  await countRetry(deps, data.instanceId, data.ticketId).catch(() => undefined);
  throw e instanceof Error ? e : new Error(String(e));
}

/** Every outcome but a retry counts once toward a backfill that listed the ticket. */
async function countForBackfill(deps: WorkerDeps, data: TicketJob, result: string): Promise<string> {
  const counted = await deps.processor.backfill?.evaluated(
    data.instanceId,
    data.ticketId,
    new Date(deps.processor.now()).toISOString(),
  );
  if (counted === 2)
    deps.log.info(
      { instance: data.instanceId, backfill: await deps.processor.backfill?.progress(data.instanceId) },
      'backfill complete',
    );
  return result;
}

/** `tickets` job: per-ticket lock, then one evaluation; long Retry-After waits move the job instead of holding a slot. */
function ticketsProcessor(deps: WorkerDeps) {
  const lockTtl = Math.max(2_000, (deps.settings.lockDurationMs ?? 30_000) * 2);
  const retryCap = deps.settings.ticketRetriesPerHour ?? 12;
  return async (job: Job, token?: string): Promise<string> => {
    const data = TicketJobSchema.parse(job.data);
    const lock = await tryLock(
      deps.redis,
      deps.keys.ticketLock(data.instanceId, data.ticketId),
      `${deps.processId}:${job.id}`,
      lockTtl,
    );
    if (!lock) return delayJob(job, token, deps.settings.lockRetryMs ?? 250);
    try {
      if (job.attemptsMade > 0 && (await retriesThisHour(deps, data.instanceId, data.ticketId)) > retryCap) {
        const error = { code: 'retry_cap', message: `more than ${retryCap} retries of this ticket within an hour` };
        await deadLetterTicket(deps, data, error, 'ticket retried too often: dead-lettered');
        return await countForBackfill(deps, data, 'dead_letter');
      }
      const outcome = await inLane(laneOf(data.trigger), () =>
        processTicket(deps.processor, {
          instanceId: data.instanceId,
          ticketId: data.ticketId,
          trigger: data.trigger,
          retry: job.attemptsMade > 0 || data.trigger === 'dead_letter_retry',
          finalAttempt: isFinalAttempt(job),
          ...(data.deleted ? { deleted: true } : {}),
          guard: lockGuard(lock),
        }),
      );
      return await countForBackfill(deps, data, outcome.kind);
    } catch (e) {
      return await countForBackfill(deps, data, await onTicketFailure(deps, job, token, data, e));
    } finally {
      await lock.release();
    }
  };
}

function controlProcessor(deps: WorkerDeps) {
  return async (job: Job): Promise<string> => {
    const data = ControlJobSchema.parse(job.data);
    const rt = deps.runtimes.get(data.instanceId);
    if (!rt) return 'unknown_instance';
    if (data.kind === 'notifier_retry') {
      const { tickets, audit, deadLetters, notify, log } = deps.processor;
      return resendNotifiers(
        { tickets, audit, deadLetters, notify, log },
        { ...data, actions: data.actions as unknown as Action[] },
      );
    }
    if (data.kind === 'registration_check') {
      await inLane('background', () => checkRegistration(deps.reconcile, rt, false));
      return 'checked';
    }
    const res = await inLane('sweep', () => reconcile(deps.reconcile, rt, { full: data.full === true }));
    await inLane('background', () => checkRegistration(deps.reconcile, rt, true)).catch((e: unknown) =>
      deps.log.warn({ err: e }, 'registration check failed'),
    );
    return res.kind;
  };
}

/**
 * BullMQ's failedReason for a job that stalled more than `maxStalledCount` times: `moveStalledJobsToWait-9.lua` stores
 * it as the job's deferred failure and the next worker to fetch the job fails it with an `UnrecoverableError` of this
 * message (`Worker.getUnrecoverableErrorMessage`) without calling our processor (docs/reliability.md).
 */
export const STALL_LIMIT_REASON = 'job stalled more than allowable limit';

const isStallLimit = (e: Error): boolean => e.message === STALL_LIMIT_REASON;

/**
 * An `events` or `tickets` job that BullMQ failed for good never reached our final-attempt handling: failed by the
 * stall limit (its processor never ran), or an `events` job whose every attempt threw (the `tickets` processor
 * dead-letters its own last attempt instead of throwing). Its ticket is dead-lettered here, so an acknowledged event
 * is never lost silently: `POST /api/dead-letters/:id/retry` re-evaluates it. Heartbeat and control jobs are left
 * alone (the next heartbeat / sweep replaces them). Never throws.
 */
async function deadLetterFailedJob(deps: WorkerDeps, queue: string, job: Job, e: Error): Promise<void> {
  try {
    let data: TicketJob | undefined;
    if (queue === queueNames.tickets) data = TicketJobSchema.parse(job.data);
    else if (queue === queueNames.events && job.name !== 'heartbeat') {
      const ev = EventJobSchema.parse(job.data);
      data = { instanceId: ev.instanceId, ticketId: ev.ticketId, trigger: 'webhook', enqueuedAt: ev.receivedAt };
    }
    if (!data) return;
    const stalled = isStallLimit(e);
    const error = stalled
      ? { code: 'stalled', message: `${queue} job ${job.id ?? '?'}: ${STALL_LIMIT_REASON}` }
      : { code: 'job_failed', message: `${queue} job ${job.id ?? '?'} failed ${job.attemptsMade}×: ${e.message}` };
    const line = stalled ? 'job stalled more than allowed: dead-lettered' : 'job failed for good: dead-lettered';
    await deadLetterTicket(deps, data, error, line);
    // An outcome like any dead letter: it counts toward a backfill that listed the ticket (or that one never ends).
    await countForBackfill(deps, data, 'dead_letter');
  } catch (err) {
    deps.log.error(
      { queue, job: job.id, err: { message: err instanceof Error ? err.message : String(err) } },
      'could not dead-letter a job that failed for good',
    );
  }
}

/**
 * BullMQ emits `failed` for every failed attempt; `finishedOn` is set only once the job is in the failed set for good
 * (no attempt left, unrecoverable, or failed by the stall limit).
 */
const failedForGood = (job: Job, e: Error): boolean => isStallLimit(e) || typeof job.finishedOn === 'number';

export interface WorkerSet {
  workers: Worker[];
  /** Our connections (BullMQ never closes a connection it was given). */
  connections: RedisClient[];
}

/** The BullMQ workers of a worker-role process (events, tickets, control, own heartbeat), each on its own connection. */
export function createWorkers(deps: WorkerDeps): WorkerSet {
  const common = {
    ...(deps.prefix ? { prefix: deps.prefix } : {}),
    lockDuration: deps.settings.lockDurationMs ?? 30_000,
    stalledInterval: deps.settings.stalledIntervalMs ?? 30_000,
    // Kept at 1: a job that stalls twice is failed by BullMQ and dead-lettered by our `failed` handler (visible and
    // retryable, never lost); a higher count would only re-run a poison job that kills its worker more often.
    maxStalledCount: 1,
    // After a Redis error BullMQ waits this long before fetching again (default 15 s): resume quickly after an outage.
    runRetryDelay: 1_000,
  };
  const connections: RedisClient[] = [];
  const conn = (name: string) => {
    const c = createRedis({ url: deps.redisUrl, role: 'worker', name: `psa-escalator:${name}`, log: deps.log });
    connections.push(c);
    return c;
  };
  const workers = [
    new Worker(queueNames.events, eventsProcessor(deps), { ...common, connection: conn('events'), concurrency: 16 }),
    new Worker(queueNames.tickets, ticketsProcessor(deps), {
      ...common,
      connection: conn('tickets'),
      concurrency: deps.settings.concurrency,
    }),
    new Worker(queueNames.control, controlProcessor(deps), { ...common, connection: conn('control'), concurrency: 1 }),
    // This process's own heartbeat queue: no other replica consumes it, so its answer speaks for these workers only.
    new Worker(heartbeatQueueName(deps.processId), ownHeartbeatProcessor(deps), {
      ...common,
      connection: conn('heartbeat'),
      concurrency: 1,
    }),
  ];
  for (const w of workers) {
    w.on('error', (e) => deps.log.warn({ err: { message: e.message }, queue: w.name }, 'worker error'));
    w.on('failed', (job, e) => {
      deps.log.warn(
        { queue: w.name, job: job?.id, attempts: job?.attemptsMade, err: { message: e.message } },
        'job failed',
      );
      if (job && failedForGood(job, e)) void deadLetterFailedJob(deps, w.name, job, e);
    });
  }
  return { workers, connections };
}

/** Closes workers: waits for in-flight jobs up to `timeoutMs`, then force-closes (those jobs stall and re-run). */
export async function closeWorkers(set: WorkerSet, timeoutMs: number, log: Logger): Promise<void> {
  const { workers } = set;
  const graceful = Promise.all(workers.map((w) => w.close()));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    graceful.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    log.warn({ timeoutMs }, 'in-flight jobs did not finish in time: force-closing (they will re-run)');
    // `close(true)` would return the pending graceful close; cut the connections instead (bounded).
    await Promise.race([
      Promise.all(workers.map((w) => w.disconnect().catch(() => undefined))),
      new Promise((r) => setTimeout(r, 1_000).unref()),
    ]);
  }
  for (const c of set.connections) c.disconnect();
}
