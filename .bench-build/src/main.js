import { connectors as registry } from './connectors.js';
import { buildApp } from './http/app.js';
import { startEmbeddedRedis } from './lib/embedded-redis.js';
import { createLogger } from './lib/logger.js';
import { createMetrics } from './lib/metrics.js';
import { startPipeline } from './pipeline/pipeline.js';
import { createPolicyEngine } from './pipeline/policy-engine.js';
import { closeRedis, configNumber, createRedis, evictionPolicy, waitReady } from './store/redis.js';
/** Warns (never fails) when an external Redis may evict keys: BullMQ needs `noeviction` (RELIABILITY §2). */
async function checkExternalRedis(url, log) {
    const client = createRedis({ url, role: 'client', name: 'psa-escalator:check', log });
    try {
        await waitReady(client, 10_000);
        const policy = await evictionPolicy(client).catch(() => undefined);
        if (policy === undefined)
            log.warn('could not read maxmemory-policy (CONFIG GET refused?): make sure it is noeviction');
        else if (policy !== 'noeviction')
            log.warn({ policy }, `IMPORTANT: Redis maxmemory-policy is "${policy}"; it must be "noeviction" or queued events can be lost`);
        const hz = await configNumber(client, 'hz');
        if (hz !== undefined && hz < 50) {
            log.info({ hz }, `Redis hz is ${hz}: delayed jobs (the per-ticket debounce) may start up to ${Math.round(1000 / hz)} ms late; hz 100 is recommended`);
        }
    }
    finally {
        await closeRedis(client);
    }
}
export async function startService(options) {
    const { env, config } = options;
    const role = options.role ?? 'all';
    const log = options.log ?? createLogger({ level: env.logLevel, base: { role } });
    const connectors = options.connectors ?? registry;
    const metrics = createMetrics();
    let embedded;
    let redisUrl = env.redisUrl;
    if (redisUrl)
        await checkExternalRedis(redisUrl, log);
    else {
        embedded = await startEmbeddedRedis({ dataDir: env.dataDir, log, ...(options.onFatal ? { onFatal: options.onFatal } : {}) });
        redisUrl = embedded.url;
    }
    let pipeline;
    try {
        pipeline = await startPipeline({
            config, redisUrl, connectors, engine: createPolicyEngine(config, connectors), log, metrics, role,
            debounceMs: env.debounceMs, workerConcurrency: env.workerConcurrency,
            ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
            ...options.pipeline,
        });
        const running = pipeline;
        const app = buildApp({ config, env, connectors, contextFor: (id) => running.runtimes.contextFor(id), pipeline: running.pipeline, read: running.read, timelines: running.stores.timelines, metrics, log, role }, options.app);
        const url = await app.listen({ port: env.port, host: env.host });
        log.info({ url, config: config.source, redis: embedded ? 'embedded' : 'external', instances: config.instances.map((i) => i.info.id) }, 'psa-escalator is serving');
        let closing;
        const close = () => (closing ??= (async () => {
            await app.close();
            await running.close();
            await embedded?.stop();
        })());
        return { app, url, pipeline: running, ...(embedded ? { embedded } : {}), redisUrl, close };
    }
    catch (e) {
        await pipeline?.close().catch(() => undefined);
        await embedded?.stop();
        throw e;
    }
}
/**
 * Graceful shutdown on SIGTERM/SIGINT (RELIABILITY §4 #27): stop accepting → finish in-flight jobs → close Redis →
 * stop embedded Redis → exit 0. A second signal or the deadline exits 1 (unfinished jobs re-run: handlers are idempotent).
 * Resolves with the exit code once the service has stopped.
 */
export function runUntilSignal(service, options) {
    const exit = options.exit ?? ((code) => process.exit(code));
    return new Promise((resolve) => {
        let stoppingSince;
        const onSignal = (signal) => {
            if (stoppingSince !== undefined) {
                // npm/tsx wrappers and a terminal's Ctrl-C deliver the same signal twice at once: only a later one forces.
                if (Date.now() - stoppingSince < 2_000)
                    return;
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
            service.close().then(() => {
                clearTimeout(deadline);
                options.log.info('stopped');
                process.off('SIGTERM', onSignal);
                process.off('SIGINT', onSignal);
                resolve(0);
            }, (e) => {
                options.log.error({ err: e }, 'shutdown failed');
                resolve(1);
            });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
    });
}
//# sourceMappingURL=main.js.map