import type { FastifyInstance } from 'fastify';

import type { AnyConnector, PsaKind } from './contract/index.js';
import type { AppConfig, EnvConfig } from './config/types.js';
import { connectors as registry } from './connectors.js';
import { buildApp } from './http/app.js';
import type { BuildAppOptions } from './http/app.js';
import type { AppDeps, ServeRole } from './http/deps.js';
import { startEmbeddedRedis } from './store/embedded-redis.js';
import type { EmbeddedRedis } from './store/embedded-redis.js';
import { createLogger } from './lib/logger.js';
import { redisTopology } from './lib/redis-target.js';
import type { AppLogger } from './lib/logger.js';
import { createMetrics } from './pipeline/metrics/prometheus.js';
import { startPipeline } from './pipeline/pipeline.js';
import type { PipelineOptions, RunningPipeline } from './pipeline/pipeline.js';
import { createPolicyEngine } from './pipeline/policy/policy-engine.js';
import { closeRedis, configNumber, createRedis, redisDurability, waitReady } from './store/redis.js';

/**
 * Process wiring (STYLE: `main.ts` is the process entry): config → Redis (embedded unless `REDIS_URL`) →
 * pipeline for the role → HTTP app → listen; and the reverse on shutdown. Start-up never calls a PSA.
 */
export interface ServiceOptions {
  env: EnvConfig;
  config: AppConfig;
  /** @defaultValue 'all' */
  role?: ServeRole;
  log?: AppLogger;
  /** @defaultValue the registry of src/connectors.ts */
  connectors?: Record<PsaKind, AnyConnector>;
  /** Test knobs passed to the pipeline (short locks, fast heartbeats). */
  pipeline?: Pick<PipelineOptions, 'tuning' | 'http' | 'now'>;
  app?: BuildAppOptions;
  /** Called when the embedded Redis can't be kept alive (the process should exit). */
  onFatal?: (error: Error) => void;
  /** `serve --allow-unsafe-redis`: start even when REDIS_URL evicts keys or persists nothing (warns instead). */
  allowUnsafeRedis?: boolean;
}

export interface RunningService {
  app: FastifyInstance;
  /** `http://host:port` actually bound. */
  url: string;
  pipeline: RunningPipeline;
  embedded?: EmbeddedRedis;
  redisUrl: string;
  /** Stops accepting (503 while closing), finishes in-flight jobs (bounded), closes Redis, stops embedded Redis. */
  close(): Promise<void>;
}

/** An external Redis that can lose queued events: `serve` refuses it unless told otherwise (one line, no secrets). */
export class UnsafeRedisError extends Error {
  readonly code = 'unsafe_redis' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeRedisError';
  }
}

/** `redis://host:port` without the credentials of a REDIS_URL. */
function redisOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'REDIS_URL';
  }
}

/**
 * Checks an external Redis before anything is queued on it (docs/reliability.md §2): BullMQ needs `maxmemory-policy
 * noeviction` (evicted keys are lost jobs) and some persistence (AOF or RDB), or a restart loses acknowledged
 * events. What it can read and find unsafe stops the start (`UnsafeRedisError`) unless `allowUnsafe`; what it
 * cannot read (CONFIG renamed or denied, as on managed Redis) is one warning line.
 */
async function checkExternalRedis(url: string, log: AppLogger, allowUnsafe: boolean): Promise<void> {
  const client = createRedis({ url, role: 'client', name: 'psa-escalator:check', log });
  try {
    await waitReady(client, 10_000);
    const d = await redisDurability(client);
    const problems: string[] = [];
    if (d.maxmemoryPolicy !== undefined && d.maxmemoryPolicy !== 'noeviction') {
      problems.push(
        `maxmemory-policy is "${d.maxmemoryPolicy}" (must be noeviction: evicted keys are lost events and jobs)`,
      );
    }
    if (d.aof === false && d.rdb === false)
      problems.push('persistence is off (appendonly no and save "": a Redis restart loses acknowledged events)');
    const unknown = [
      d.maxmemoryPolicy === undefined ? 'maxmemory-policy' : undefined,
      d.aof === undefined || d.rdb === undefined ? 'persistence (appendonly, save)' : undefined,
    ].filter((x): x is string => x !== undefined);
    if (unknown.length > 0) {
      log.warn(
        `could not check Redis ${unknown.join(' and ')} at ${redisOrigin(url)} (CONFIG GET refused): make sure maxmemory-policy is noeviction and AOF or RDB is on`,
      );
    }
    if (problems.length > 0) {
      const what = `unsafe Redis at ${redisOrigin(url)}: ${problems.join('; ')}`;
      if (!allowUnsafe)
        throw new UnsafeRedisError(
          `${what}; fix the Redis configuration, or start with --allow-unsafe-redis (REDIS_UNSAFE_OK=1) to run anyway`,
        );
      log.warn(`${what}; starting anyway (--allow-unsafe-redis / REDIS_UNSAFE_OK=1)`);
    }
    const hz = await configNumber(client, 'hz');
    if (hz !== undefined && hz < 50) {
      log.info(
        { hz },
        `Redis hz is ${hz}: delayed jobs (the per-ticket debounce) may start up to ${Math.round(1000 / hz)} ms late; hz 100 is recommended`,
      );
    }
  } finally {
    await closeRedis(client);
  }
}

/** `REDIS_WAIT_REPLICAS`, else 1 with Sentinel (a failover must not lose an acknowledged event), else 0. */
function waitReplicasFor(env: EnvConfig, redisUrl: string): number {
  if (env.redisWaitReplicas !== undefined) return env.redisWaitReplicas;
  return /^rediss?\+sentinel:/.test(redisUrl) ? 1 : 0;
}

/** The external Redis of `REDIS_URL` (checked before anything is queued on it), else an embedded one in DATA_DIR. */
async function openRedis(
  options: ServiceOptions,
  log: AppLogger,
): Promise<{ redisUrl: string; embedded?: EmbeddedRedis }> {
  const { env } = options;
  if (env.redisUrl) {
    await checkExternalRedis(env.redisUrl, log, options.allowUnsafeRedis === true || env.redisUnsafeOk === true);
    return { redisUrl: env.redisUrl };
  }
  const embedded = await startEmbeddedRedis({
    dataDir: env.dataDir,
    log,
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  });
  return { redisUrl: embedded.url, embedded };
}

/** The HTTP app over the running pipeline (its routes read the pipeline's stores, queues and runtimes). */
function appFor(
  options: ServiceOptions,
  running: RunningPipeline,
  shared: Pick<AppDeps, 'connectors' | 'engine' | 'metrics' | 'log' | 'role'>,
): FastifyInstance {
  // The app reads the pipeline's clock (the demo's is simulated): the console's "today" and countdowns agree with it.
  const pipelineNow = options.pipeline?.now;
  const clock = pipelineNow ? { clock: { now: () => new Date(pipelineNow()) } } : {};
  return buildApp(
    {
      config: options.config,
      env: options.env,
      ...shared,
      contextFor: (id) => running.runtimes.contextFor(id),
      pipeline: running.pipeline,
      read: running.read,
      timelines: running.stores.timelines,
      ...clock,
    },
    options.app,
  );
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { env, config } = options;
  const role = options.role ?? 'all';
  const log = options.log ?? createLogger({ level: env.logLevel, base: { role } });
  const connectors = options.connectors ?? registry;
  const metrics = createMetrics();
  const { redisUrl, embedded } = await openRedis(options, log);
  let pipeline: RunningPipeline | undefined;
  try {
    // One engine for the workers and `POST /api/evaluate`.
    const engine = createPolicyEngine(config, connectors);
    pipeline = await startPipeline({
      config,
      redisUrl,
      connectors,
      engine,
      log,
      metrics,
      role,
      debounceMs: env.debounceMs,
      workerConcurrency: env.workerConcurrency,
      waitReplicas: waitReplicasFor(env, redisUrl),
      ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
      ...options.pipeline,
    });
    const running = pipeline;
    const app = appFor(options, running, { connectors, engine, metrics, log, role });
    const url = await app.listen({ port: env.port, host: env.host });
    log.info(
      {
        url,
        pid: process.pid,
        config: config.source,
        redis: embedded ? 'embedded' : redisTopology(redisUrl),
        instances: config.instances.map((i) => i.info.id),
      },
      'psa-escalator is serving',
    );
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await app.close();
        await running.close();
        await embedded?.stop();
      })());
    return { app, url, pipeline: running, ...(embedded ? { embedded } : {}), redisUrl, close };
  } catch (e) {
    await pipeline?.close().catch(() => undefined);
    await embedded?.stop();
    throw e;
  }
}

export interface SignalOptions {
  /** The whole shutdown must finish within this long, else the process exits 1. @defaultValue 25_000 */
  graceMs?: number;
  log: AppLogger;
  exit?: (code: number) => void;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT (docs/reliability.md §4 #27): stop accepting → finish in-flight jobs → close Redis →
 * stop embedded Redis → exit 0. A second signal or the deadline exits 1 (unfinished jobs re-run: handlers are idempotent).
 * Resolves with the exit code once the service has stopped.
 */
const ignoreLateSignal = (): void => {};

export function runUntilSignal(
  service: RunningService | Promise<RunningService>,
  options: SignalOptions,
): Promise<number> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  // Pass the starting service's promise to listen for signals from the first moment: workers consume jobs before the
  // HTTP server listens, and a SIGTERM in between must still finish them (the default action would exit 143).
  const started = Promise.resolve(service);
  return new Promise((resolve) => {
    let stoppingSince: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppingSince !== undefined) {
        // npm/tsx wrappers and a terminal's Ctrl-C deliver the same signal twice at once: only a later one forces.
        if (Date.now() - stoppingSince < 2_000) return;
        options.log.warn({ signal }, 'second signal: exiting now');
        exit(1);
        return;
      }
      stoppingSince = Date.now();
      options.log.info({ signal }, 'shutting down: no new requests, finishing in-flight jobs');
      const deadline = setTimeout(() => {
        options.log.error({ graceMs: options.graceMs ?? 25_000 }, 'shutdown took too long: exiting');
        exit(1);
      }, options.graceMs ?? 25_000);
      deadline.unref();
      started
        .then((s) => s.close())
        .then(
          () => {
            clearTimeout(deadline);
            options.log.info('stopped');
            process.off('SIGTERM', onSignal);
            process.off('SIGINT', onSignal);
            // Until the caller exits: a late duplicate of the signal (wrappers relay it twice; on a loaded machine the
            // second can come after the close) must not kill the process with the default action (exit 143).
            process.once('SIGTERM', ignoreLateSignal);
            process.once('SIGINT', ignoreLateSignal);
            resolve(0);
          },
          (e: unknown) => {
            options.log.error({ err: e }, 'shutdown failed');
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
