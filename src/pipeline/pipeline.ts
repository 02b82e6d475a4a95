import { randomUUID } from 'node:crypto';

import { Queue } from 'bullmq';
import type { Worker } from 'bullmq';

import type { Logger } from '../contract/index.js';
import type { AppConfig } from '../config/types.js';
import { createHttpClient } from '../lib/http.js';
import type { HttpClientOptions } from '../lib/http.js';
import type { Metrics } from '../lib/metrics.js';
import type { StoredDeadLetter } from '../store/dead-letter-store.js';
import { bullPrefix } from '../store/keys.js';
import { MetricsHistoryStore } from '../store/metrics-history-store.js';
import { closeRedis, createRedis, waitReady } from '../store/redis.js';
import { ReviewStore } from '../store/review-store.js';
import type { RedisClient } from '../store/redis.js';

import { createRuntimes } from './context.js';
import { registerPsaUpGauge } from './psa-health.js';
import type { BreakerOptions } from './psa-health.js';
import type { ConnectorLookup, Runtimes } from './context.js';
import type { PolicyEngine } from './engine.js';
import { Heartbeat } from './heartbeat.js';
import { createIngest } from './ingest.js';
import { kickTicket } from './kick.js';
import type { KickOptions } from './kick.js';
import { startLoops, startQueueMetrics } from './loops.js';
import { createFollowThroughMetrics } from './follow-through-metrics.js';
import { rcaStatusByInstance } from './monthly-report.js';
import { createAlerter, createNotifier } from './notifiers.js';
import { createQuietHours } from './quiet-hours.js';
import { heartbeatQueueName, queueNames } from './queues.js';
import { registerEscalationGauges } from './escalation-metrics-gauges.js';
import { createEscalationMetricsService } from './escalation-metrics-service.js';
import { createReadModels } from './read-models.js';
import { createStores } from './stores.js';
import type { Stores } from './stores.js';
import { policyFacts } from './ticket-counters.js';
import { createMetricsBreakdown } from './metrics-breakdown.js';
import { createTicketLister } from './ticket-list.js';
import type { PolicyFacts } from './ticket-counters.js';
import type { Pipeline, ReadModels } from './types.js';
import { closeWorkers, createWorkers } from './workers.js';
import type { WorkerSet, WorkerSettings } from './workers.js';

export type Role = 'all' | 'api' | 'worker';

export interface PipelineOptions {
  config: AppConfig;
  redisUrl: string;
  connectors: ConnectorLookup;
  engine: PolicyEngine;
  log: Logger;
  metrics?: Metrics;
  /** @defaultValue 'all' */
  role?: Role;
  /** `DEBOUNCE_MS`. @defaultValue 250 */
  debounceMs?: number;
  /** `REDIS_WAIT_REPLICAS`: replicas that must hold an event before its 202. @defaultValue 0 */
  waitReplicas?: number;
  /** `WORKER_CONCURRENCY`. @defaultValue 4 */
  workerConcurrency?: number;
  /** `PUBLIC_URL` (webhook registration checks). */
  publicUrl?: string;
  /** Injected clock for evaluations and scheduled checks (tests). @defaultValue Date.now */
  now?: () => number;
  /** Test knobs: short BullMQ locks, fast heartbeats and polls. */
  tuning?: Partial<WorkerSettings> & {
    heartbeatMs?: number;
    heartbeatStaleMs?: number;
    pollMs?: number;
    reconcileStartDelayMs?: number;
    /** How long `close()` waits for in-flight jobs. @defaultValue 10_000 */
    closeTimeoutMs?: number;
    ticketAttempts?: number;
    backoffMs?: number;
    /** A PSA's note commit delay covered before re-checking a note whose POST got no answer. @defaultValue 60_000 */
    noteSettleMs?: number;
    /** Circuit breaker: consecutive failures to open, probe interval. */
    breaker?: BreakerOptions;
    /** Retries of one ticket per hour before it is dead-lettered. @defaultValue 12 */
    ticketRetriesPerHour?: number;
  };
  /** Outbound client overrides (tests shorten backoffs). */
  http?: Partial<HttpClientOptions>;
}

export interface RunningPipeline {
  pipeline: Pipeline;
  read: ReadModels;
  runtimes: Runtimes;
  stores: Stores;
  queues: { events: Queue; tickets: Queue; control: Queue };
  /** General Redis connection (tests inspect state through it). */
  redis: RedisClient;
  kick(kick: KickOptions): Promise<void>;
  /** This process's BullMQ workers (empty for the api role); tests inspect and pause them. */
  workers(): Worker[];
  close(): Promise<void>;
}

function factsByInstance(config: AppConfig): (id: string) => PolicyFacts {
  const map = new Map<string, PolicyFacts>();
  for (const i of config.instances) {
    const policy = config.policies[i.info.policy];
    if (policy) map.set(i.info.id, policyFacts(policy, config.groups));
  }
  return (id) => map.get(id) ?? { slaRules: new Set(), recurring: [], groups: config.groups };
}

/**
 * Connects to Redis and starts the pipeline for a role: `api` ingests and serves read models; `worker` consumes
 * (events → debounced ticket jobs → evaluations), runs scheduled checks, sweeps and heartbeats; `all` does both.
 */
export async function startPipeline(options: PipelineOptions): Promise<RunningPipeline> {
  const role = options.role ?? 'all';
  const now = options.now ?? Date.now;
  const tuning = options.tuning ?? {};
  const { log } = options;
  const redis = createRedis({ url: options.redisUrl, role: 'client', name: 'psa-escalator:client', log });
  const producer = createRedis({ url: options.redisUrl, role: 'producer', name: 'psa-escalator:producer', log });
  await Promise.all([waitReady(redis), waitReady(producer)]);
  const stores = createStores(redis, options.config, now);
  const historyStore = new MetricsHistoryStore(redis, stores.keys, { retentionMs: options.config.retention.auditMs, now });
  const escalationMetrics = createEscalationMetricsService({ store: historyStore, config: options.config, log });
  const reviewStore = new ReviewStore(redis, stores.keys, { retentionMs: options.config.retention.auditMs, now });
  const followThrough = createFollowThroughMetrics({ redis, keys: stores.keys, config: options.config, reviews: reviewStore });
  // BullMQ's keys carry the {bull} hash tag on a Redis Cluster (keys.ts `bullPrefix`): every queue in one slot.
  const prefix = bullPrefix(redis.isCluster);
  const queues = {
    events: new Queue(queueNames.events, { connection: producer, prefix }),
    tickets: new Queue(queueNames.tickets, { connection: redis, prefix }),
    control: new Queue(queueNames.control, { connection: redis, prefix }),
  };
  const heartbeatQueue = new Queue(queueNames.events, { connection: redis, prefix });
  const processId = randomUUID().slice(0, 12);
  // This process's own heartbeat queue (heartbeat.ts); its event stream is kept short (one heartbeat a second).
  const ownHeartbeatQueue = new Queue(heartbeatQueueName(processId), { connection: redis, prefix, streams: { events: { maxLen: 100 } } });
  // Connection errors surface through readiness and 503s; without a listener BullMQ prints each one.
  for (const q of [...Object.values(queues), heartbeatQueue, ownHeartbeatQueue]) q.on('error', (e: Error) => log.debug({ err: { message: e.message }, queue: q.name }, 'queue error'));
  const runtimes = createRuntimes({
    config: options.config, connectors: options.connectors, redis, keys: stores.keys, log, now,
    ...(options.metrics ? { metrics: options.metrics } : {}), ...(options.http ? { http: options.http } : {}), ...(tuning.breaker ? { breaker: tuning.breaker } : {}),
  });
  const kick = (k: KickOptions) => kickTicket(queues.tickets, k, { ...(tuning.ticketAttempts ? { attempts: tuning.ticketAttempts } : {}), ...(tuning.backoffMs ? { backoffMs: tuning.backoffMs } : {}) });
  const ingest = createIngest({ events: queues.events, dedupeTtlMs: options.config.dedupeTtlMs, waitReplicas: options.waitReplicas ?? 0 });
  const closers: (() => Promise<void> | void)[] = [];
  let workerSet: WorkerSet | undefined;
  let heartbeat: Heartbeat | undefined;

  if (role !== 'api') {
    const notifierHttp = createHttpClient({ log, ...options.http });
    const sendNow = createNotifier({ notifiers: options.config.notifiers, http: notifierHttp });
    // Notifier quiet hours: held notifications wait in Redis for the digest the loop below sends when it opens.
    const quiet = createQuietHours({ notifiers: options.config.notifiers, calendars: options.config.calendars, redis, keys: stores.keys, http: notifierHttp, send: sendNow, now, log });
    const notify = quiet.quiet.length > 0 ? quiet.notify : sendNow;
    if (quiet.quiet.length > 0) {
      let flushing = false;
      const timer = setInterval(() => {
        if (flushing) return;
        flushing = true;
        void quiet.flush().finally(() => {
          flushing = false;
        });
      }, tuning.pollMs ?? 500);
      timer.unref();
      closers.push(() => clearInterval(timer));
    }
    const alert = createAlerter({ notifiers: options.config.notifiers, http: notifierHttp });
    const processor = {
      runtimes, engine: options.engine, facts: factsByInstance(options.config), ...stores, notify, log, now, escalationMetrics,
      ...(options.metrics ? { metrics: options.metrics } : {}), ...(tuning.noteSettleMs !== undefined ? { noteSettleMs: tuning.noteSettleMs } : {}),
    };
    const workerDeps = {
      redisUrl: options.redisUrl, redis, keys: stores.keys, processor, runtimes, kick, log, processId, prefix,
      reconcile: { redis, keys: stores.keys, tickets: stores.tickets, instances: stores.instances, backfill: stores.backfill, kick, log, now, publicUrl: options.publicUrl,
        alert, ...(options.metrics ? { metrics: options.metrics } : {}) },
      settings: { concurrency: options.workerConcurrency ?? 4, debounceMs: options.debounceMs ?? 250, ...tuning },
    };
    workerSet = createWorkers(workerDeps);
    heartbeat = new Heartbeat({
      events: heartbeatQueue, own: ownHeartbeatQueue, redis, keys: stores.keys, processId, log,
      ...(tuning.heartbeatMs ? { intervalMs: tuning.heartbeatMs } : {}),
      ...(tuning.heartbeatStaleMs ? { staleMs: tuning.heartbeatStaleMs } : {}),
      onStuck: async () => {
        // bullmq#4585 class of bug: replace the silent workers with fresh ones.
        const old = workerSet;
        workerSet = createWorkers(workerDeps);
        if (old) await closeWorkers(old, 1_000, log);
      },
    });
    heartbeat.start();
    const loops = startLoops({
      schedule: stores.schedule, redis, keys: stores.keys, runtimes, control: queues.control, kick, log, now,
      ...(tuning.pollMs ? { pollMs: tuning.pollMs } : {}),
      ...(tuning.reconcileStartDelayMs !== undefined ? { reconcileStartDelayMs: tuning.reconcileStartDelayMs } : {}),
    });
    closers.push(() => loops.stop(), () => heartbeat?.stop());
  }
  if (options.metrics && !options.metrics.registry.getSingleMetric('psa_escalator_tier_tickets')) {
    registerEscalationGauges({ registry: options.metrics.registry, service: escalationMetrics, followThrough, instances: options.config.instances.map((i) => i.info.id), now });
  }
  if (options.metrics) registerPsaUpGauge(options.metrics.registry, stores.instances, options.config.instances.map((i) => i.info.id));
  if (options.metrics) {
    const m = startQueueMetrics(Object.values(queues), options.metrics);
    closers.push(() => m.stop());
  }

  const pipeline: Pipeline = {
    ingest,
    async reportDeactivation(instanceId) {
      await stores.instances.setWebhook(instanceId, 'deactivation_reported');
      options.metrics?.webhookDeactivations.inc({ instance: instanceId });
      if (await stores.instances.claimRegistrationCheck(instanceId, 10 * 60_000)) {
        await queues.control.add('registration_check', { kind: 'registration_check', instanceId, requestedAt: now() }, { removeOnComplete: 100, removeOnFail: 100 });
      }
    },
    async enqueueReconcile(instanceId, opts) {
      const job = await queues.control.add('reconcile', { kind: 'reconcile', instanceId, requestedAt: now(), ...(opts?.full ? { full: true } : {}) }, { removeOnComplete: 100, removeOnFail: 100 });
      return { jobId: String(job.id) };
    },
    async readiness() {
      const ping = await Promise.race([redis.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 500).unref())]);
      const redisOk = ping && producer.status === 'ready';
      if (role === 'api') return { redis: redisOk, workers: null };
      const running = workerSet?.workers.every((w) => w.isRunning()) ?? false;
      return { redis: redisOk, workers: redisOk && running && (heartbeat?.healthy() ?? false) };
    },
    close: () => close(),
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const c of closers) await c();
      if (workerSet) await closeWorkers(workerSet, tuning.closeTimeoutMs ?? 10_000, log);
      await heartbeat?.remove();
      await Promise.all([...Object.values(queues), heartbeatQueue, ownHeartbeatQueue].map((q) => q.close().catch(() => undefined)));
      await Promise.all([closeRedis(redis), closeRedis(producer)]);
    })());

  const retryNotifiers = async (letter: StoredDeadLetter) => {
    await queues.control.add(
      'notifier_retry',
      { kind: 'notifier_retry', instanceId: letter.instanceId, ticketId: letter.ticketId, requestedAt: now(), actions: letter.actions, ...(letter.auditId ? { auditId: letter.auditId } : {}) },
      { attempts: 3, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: 100, removeOnFail: 100 },
    );
  };
  const read: ReadModels = {
    ...createReadModels({
      ...stores, runtimes, lagQueues: [queues.events, queues.tickets], kick, now, retryNotifiers,
      reviews: reviewStore,
      rcaStatus: (q) => rcaStatusByInstance({ redis, keys: stores.keys, config: options.config, ...q }),
    }),
    escalationMetrics: (q) => escalationMetrics.query(q),
    openTickets: createTicketLister({ config: options.config, tickets: stores.tickets, now }),
    escalationMetricsBy: createMetricsBreakdown({ histories: historyStore, tickets: stores.tickets, tiers: options.config.tiers }),
    escalationMetricsAll: (q) => escalationMetrics.queryAll(q),
    followThrough,
  };
  return { pipeline, read, runtimes, stores, queues, redis, kick, workers: () => [...(workerSet?.workers ?? [])], close };
}
