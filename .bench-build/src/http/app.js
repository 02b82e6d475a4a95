import { randomUUID } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { accessLoggerFor } from '../lib/logger.js';
import { assertTlsVerification } from '../lib/tls.js';
import { createEngineEvaluator } from './evaluator.js';
import { defaultJsonLimits } from './json-body.js';
import errorsPlugin from './plugins/app/errors.js';
import httpMetricsPlugin from './plugins/app/http-metrics.js';
import rateLimitPlugin, {} from './plugins/external/rate-limit.js';
import swaggerPlugin from './plugins/external/swagger.js';
import apiRoutes from './routes/api/index.js';
import healthRoutes from './routes/health/index.js';
import webhookRoutes from './routes/webhooks/index.js';
import { createServices } from './services.js';
// Request logs carry the path without the query string: some PSAs are configured with credentials in callback URLs.
const reqSerializer = (req) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip });
/**
 * One access line per request, written when it completes (Fastify writes two: "incoming" and "completed"), through
 * the redaction-free access logger: the line is built here from fields that never hold a secret. Failed requests
 * keep Fastify's own (redacted) error line.
 */
class AccessLogController extends LogController {
    access;
    constructor(access) {
        super();
        this.access = access;
    }
    incomingRequest() { }
    requestCompleted(error, request, reply) {
        if (error)
            return super.requestCompleted(error, request, reply);
        this.access.info({ reqId: request.id, req: reqSerializer(request), res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
    }
}
/**
 * The whole HTTP surface as one plugin (never listens: `src/main.ts` does). Order matters: error handling and the
 * probe limiter first (every context inherits them), swagger before the routes it documents.
 */
export const appPlugin = fp(async (app, opts) => {
    const { deps, options } = opts;
    const evaluate = deps.evaluate ?? createEngineEvaluator(deps.config, deps.connectors);
    const services = createServices(deps, evaluate, { ...defaultJsonLimits, ...options.json });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(rateLimitPlugin, options.probeLimit ?? {});
    await app.register(errorsPlugin);
    await app.register(httpMetricsPlugin, { metrics: deps.metrics });
    await app.register(swaggerPlugin, { ui: options.docs ?? true });
    await app.register(healthRoutes, { services, readinessTimeoutMs: options.readinessTimeoutMs ?? 2_000 });
    await app.register(webhookRoutes, { prefix: '/webhooks', services });
    await app.register(apiRoutes, { prefix: '/api', services });
}, { name: 'psa-escalator', fastify: '5.x' });
/** Builds the Fastify app for `deps` (not listening; `inject()` works at once, `listen()` is the caller's). */
export function buildApp(deps, options = {}) {
    assertTlsVerification();
    const requestTimeout = options.requestTimeoutMs ?? 15_000;
    const app = Fastify({
        loggerInstance: deps.log.child({}, { serializers: { req: reqSerializer } }),
        // Security: a client-sent request id is never trusted (RELIABILITY #18: log/header injection).
        requestIdHeader: false,
        genReqId: () => randomUUID(),
        logController: new AccessLogController(accessLoggerFor(deps.log)),
        requestTimeout,
        // Node checks request timeouts only every 30 s by default: a slowloris socket would live up to 45 s.
        http: { connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(requestTimeout / 4))) },
        return503OnClosing: true,
        trustProxy: options.trustProxy ?? false,
        // Prototype-poisoned JSON on /api is a 400 (Fastify's defaults, stated because they are a security property).
        onProtoPoisoning: 'error',
        onConstructorPoisoning: 'error',
    });
    // Node's requestTimeout stops applying once the headers are in: a body dribbled at 1 byte/s would keep the
    // socket forever (RELIABILITY #11). Whatever has not finished arriving by the deadline gets 408 and a closed socket.
    app.addHook('onRequest', async (req) => {
        if (req.raw.complete)
            return;
        const timer = setTimeout(() => {
            if (req.raw.complete)
                return;
            req.log.info({ timeoutMs: requestTimeout }, 'request body too slow: closing the connection');
            const socket = req.raw.socket;
            if (!socket.destroyed)
                socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
        }, requestTimeout);
        timer.unref();
        req.raw.once('end', () => clearTimeout(timer));
        req.raw.once('close', () => clearTimeout(timer));
    });
    void app.register(appPlugin, { deps, options });
    return app;
}
//# sourceMappingURL=app.js.map