import { randomUUID } from 'node:crypto';

import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';

import { accessLoggerFor, type AppLogger } from '../lib/logger.js';
import { assertTlsVerification } from '../lib/tls.js';

import type { AppDeps } from './deps.js';
import consoleRoutes from './console/index.js';
import { createPolicyEngine } from '../pipeline/policy/policy-engine.js';
import { createEngineEvaluator } from './evaluator.js';
import { defaultJsonLimits, type JsonLimits } from './json-body.js';
import errorsPlugin from './plugins/app/errors.js';
import httpMetricsPlugin from './plugins/app/http-metrics.js';
import rateLimitPlugin, { type ProbeLimitOptions } from './plugins/external/rate-limit.js';
import swaggerPlugin from './plugins/external/swagger.js';
import apiRoutes from './routes/api/index.js';
import healthRoutes from './routes/health/index.js';
import webhookRoutes from './routes/webhooks/index.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { createServices } from './services.js';

export interface BuildAppOptions {
  /**
   * Cap on receiving a whole request (Fastify's default is no limit; docs/reliability.md #11: slowloris).
   * @defaultValue 15_000 ms (PSAs wait 5–10 s for our answer anyway)
   */
  requestTimeoutMs?: number;
  /** Fastify `trustProxy`: set only behind a known reverse proxy (client IPs feed rate limits and Halo `allowIps`). @defaultValue false */
  trustProxy?: boolean | string | string[];
  /** Budget for 404s and failed authentication per client IP. */
  probeLimit?: ProbeLimitOptions;
  /** Depth/width limits for webhook JSON. @defaultValue {maxDepth: 64, maxEntries: 10_000} */
  json?: Partial<JsonLimits>;
  /** `/readyz` answers 503 when the pipeline's readiness takes longer. @defaultValue 2_000 ms */
  readinessTimeoutMs?: number;
  /** Serve Swagger UI at `/docs`. @defaultValue true */
  docs?: boolean;
}

// Request logs carry the path without the query string: some PSAs are configured with credentials in callback URLs.
const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};
const reqSerializer = (req: FastifyRequest) => ({
  method: req.method,
  url: pathOf(req.url),
  remoteAddress: req.ip,
});

/**
 * One access line per request, written when it completes (Fastify writes two: "incoming" and "completed"), through
 * the redaction-free access logger: the line is built here from fields that never hold a secret. Failed requests
 * keep Fastify's own (redacted) error line.
 */
class AccessLogController extends LogController {
  constructor(private readonly access: AppLogger) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    this.access.info(
      {
        reqId: request.id,
        req: reqSerializer(request),
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  }
}

/**
 * The whole HTTP surface as one plugin (never listens: `src/main.ts` does). Order matters: error handling and the
 * probe limiter first (every context inherits them), swagger before the routes it documents.
 */
export const appPlugin = fp(
  async (app: FastifyInstance, opts: { deps: AppDeps; options: BuildAppOptions }) => {
    const { deps, options } = opts;
    const evaluate =
      deps.evaluate ??
      createEngineEvaluator(deps.engine ?? createPolicyEngine(deps.config, deps.connectors, { compile: 'lazy' }));
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
    // The operations console (issue 16) is served by the processes that serve people: the api and all roles.
    if (deps.role !== 'worker') await app.register(consoleRoutes, { services });
  },
  { name: 'psa-escalator', fastify: '5.x' },
);

/** Builds the Fastify app for `deps` (not listening; `inject()` works at once, `listen()` is the caller's). */
export function buildApp(deps: AppDeps, options: BuildAppOptions = {}): FastifyInstance {
  assertTlsVerification();
  const requestTimeout = options.requestTimeoutMs ?? 15_000;
  const app = Fastify({
    loggerInstance: deps.log.child({}, { serializers: { req: reqSerializer } }),
    // Security: a client-sent request id is never trusted (docs/reliability.md #18: log/header injection).
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    logController: new AccessLogController(accessLoggerFor(deps.log)),
    // `req.log` is made on first use: most requests never log through it (request-logger.ts).
    childLoggerFactory: lazyChildLoggerFactory,
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
  // socket forever (docs/reliability.md #11). Whatever has not finished arriving by the deadline gets 408 and a closed socket.
  const armBodyTimer = (req: FastifyRequest): void => {
    if (req.raw.complete) return;
    const timer = setTimeout(() => {
      if (req.raw.complete) return;
      req.log.info({ timeoutMs: requestTimeout }, 'request body too slow: closing the connection');
      const socket = req.raw.socket;
      if (!socket.destroyed)
        socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () =>
          socket.destroy(),
        );
    }, requestTimeout);
    timer.unref();
    req.raw.once('end', () => clearTimeout(timer));
    req.raw.once('close', () => clearTimeout(timer));
  };
  // Hooks run while Node's HTTP parser is still inside the packet that carried the headers (even a microtask later):
  // the check waits for the event loop's next check phase, when the parser has consumed the whole packet, so a
  // request whose body came with its headers (almost every webhook) costs no timer and no listeners. One still
  // arriving then is armed as before (its deadline starts at most one loop turn later).
  app.addHook('onRequest', (req, _reply, done) => {
    if (!req.raw.complete) setImmediate(armBodyTimer, req);
    done();
  });
  void app.register(appPlugin, { deps, options });
  return app as unknown as FastifyInstance;
}
