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
export type ProbeLimiter = (req: FastifyRequest) => Promise<{ limited: false } | { limited: true; retryAfterSeconds: number }>;

declare module 'fastify' {
  interface FastifyInstance {
    /** See ProbeLimiter (decorated by the `psa-escalator/rate-limit` plugin). */
    probeLimit: ProbeLimiter;
  }
}

/**
 * Wraps @fastify/rate-limit with `global: false`: nothing is limited automatically. SPEC §5 says only
 * unauthenticated or 404 requests are limited and authenticated deliveries never are, so callers count a request
 * only once it has failed (or, for 404s, before any body is read) — a PSA behind a noisy IP is never throttled.
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
  app.decorate('probeLimit', async (req: FastifyRequest) => {
    const r = await check(req);
    if (r.isAllowed || !r.isExceeded) return { limited: false };
    return { limited: true, retryAfterSeconds: Math.max(1, r.ttlInSeconds) };
  });
}

export default fp(rateLimitPlugin, { name: 'psa-escalator/rate-limit', fastify: '5.x' });
