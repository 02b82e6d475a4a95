import { isConnectorError } from '../contract/index.js';
import { createHttpClient } from '../lib/http.js';
import { RedisSharedCache } from '../store/shared-cache.js';
import { SharedRateLimiter } from './rate-limiter.js';
/** Counts every outbound PSA call by instance, method and status or error code (`/metrics`). */
function countedClient(inner, instanceId, metrics) {
    if (!metrics)
        return inner;
    return {
        safeGet: (url, options) => inner.safeGet(url, options),
        async request(req) {
            try {
                const res = await inner.request(req);
                metrics.psaCalls.inc({ instance: instanceId, method: req.method, status: String(res.status) });
                return res;
            }
            catch (e) {
                const status = isConnectorError(e) ? (e.status !== undefined ? String(e.status) : e.code) : 'error';
                metrics.psaCalls.inc({ instance: instanceId, method: req.method, status });
                throw e;
            }
        },
    };
}
function buildRuntime(opts, loaded) {
    const { info } = loaded;
    const connector = opts.connectors[info.kind];
    if (!connector)
        throw new Error(`instance ${info.id}: no connector registered for kind "${info.kind}"`);
    const log = opts.log.child({ instance: info.id, psa: info.kind });
    const limiter = new SharedRateLimiter({
        redis: opts.redis,
        keys: opts.keys,
        instanceId: info.id,
        limit: info.rateLimit,
        onWait: (reason) => opts.metrics?.rateLimitWaits.inc({ instance: info.id, reason }),
        // Longer waits free the worker slot (the job is delayed): other instances keep flowing (SPEC §4 rate limits).
        maxWaitMs: opts.maxLimiterWaitMs ?? 2_000,
    });
    const now = opts.now ?? Date.now;
    const http = createHttpClient({
        log,
        acquire: () => limiter.acquire(),
        onRetryAfter: (ms) => limiter.pause(ms),
        // A Retry-After beyond a few seconds is not waited out in-process: the job is delayed (slot freed) instead.
        maxInlineRetryAfterMs: 5_000,
        now,
        ...opts.http,
    });
    const ctx = {
        instance: info,
        settings: loaded.settings,
        http: countedClient(http, info.id, opts.metrics),
        log,
        clock: { now: () => new Date(now()) },
        cache: new RedisSharedCache(opts.redis, opts.keys, info.id),
    };
    return { loaded, connector, ctx, limiter };
}
/** Builds (once) the per-instance connector contexts shared by the webhook route and the workers. */
export function createRuntimes(opts) {
    const byId = new Map();
    for (const loaded of opts.config.instances)
        byId.set(loaded.info.id, buildRuntime(opts, loaded));
    return {
        get: (instanceId) => byId.get(instanceId),
        all: () => [...byId.values()],
        /** The `ConnectorContext` of a configured instance (throws for an unknown id: routes check first). */
        contextFor(instanceId) {
            const rt = byId.get(instanceId);
            if (!rt)
                throw new Error(`unknown instance "${instanceId}"`);
            return rt.ctx;
        },
    };
}
//# sourceMappingURL=context.js.map