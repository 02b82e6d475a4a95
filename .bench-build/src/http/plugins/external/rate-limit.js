import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
/**
 * Wraps @fastify/rate-limit with `global: false`: nothing is limited automatically. SPEC §5 says only
 * unauthenticated or 404 requests are limited and authenticated deliveries never are, so callers count a request
 * only once it has failed (or, for 404s, before any body is read) — a PSA behind a noisy IP is never throttled.
 */
async function rateLimitPlugin(app, options) {
    await app.register(rateLimit, {
        global: false,
        max: options.max ?? 120,
        timeWindow: options.timeWindowMs ?? 60_000,
        ...(options.redis === undefined ? {} : { redis: options.redis }),
    });
    // Default key: the client IP, IPv6 grouped by /56 so an attacker can't rotate through its own prefix.
    const check = app.createRateLimit();
    app.decorate('probeLimit', async (req) => {
        const r = await check(req);
        if (r.isAllowed || !r.isExceeded)
            return { limited: false };
        return { limited: true, retryAfterSeconds: Math.max(1, r.ttlInSeconds) };
    });
}
export default fp(rateLimitPlugin, { name: 'psa-escalator/rate-limit', fastify: '5.x' });
//# sourceMappingURL=rate-limit.js.map