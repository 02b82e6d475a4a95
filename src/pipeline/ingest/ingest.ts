import { randomUUID } from 'node:crypto';

import type { Queue } from 'bullmq';
import { Cluster } from 'ioredis';

import { canonicalTicketId } from '../../contract/index.js';
import { clusterMasterFor } from '../../store/redis.js';
import type { RedisClient } from '../../store/redis.js';

import { eventDedupeId, retention } from '../queue/queues.js';
import type { EventJob } from '../queue/queues.js';
import { PipelineUnavailableError } from '../types.js';
import type { IngestRequest, IngestResult } from '../types.js';

export interface IngestOptions {
  /** The `events` queue on a producer connection (`enableOfflineQueue: false`). */
  events: Queue;
  /** How long a delivery id stays deduplicated. @defaultValue 72 h */
  dedupeTtlMs: number;
  /** Give up and answer 503 after this long (Redis hung rather than down). @defaultValue 800 */
  timeoutMs?: number;
  /**
   * Replicas that must hold the job before the 202 (Redis `WAIT` on the producer connection): with Sentinel, a
   * failover promotes a replica, and a job only the dead master had would be an acknowledged event lost. Fewer
   * replicas within the timeout → 503 (the PSA retries; the dedupe id makes the retry a duplicate if the job
   * survived). @defaultValue 0
   */
  waitReplicas?: number;
}

/** Waits until `count` replicas acknowledged this connection's writes, or fails. */
async function replicated(events: Queue, count: number, timeoutMs: number): Promise<void> {
  // The raw connection of the queue (the one that wrote the job): WAIT counts that connection's writes. On a Redis
  // Cluster, the pooled connection to the master of the queue's slot (its keys share the `{bull}` hash tag).
  const raw = (await events.getBackend().client) as unknown as RedisClient;
  const client =
    raw instanceof Cluster ? await clusterMasterFor(raw, `${events.opts.prefix ?? 'bull'}:${events.name}`) : raw;
  if (!client) throw new Error('no Redis Cluster master known for the events queue');
  const acked = await client.wait(count, timeoutMs);
  if (acked < count)
    throw new Error(`only ${acked} of ${count} Redis replica(s) acknowledged the event within ${timeoutMs} ms`);
}

/** `promise`, or a rejection after `ms` (one promise and one timer per call: this is on every acknowledgement). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Job ids unique across every process and restart: a random prefix per process and a counter (a UUID per add
 * cost more than the rest of the id work; uniqueness is what matters: an id that already existed would make BullMQ
 * answer with that job, i.e. take the delivery for a duplicate).
 */
function jobIds(): () => string {
  const prefix = `e-${randomUUID()}-`;
  let n = 0;
  return () => `${prefix}${(++n).toString(36)}`;
}

/**
 * The request-path half of the pipeline: dedupe + durable enqueue in ONE Redis script (BullMQ's `addJob` with
 * throttle-mode deduplication), so 50 parallel identical deliveries create exactly one job and a redelivery after
 * the job completed and was removed is still a duplicate for `dedupeTtl`. Each add carries a fresh job id: BullMQ
 * answers with the existing job's id when the delivery was a duplicate.
 */
export function createIngest(options: IngestOptions): (req: IngestRequest) => Promise<IngestResult> {
  const timeoutMs = options.timeoutMs ?? 800;
  const waitReplicas = options.waitReplicas ?? 0;
  const nextJobId = jobIds();
  return async (req) => {
    const eventId = `${req.instanceId}:${req.event.eventId}`;
    const jobId = nextJobId();
    const data: EventJob = {
      instanceId: req.instanceId,
      // Connectors already canonicalize; this keeps one key per ticket whatever a connector hands over.
      ticketId: canonicalTicketId(req.event.ticketId) ?? req.event.ticketId,
      action: req.event.action,
      eventId: req.event.eventId,
      receivedAt: req.receivedAt,
      requestId: req.requestId,
    };
    if (req.event.actor !== undefined) data.actor = req.event.actor;
    if (req.event.version !== undefined) data.version = req.event.version;
    try {
      const job = await withTimeout(
        options.events.add('event', data, {
          jobId,
          deduplication: { id: eventDedupeId(req.instanceId, req.event.eventId), ttl: options.dedupeTtlMs },
          attempts: 10,
          backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
          // Gone as soon as it is processed: the TTL'd dedupe key, not the job, remembers the delivery.
          removeOnComplete: true,
          removeOnFail: retention.removeOnFail,
        }),
        timeoutMs,
      );
      if (waitReplicas > 0) await replicated(options.events, waitReplicas, timeoutMs);
      return { eventId, duplicate: job.id !== jobId };
    } catch (e) {
      throw new PipelineUnavailableError('the event queue is unavailable (Redis down?)', { cause: e });
    }
  };
}
