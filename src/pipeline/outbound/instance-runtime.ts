import type { RedisClient } from '../../store/redis.js';

import { isConnectorError } from '../../contract/index.js';
import type { AnyConnector, ConnectorContext, HttpClient, Logger } from '../../contract/index.js';
import type { AppConfig, LoadedInstance } from '../../config/types.js';
import { createHttpClient } from './psa-http.js';
import type { HttpClientOptions } from './psa-http.js';
import type { Metrics } from '../metrics/prometheus.js';
import type { Keys } from '../../store/keys.js';
import { InstanceStore } from '../../store/instance-store.js';
import { RedisSharedCache } from '../../store/shared-cache.js';

import { currentLane } from './rate-lanes.js';
import { CircuitBreaker, healthTrackingClient } from './psa-health.js';
import type { BreakerOptions } from './psa-health.js';
import { SharedRateLimiter } from './rate-limiter.js';

/** Connectors by PSA kind (the registry of `src/connectors.ts`, or a test registry). */
export type ConnectorLookup = Readonly<Record<string, AnyConnector | undefined>>;

/** One configured instance with everything a job needs to talk to its PSA. */
export interface InstanceRuntime {
  loaded: LoadedInstance;
  connector: AnyConnector;
  ctx: ConnectorContext;
  limiter: SharedRateLimiter;
  /** Per-instance circuit breaker (every PSA call passes it). */
  breaker?: CircuitBreaker;
}

export interface RuntimeOptions {
  config: AppConfig;
  connectors: ConnectorLookup;
  /** A general (non-producer) connection: rate limiter, shared cache. */
  redis: RedisClient;
  keys: Keys;
  log: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** Overrides for the outbound client (tests shorten backoffs). */
  http?: Partial<HttpClientOptions>;
  /** Budget or Retry-After waits longer than this delay the job instead of holding a worker slot. @defaultValue 2_000 */
  maxLimiterWaitMs?: number;
  /** Circuit breaker settings (tests shorten the interval). */
  breaker?: BreakerOptions;
}

/** Counts every outbound PSA call by instance, method and status or error code (`/metrics`). */
function countedClient(inner: HttpClient, instanceId: string, metrics: Metrics | undefined): HttpClient {
  if (!metrics) return inner;
  return {
    safeGet: (url, options) => inner.safeGet(url, options),
    async request(req) {
      try {
        const res = await inner.request(req);
        metrics.psaCalls.inc({ instance: instanceId, method: req.method, status: String(res.status) });
        return res as never;
      } catch (e) {
        const status = isConnectorError(e) ? (e.status !== undefined ? String(e.status) : e.code) : 'error';
        metrics.psaCalls.inc({ instance: instanceId, method: req.method, status });
        throw e;
      }
    },
  };
}

function buildRuntime(opts: RuntimeOptions, loaded: LoadedInstance): InstanceRuntime {
  const { info } = loaded;
  const connector = opts.connectors[info.kind];
  if (!connector) throw new Error(`instance ${info.id}: no connector registered for kind "${info.kind}"`);
  const log = opts.log.child({ instance: info.id, psa: info.kind });
  const limiter = new SharedRateLimiter({
    redis: opts.redis,
    keys: opts.keys,
    instanceId: info.id,
    limit: info.rateLimit,
    onWait: (reason) => opts.metrics?.rateLimitWaits.inc({ instance: info.id, reason }),
    // Longer waits free the worker slot (the job is delayed): other instances keep flowing (docs/spec.md §4 rate limits).
    maxWaitMs: opts.maxLimiterWaitMs ?? 2_000,
  });
  const now = opts.now ?? Date.now;
  const http = createHttpClient({
    log,
    acquire: () => limiter.acquire(currentLane()),
    onRetryAfter: (ms) => limiter.pause(ms),
    // A Retry-After beyond a few seconds is not waited out in-process: the job is delayed (slot freed) instead.
    maxInlineRetryAfterMs: 5_000,
    now,
    ...opts.http,
  });
  const breaker = new CircuitBreaker(opts.redis, opts.keys, info.id, opts.breaker);
  const tracked = healthTrackingClient(countedClient(http, info.id, opts.metrics), {
    instanceId: info.id,
    store: new InstanceStore(opts.redis, opts.keys),
    breaker,
    now,
    onBreaker: (state) => {
      log.warn(
        { instance: info.id, breaker: state },
        state === 'open'
          ? 'circuit breaker opened: the PSA failed repeatedly; one probe per interval'
          : 'circuit breaker closed: the PSA answers again',
      );
      opts.metrics?.breakerTransitions.inc({ instance: info.id, state });
    },
  });
  const ctx: ConnectorContext = {
    instance: info,
    settings: loaded.settings,
    http: tracked,
    log,
    clock: { now: () => new Date(now()) },
    cache: new RedisSharedCache(opts.redis, opts.keys, info.id),
  };
  return { loaded, connector, ctx, limiter, breaker };
}

/** Builds (once) the per-instance connector contexts shared by the webhook route and the workers. */
export function createRuntimes(opts: RuntimeOptions) {
  const byId = new Map<string, InstanceRuntime>();
  for (const loaded of opts.config.instances) byId.set(loaded.info.id, buildRuntime(opts, loaded));
  return {
    get: (instanceId: string): InstanceRuntime | undefined => byId.get(instanceId),
    all: (): InstanceRuntime[] => [...byId.values()],
    /** The `ConnectorContext` of a configured instance (throws for an unknown id: routes check first). */
    contextFor(instanceId: string): ConnectorContext {
      const rt = byId.get(instanceId);
      if (!rt) throw new Error(`unknown instance "${instanceId}"`);
      return rt.ctx;
    },
  };
}
export type Runtimes = ReturnType<typeof createRuntimes>;
