import { z } from 'zod';
const ReadySchema = z
    .object({
    ready: z.boolean(),
    checks: z.object({
        redis: z.boolean().describe('Redis answers'),
        config: z.boolean().describe('escalator.yaml is loaded and valid'),
        workers: z.boolean().nullable().describe('Workers consume (null in the api role: no workers in this process)'),
        role: z.enum(['all', 'api', 'worker']),
    }),
});
/** `/readyz` never hangs on a stuck Redis: an answer slower than `timeoutMs` counts as not ready. */
async function readiness(services, timeoutMs) {
    let timer;
    const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve({ redis: false, workers: false }), timeoutMs);
    });
    try {
        return await Promise.race([services.deps.pipeline.readiness(), timeout]);
    }
    catch {
        return { redis: false, workers: false };
    }
    finally {
        clearTimeout(timer);
    }
}
/** Liveness, readiness (SPEC §5: never a PSA call) and Prometheus metrics. */
export default async function healthRoutes(app, options) {
    const { services } = options;
    const { deps } = services;
    const r = app.withTypeProvider();
    r.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: 200 while the process runs', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' }));
    r.get('/readyz', {
        schema: {
            tags: ['health'],
            summary: 'Readiness: 200 only when Redis answers, the config is loaded and (worker roles) workers consume',
            response: { 200: ReadySchema, 503: ReadySchema },
        },
    }, async (_req, reply) => {
        const report = await readiness(services, options.readinessTimeoutMs);
        const config = Boolean(deps.config); // buildApp only ever gets a validated config; kept explicit for the report
        const ready = report.redis && config && report.workers !== false;
        return reply.code(ready ? 200 : 503).send({ ready, checks: { redis: report.redis, config, workers: report.workers, role: deps.role } });
    });
    r.get('/metrics', {
        schema: {
            tags: ['health'],
            summary: 'Prometheus metrics (text exposition format)',
            produces: ['text/plain'],
            response: { 200: z.string().describe('Prometheus text format') },
        },
    }, async (_req, reply) => {
        const text = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(text);
    });
}
//# sourceMappingURL=index.js.map