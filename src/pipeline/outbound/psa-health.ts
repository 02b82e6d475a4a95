import type { RedisClient } from '../../store/redis.js';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import { ConnectorError, isConnectorError } from '../../contract/index.js';
import type { HttpClient } from '../../contract/index.js';
import type { InstanceStore, PsaHealth } from '../../store/instance-store.js';
import type { Keys } from '../../store/keys.js';

/**
 * What one outbound PSA call says about the PSA's health (issue 13 "honest health"): an answer (even 404/400) means
 * reachable; 401/403 `auth_failed`; a 429 from the PSA `rate_limited` (our own budget waits are not the PSA's);
 * 5xx, timeouts and network errors `unreachable`.
 */
export function healthOf(e: unknown): PsaHealth | null {
  if (!isConnectorError(e)) return 'unreachable';
  switch (e.code) {
    case 'psa_auth':
      return 'auth_failed';
    case 'rate_limited':
      return e.status === undefined ? null : 'rate_limited';
    case 'psa_unavailable':
    case 'timeout':
    case 'network':
      return e.details?.['breaker'] === 'open' ? null : 'unreachable';
    default:
      return 'ok';
  }
}

/** Failures that count toward opening the circuit breaker. */
const tripping = (e: unknown): boolean =>
  isConnectorError(e) &&
  (e.code === 'psa_unavailable' || e.code === 'timeout' || e.code === 'network') &&
  e.details?.['breaker'] !== 'open';

export interface BreakerOptions {
  /** Consecutive failed calls (5xx, timeouts, network) that open the breaker. @defaultValue 5 */
  failures?: number;
  /** While open, one probe call per interval goes through. @defaultValue 30_000 */
  intervalMs?: number;
}

export type BreakerState = 'closed' | 'open';

/**
 * A per-instance circuit breaker shared by all replicas (Redis): opens after `failures` consecutive failed calls;
 * while open every call fails fast with `psa_unavailable` (`details.breaker = 'open'`, `retryAfterMs`) except one
 * probe per interval; the first success closes it.
 */
export class CircuitBreaker {
  readonly failures: number;
  readonly intervalMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly instanceId: string,
    options: BreakerOptions = {},
  ) {
    this.failures = options.failures ?? 5;
    this.intervalMs = options.intervalMs ?? 30_000;
  }

  async state(): Promise<{ state: BreakerState; openedAt: string | null; failures: number }> {
    const h = await this.redis.hgetall(this.keys.breaker(this.instanceId));
    const openedAt = h.openedAt ? new Date(Number(h.openedAt)).toISOString() : null;
    return { state: openedAt ? 'open' : 'closed', openedAt, failures: Number(h.fails ?? 0) };
  }

  /** Throws when open and this call is not the interval's probe. */
  async admit(): Promise<void> {
    const openedAt = await this.redis.hget(this.keys.breaker(this.instanceId), 'openedAt');
    if (!openedAt) return;
    const probe = await this.redis.set(this.keys.breakerProbe(this.instanceId), '1', 'PX', this.intervalMs, 'NX');
    if (probe === 'OK') return;
    const ttl = await this.redis.pttl(this.keys.breakerProbe(this.instanceId));
    throw new ConnectorError(
      'psa_unavailable',
      `circuit breaker of instance ${this.instanceId} is open: the PSA failed repeatedly`,
      {
        retryable: true,
        retryAfterMs: Math.max(100, ttl),
        details: { breaker: 'open' },
      },
    );
  }

  /** Returns true when this failure opened the breaker. */
  async failed(): Promise<boolean> {
    const key = this.keys.breaker(this.instanceId);
    const n = await this.redis.hincrby(key, 'fails', 1);
    if (n >= this.failures && (await this.redis.hsetnx(key, 'openedAt', String(Date.now()))) === 1) {
      // The first probe waits one interval.
      await this.redis.set(this.keys.breakerProbe(this.instanceId), '1', 'PX', this.intervalMs);
      return true;
    }
    return false;
  }

  async succeeded(): Promise<boolean> {
    const key = this.keys.breaker(this.instanceId);
    const was = await this.redis.hget(key, 'openedAt');
    if (was === null && (await this.redis.hget(key, 'fails')) === null) return false;
    await this.redis.del(key, this.keys.breakerProbe(this.instanceId));
    return was !== null;
  }
}

export interface HealthOptions {
  instanceId: string;
  store: InstanceStore;
  breaker: CircuitBreaker;
  now: () => number;
  /** Told when the breaker opens or closes (log, metrics). */
  onBreaker?: (state: BreakerState) => void;
  /** An unchanged `ok` is written at most this often. @defaultValue 10_000 */
  refreshMs?: number;
}

/**
 * Wraps an instance's PSA client: every call passes the circuit breaker and reports the PSA's health to the
 * instance status (`/api/instances` `psa`, `psaLastError`), which stays `unknown` until the first call.
 */
export function healthTrackingClient(inner: HttpClient, o: HealthOptions): HttpClient {
  let last: { health: PsaHealth; at: number } | undefined;
  const report = async (health: PsaHealth, code?: string) => {
    const at = o.now();
    if (health === 'ok' && last?.health === 'ok' && at - last.at < (o.refreshMs ?? 10_000)) return;
    last = { health, at };
    await o.store.setPsa(o.instanceId, health, new Date(at).toISOString(), code).catch(() => undefined);
  };
  return {
    safeGet: (url, options) => inner.safeGet(url, options),
    async request(req) {
      await o.breaker.admit();
      try {
        const res = await inner.request(req);
        if (await o.breaker.succeeded().catch(() => false)) o.onBreaker?.('closed');
        await report('ok');
        return res as never;
      } catch (e) {
        const health = healthOf(e);
        if (health !== null) await report(health, isConnectorError(e) ? e.code : 'internal');
        if (tripping(e)) {
          if (await o.breaker.failed().catch(() => false)) o.onBreaker?.('open');
        } else if (health !== null && (await o.breaker.succeeded().catch(() => false))) o.onBreaker?.('closed');
        throw e;
      }
    },
  };
}

/**
 * `psa_escalator_psa_up{instance}`: 1 when the latest PSA call succeeded, 0 when it failed (unreachable, auth_failed,
 * rate_limited); no sample before the first call. Read from the shared instance status at scrape time (any role).
 */
export function registerPsaUpGauge(
  registry: Registry,
  store: Pick<InstanceStore, 'get'>,
  instances: readonly string[],
): void {
  if (registry.getSingleMetric('psa_escalator_psa_up')) return;
  new Gauge({
    name: 'psa_escalator_psa_up',
    help: 'Whether the latest call to the instance PSA succeeded (1) or failed (0); absent before the first call',
    labelNames: ['instance'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const id of instances) {
        const status = await store.get(id).catch(() => undefined);
        if (status && status.psa !== 'unknown') this.set({ instance: id }, status.psa === 'ok' ? 1 : 0);
      }
    },
  });
}
