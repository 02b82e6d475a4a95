import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Budget for requests that prove nothing: 404s, failed webhook authentication, failed admin auth. */
export interface ProbeLimitOptions {
  /** Failed/unknown requests allowed per IP and window. @defaultValue 120 */
  max?: number;
  /** @defaultValue 60_000 ms */
  timeWindowMs?: number;
  /**
   * An ioredis client to share the counters between API replicas (@fastify/rate-limit `redis`).
   * @defaultValue undefined (in-process LRU of 5,000 keys: each replica counts on its own)
   */
  redis?: unknown;
}

/** Counts one unauthenticated/unknown request for the caller's IP; says whether it is over the budget. */
export type ProbeLimiter = (
  req: FastifyRequest,
) => Promise<{ limited: false } | { limited: true; retryAfterSeconds: number }>;

/** Reads the caller's budget without counting anything: limited once its failures have used the budget up. */
export type ProbeGate = (
  req: FastifyRequest,
) => Promise<{ limited: false } | { limited: true; retryAfterSeconds: number }>;

declare module 'fastify' {
  interface FastifyInstance {
    /** See ProbeLimiter (decorated by the `psa-escalator/rate-limit` plugin). */
    probeLimit: ProbeLimiter;
    /** See ProbeGate (decorated by the `psa-escalator/rate-limit` plugin). */
    probeGate: ProbeGate;
    /**
     * True when `probeGate` would answer "not limited" for every address without a lookup (in-process store, no
     * failure counted for a whole window): lets a hook skip the gate's promise on the common path.
     */
    probeGateOpen(): boolean;
  }
}

const NOT_LIMITED = { limited: false } as const;

/**
 * Wraps @fastify/rate-limit with `global: false`: nothing is limited automatically. Only failures are counted
 * (unauthenticated or 404 requests, failed authentication, key_unavailable), each once it has failed (404s before any
 * body is read), so a PSA is never throttled by its own successes. Once an address has used up its budget, the
 * webhook routes refuse it in `onRequest` (`probeGate`, a read without counting) before any body, JSON or HMAC work,
 * until the window ends — including signed deliveries from that address (issue 12: abuse must be cheap to refuse).
 */
async function rateLimitPlugin(app: FastifyInstance, options: ProbeLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    max: options.max ?? 120,
    timeWindow: options.timeWindowMs ?? 60_000,
    ...(options.redis === undefined ? {} : { redis: options.redis as never }),
  });
  // Default key: the client IP, IPv6 grouped by /56 so an attacker can't rotate through its own prefix.
  const check = app.createRateLimit();
  const windowMs = options.timeWindowMs ?? 60_000;
  // With the in-process store only `probeLimit` below adds to a counter, and a counter's window starts at its first
  // failure: once no failure was counted for a whole window, every counter has expired and no address can be over
  // its budget. The gate then answers without a lookup (it runs before every webhook; failures are rare).
  // A shared Redis store is counted by other replicas too: there the gate always reads it.
  const local = options.redis === undefined;
  let lastCountedAt = Number.NEGATIVE_INFINITY;
  app.decorate('probeLimit', async (req: FastifyRequest) => {
    lastCountedAt = Date.now();
    const r = await check(req);
    lastCountedAt = Date.now(); // not before the store's own clock read
    if (r.isAllowed || !r.isExceeded) return { limited: false };
    return { limited: true, retryAfterSeconds: Math.max(1, r.ttlInSeconds) };
  });
  // The same counter, read-only (`increment: false`): used in `onRequest`, before any body is read, so a client that
  // has used up its budget costs no body, JSON or HMAC work. A request that then succeeds is never counted.
  const gateOpen = (): boolean => local && Date.now() - lastCountedAt > windowMs;
  app.decorate('probeGateOpen', gateOpen);
  app.decorate('probeGate', async (req: FastifyRequest) => {
    if (gateOpen()) return NOT_LIMITED;
    const r = await check(req, { increment: false });
    if (r.isAllowed || r.remaining > 0) return NOT_LIMITED;
    return { limited: true, retryAfterSeconds: Math.max(1, r.ttlInSeconds) };
  });
}

export default fp(rateLimitPlugin, { name: 'psa-escalator/rate-limit', fastify: '5.x' });
