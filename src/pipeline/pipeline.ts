import { randomUUID } from 'node:crypto';

import { Queue } from 'bullmq';
import type { Worker } from 'bullmq';

import type { Logger } from '../contract/index.js';
import type { AppConfig } from '../config/types.js';
import { createHttpClient } from './outbound/psa-http.js';
import type { HttpClientOptions } from './outbound/psa-http.js';
import type { Metrics } from './metrics/prometheus.js';
import type { StoredDeadLetter } from '../store/dead-letter-store.js';
import { bullPrefix } from '../store/keys.js';
import type { Keys } from '../store/keys.js';
import { MetricsHistoryStore } from '../store/metrics-history-store.js';
import { closeRedis, createRedis, waitReady } from '../store/redis.js';
import { ReviewStore } from '../store/review-store.js';
import type { RedisClient } from '../store/redis.js';

import { createRuntimes } from './outbound/instance-runtime.js';
import { registerPsaUpGauge } from './outbound/psa-health.js';
import type { BreakerOptions } from './outbound/psa-health.js';
import type { ConnectorLookup, Runtimes } from './outbound/instance-runtime.js';
import type { PolicyEngine } from './policy/policy-engine.js';
import { Heartbeat } from './schedule/heartbeat.js';
import { createIngest } from './ingest/ingest.js';
import { kickTicket } from './queue/kick-ticket.js';
import type { KickOptions } from './queue/kick-ticket.js';
import { startLoops, startQueueMetrics } from './schedule/loops.js';
import type { DueCheckActivity } from './schedule/loops.js';
import { rcaStatusByInstance } from './metrics/monthly-report.js';
import { createAlerter, createNotifier } from './notify/notifiers.js';
import { createQuietHours } from './notify/quiet-hours.js';
import { heartbeatQueueName, queueNames } from './queue/queues.js';
import { registerEscalationGauges } from './metrics/escalation-metrics-gauges.js';
import { createEscalationMetricsService } from './metrics/escalation-metrics-service.js';
import { createReadModels } from './read/read-models.js';
import { createStores } from '../store/stores.js';
import type { Stores } from '../store/stores.js';
import { policyFacts } from '../store/ticket-counters.js';
import { createMetricsBreakdown } from './metrics/metrics-breakdown.js';
import { createTicketLister } from './read/ticket-list.js';
import type { PolicyFacts } from '../store/ticket-counters.js';
import { createFollowThroughMetrics } from './metrics/follow-through-metrics.js';
import type { Pipeline, ReadModels } from './types.js';
import { closeWorkers, createWorkers } from './process/workers.js';
import type { WorkerSet, WorkerSettings } from './process/workers.js';

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
  /** What this process's due-check loop is doing (never anything for the api role); the demo's pacer reads it. */
  dueChecks(): DueCheckActivity;
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

type Tuning = NonNullable<PipelineOptions['tuning']>;

/** What every step of the start-up shares: connections, stores, queues, runtimes, and what `close()` must undo. */
interface Core {
  options: PipelineOptions;
  role: Role;
  now: () => number;
  tuning: Tuning;
  log: Logger;
  redis: RedisClient;
  producer: RedisClient;
  stores: Stores;
  historyStore: MetricsHistoryStore;
  escalationMetrics: ReturnType<typeof createEscalationMetricsService>;
  reviewStore: ReviewStore;
  followThrough: ReturnType<typeof createFollowThroughMetrics>;
  prefix: string;
  queues: RunningPipeline['queues'];
  heartbeatQueue: Queue;
  ownHeartbeatQueue: Queue;
  processId: string;
  runtimes: Runtimes;
  kick: (k: KickOptions) => Promise<void>;
  closers: (() => Promise<void> | void)[];
}

/** This process's consumers: the worker set (replaced when the heartbeat finds it stuck) and its heartbeat. */
interface WorkerRole {
  current(): WorkerSet | undefined;
  heartbeat: Heartbeat;
  dueChecks(): DueCheckActivity;
}

/** The BullMQ queues on the two connections; BullMQ's keys carry the {bull} hash tag on a Redis Cluster (keys.ts). */
function openQueues(redis: RedisClient, producer: RedisClient, processId: string, log: Logger) {
  const prefix = bullPrefix(redis.isCluster);
  const queues = {
    events: new Queue(queueNames.events, { connection: producer, prefix }),
    tickets: new Queue(queueNames.tickets, { connection: redis, prefix }),
    control: new Queue(queueNames.control, { connection: redis, prefix }),
  };
  const heartbeatQueue = new Queue(queueNames.events, { connection: redis, prefix });
  // This process's own heartbeat queue (heartbeat.ts); its event stream is kept short (one heartbeat a second).
  const ownHeartbeatQueue = new Queue(heartbeatQueueName(processId), {
    connection: redis,
    prefix,
    streams: { events: { maxLen: 100 } },
  });
  // Connection errors surface through readiness and 503s; without a listener BullMQ prints each one.
  for (const q of [...Object.values(queues), heartbeatQueue, ownHeartbeatQueue])
    q.on('error', (e: Error) => log.debug({ err: { message: e.message }, queue: q.name }, 'queue error'));
  return { prefix, queues, heartbeatQueue, ownHeartbeatQueue };
}

/** The escalation-metrics history, review verdicts and follow-through metrics (issue 17), all in Redis. */
function openMetricsStores(redis: RedisClient, keys: Keys, options: PipelineOptions, now: () => number) {
  const { config, log } = options;
  const historyStore = new MetricsHistoryStore(redis, keys, { retentionMs: config.retention.auditMs, now });
  const escalationMetrics = createEscalationMetricsService({ store: historyStore, config, log });
  const reviewStore = new ReviewStore(redis, keys, { retentionMs: config.retention.auditMs, now });
  const followThrough = createFollowThroughMetrics({ redis, keys, config, reviews: reviewStore });
  return { historyStore, escalationMetrics, reviewStore, followThrough };
}

/** Step 1: Redis connections, stores, queues, per-instance runtimes and the ticket-job kicker. */
async function connect(options: PipelineOptions): Promise<Core> {
  const now = options.now ?? Date.now;
  const tuning = options.tuning ?? {};
  const { log } = options;
  const redis = createRedis({ url: options.redisUrl, role: 'client', name: 'psa-escalator:client', log });
  const producer = createRedis({ url: options.redisUrl, role: 'producer', name: 'psa-escalator:producer', log });
  await Promise.all([waitReady(redis), waitReady(producer)]);
  const stores = createStores(redis, options.config, now);
  const { historyStore, escalationMetrics, reviewStore, followThrough } = openMetricsStores(
    redis,
    stores.keys,
    options,
    now,
  );
  const processId = randomUUID().slice(0, 12);
  const runtimes = createRuntimes({
    config: options.config,
    connectors: options.connectors,
    redis,
    keys: stores.keys,
    log,
    now,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.http ? { http: options.http } : {}),
    ...(tuning.breaker ? { breaker: tuning.breaker } : {}),
  });
  const { prefix, queues, heartbeatQueue, ownHeartbeatQueue } = openQueues(redis, producer, processId, log);
  const kickPolicy = {
    ...(tuning.ticketAttempts ? { attempts: tuning.ticketAttempts } : {}),
    ...(tuning.backoffMs ? { backoffMs: tuning.backoffMs } : {}),
  };
  const kick = (k: KickOptions) => kickTicket(queues.tickets, k, kickPolicy);
  return {
    options,
    role: options.role ?? 'all',
    now,
    tuning,
    log,
    redis,
    producer,
    stores,
    historyStore,
    escalationMetrics,
    reviewStore,
    followThrough,
    prefix,
    queues,
    heartbeatQueue,
    ownHeartbeatQueue,
    processId,
    runtimes,
    kick,
    closers: [],
  };
}

/** Step 2 (workers): notifiers, with quiet hours holding notifications in Redis for the digest sent when they open. */
function startNotifications(core: Core) {
  const { options, redis, stores, now, log, tuning } = core;
  const notifierHttp = createHttpClient({ log, ...options.http });
  const sendNow = createNotifier({ notifiers: options.config.notifiers, http: notifierHttp });
  const quiet = createQuietHours({
    notifiers: options.config.notifiers,
    calendars: options.config.calendars,
    redis,
    keys: stores.keys,
    http: notifierHttp,
    send: sendNow,
    now,
    log,
  });
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
    core.closers.push(() => clearInterval(timer));
  }
  return {
    notify: quiet.quiet.length > 0 ? quiet.notify : sendNow,
    alert: createAlerter({ notifiers: options.config.notifiers, http: notifierHttp }),
  };
}

/** What the BullMQ workers need: the ticket processor's dependencies and the reconciler's. */
function workerDepsOf(
  core: Core,
  notify: ReturnType<typeof startNotifications>['notify'],
  alert: ReturnType<typeof startNotifications>['alert'],
) {
  const { options, redis, stores, runtimes, kick, log, now, tuning, processId, prefix } = core;
  const processor = {
    runtimes,
    engine: options.engine,
    facts: factsByInstance(options.config),
    ...stores,
    notify,
    log,
    now,
    escalationMetrics: core.escalationMetrics,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(tuning.noteSettleMs !== undefined ? { noteSettleMs: tuning.noteSettleMs } : {}),
  };
  return {
    redisUrl: options.redisUrl,
    redis,
    keys: stores.keys,
    processor,
    runtimes,
    kick,
    log,
    processId,
    prefix,
    reconcile: {
      redis,
      keys: stores.keys,
      tickets: stores.tickets,
      instances: stores.instances,
      backfill: stores.backfill,
      kick,
      log,
      now,
      publicUrl: options.publicUrl,
      alert,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    },
    settings: { concurrency: options.workerConcurrency ?? 4, debounceMs: options.debounceMs ?? 250, ...tuning },
  };
}

/** Step 3 (workers): BullMQ workers, their heartbeat (fresh workers when they stop consuming) and the due-check loops. */
function startWorkers(core: Core): WorkerRole {
  const { redis, stores, runtimes, kick, log, now, tuning, processId, queues } = core;
  const { notify, alert } = startNotifications(core);
  const workerDeps = workerDepsOf(core, notify, alert);
  let workerSet = createWorkers(workerDeps);
  const heartbeat = new Heartbeat({
    events: core.heartbeatQueue,
    own: core.ownHeartbeatQueue,
    redis,
    keys: stores.keys,
    processId,
    log,
    ...(tuning.heartbeatMs ? { intervalMs: tuning.heartbeatMs } : {}),
    ...(tuning.heartbeatStaleMs ? { staleMs: tuning.heartbeatStaleMs } : {}),
    onStuck: async () => {
      // bullmq#4585 class of bug: replace the silent workers with fresh ones.
      const old = workerSet;
      workerSet = createWorkers(workerDeps);
      await closeWorkers(old, 1_000, log);
    },
  });
  heartbeat.start();
  const loops = startLoops({
    schedule: stores.schedule,
    redis,
    keys: stores.keys,
    runtimes,
    control: queues.control,
    kick,
    log,
    now,
    ...(tuning.pollMs ? { pollMs: tuning.pollMs } : {}),
    ...(tuning.reconcileStartDelayMs !== undefined ? { reconcileStartDelayMs: tuning.reconcileStartDelayMs } : {}),
  });
  core.closers.push(
    () => loops.stop(),
    () => heartbeat.stop(),
  );
  return { current: () => workerSet, heartbeat, dueChecks: () => loops.activity() };
}

/** Step 4: the Prometheus gauges this process serves (escalation metrics, PSA up, queue depths). */
function registerGauges(core: Core): void {
  const { metrics, config } = core.options;
  if (!metrics) return;
  const instances = config.instances.map((i) => i.info.id);
  if (!metrics.registry.getSingleMetric('psa_escalator_tier_tickets')) {
    registerEscalationGauges({
      registry: metrics.registry,
      service: core.escalationMetrics,
      followThrough: core.followThrough,
      instances,
      now: core.now,
    });
  }
  registerPsaUpGauge(metrics.registry, core.stores.instances, instances);
  const m = startQueueMetrics(Object.values(core.queues), metrics);
  core.closers.push(() => m.stop());
}

/** Step 5: the seam the HTTP layer writes through (ingest, deactivation notices, reconcile requests, readiness). */
function pipelineSeam(core: Core, workers: WorkerRole | undefined, close: () => Promise<void>): Pipeline {
  const { stores, queues, redis, producer, now, options } = core;
  return {
    ingest: createIngest({
      events: queues.events,
      dedupeTtlMs: options.config.dedupeTtlMs,
      waitReplicas: options.waitReplicas ?? 0,
    }),
    async reportDeactivation(instanceId) {
      await stores.instances.setWebhook(instanceId, 'deactivation_reported');
      options.metrics?.webhookDeactivations.inc({ instance: instanceId });
      if (await stores.instances.claimRegistrationCheck(instanceId, 10 * 60_000)) {
        await queues.control.add(
          'registration_check',
          { kind: 'registration_check', instanceId, requestedAt: now() },
          { removeOnComplete: 100, removeOnFail: 100 },
        );
      }
    },
    async enqueueReconcile(instanceId, opts) {
      const job = await queues.control.add(
        'reconcile',
        { kind: 'reconcile', instanceId, requestedAt: now(), ...(opts?.full ? { full: true } : {}) },
        { removeOnComplete: 100, removeOnFail: 100 },
      );
      return { jobId: String(job.id) };
    },
    async readiness() {
      const ping = await Promise.race([
        redis.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), 500).unref()),
      ]);
      const redisOk = ping && producer.status === 'ready';
      if (core.role === 'api') return { redis: redisOk, workers: null };
      const running = workers?.current()?.workers.every((w) => w.isRunning()) ?? false;
      return { redis: redisOk, workers: redisOk && running && (workers?.heartbeat.healthy() ?? false) };
    },
    close,
  };
}

/** Step 6: the read models `/api/*` and the console serve. */
function readModels(core: Core): ReadModels {
  const { stores, queues, redis, runtimes, kick, now, options, escalationMetrics, reviewStore, followThrough } = core;
  const retryNotifiers = async (letter: StoredDeadLetter) => {
    await queues.control.add(
      'notifier_retry',
      {
        kind: 'notifier_retry',
        instanceId: letter.instanceId,
        ticketId: letter.ticketId,
        requestedAt: now(),
        actions: letter.actions,
        ...(letter.auditId ? { auditId: letter.auditId } : {}),
      },
      { attempts: 3, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: 100, removeOnFail: 100 },
    );
  };
  return {
    ...createReadModels({
      ...stores,
      runtimes,
      lagQueues: [queues.events, queues.tickets],
      kick,
      now,
      retryNotifiers,
      reviews: reviewStore,
      rcaStatus: (q) => rcaStatusByInstance({ redis, keys: stores.keys, config: options.config, ...q }),
    }),
    escalationMetrics: (q) => escalationMetrics.query(q),
    openTickets: createTicketLister({ config: options.config, tickets: stores.tickets, now }),
    escalationMetricsBy: createMetricsBreakdown({
      histories: core.historyStore,
      tickets: stores.tickets,
      tiers: options.config.tiers,
    }),
    escalationMetricsAll: (q) => escalationMetrics.queryAll(q),
    followThrough,
  };
}

/** Stops accepting, lets in-flight jobs finish (bounded), closes queues and connections; once. */
function closer(core: Core, workers: WorkerRole | undefined): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      for (const c of core.closers) await c();
      const set = workers?.current();
      if (set) await closeWorkers(set, core.tuning.closeTimeoutMs ?? 10_000, core.log);
      await workers?.heartbeat.remove();
      await Promise.all(
        [...Object.values(core.queues), core.heartbeatQueue, core.ownHeartbeatQueue].map((q) =>
          q.close().catch(() => undefined),
        ),
      );
      await Promise.all([closeRedis(core.redis), closeRedis(core.producer)]);
    })());
}

/**
 * Connects to Redis and starts the pipeline for a role: `api` ingests and serves read models; `worker` consumes
 * (events → debounced ticket jobs → evaluations), runs scheduled checks, sweeps and heartbeats; `all` does both.
 */
export async function startPipeline(options: PipelineOptions): Promise<RunningPipeline> {
  const core = await connect(options);
  const workers = core.role === 'api' ? undefined : startWorkers(core);
  registerGauges(core);
  const close = closer(core, workers);
  return {
    pipeline: pipelineSeam(core, workers, close),
    read: readModels(core),
    runtimes: core.runtimes,
    stores: core.stores,
    queues: core.queues,
    redis: core.redis,
    kick: core.kick,
    workers: () => [...(workers?.current()?.workers ?? [])],
    dueChecks: () => workers?.dueChecks() ?? { inFlight: false, claims: 0 },
    close,
  };
}
