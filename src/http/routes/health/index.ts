import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { ReadinessReport } from '../../../pipeline/types.js';
import { bearerMatches } from '../../admin-auth.js';
import { HttpError } from '../../errors.js';
import { rateLimitedError } from '../../plugins/app/errors.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

const ReadySchema = z.object({
  ready: z.boolean(),
  checks: z.object({
    redis: z.boolean().describe('Redis answers'),
    config: z.boolean().describe('escalator.yaml is loaded and valid'),
    workers: z.boolean().nullable().describe('Workers consume (null in the api role: no workers in this process)'),
    role: z.enum(['all', 'api', 'worker']),
  }),
});

/** `/readyz` never hangs on a stuck Redis: an answer slower than `timeoutMs` counts as not ready. */
async function readiness(services: AppServices, timeoutMs: number): Promise<ReadinessReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessReport>((resolve) => {
    timer = setTimeout(() => resolve({ redis: false, workers: false }), timeoutMs);
  });
  try {
    return await Promise.race([services.deps.pipeline.readiness(), timeout]);
  } catch {
    return { redis: false, workers: false };
  } finally {
    clearTimeout(timer);
  }
}

function livenessRoute(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: 200 while the process runs',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
}

function readinessRoute(app: FastifyInstance, services: AppServices, readinessTimeoutMs: number): void {
  const { deps } = services;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: 200 only when Redis answers, the config is loaded and (worker roles) workers consume',
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_req, reply) => {
      const report = await readiness(services, readinessTimeoutMs);
      const config = Boolean(deps.config); // buildApp only ever gets a validated config; kept explicit for the report
      const ready = report.redis && config && report.workers !== false;
      return reply
        .code(ready ? 200 : 503)
        .send({ ready, checks: { redis: report.redis, config, workers: report.workers, role: deps.role } });
    },
  );
}

function metricsRoute(app: FastifyInstance, services: AppServices): void {
  const { deps } = services;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      // METRICS_TOKEN set → bearer required (its labels list every instance id, which the generic 404 otherwise
      // hides); failed attempts count against the caller's probe budget. Unset → open, for in-cluster scrapers.
      onRequest: async (req) => {
        const token = deps.env.metricsToken;
        if (token === undefined || bearerMatches(req.headers.authorization, token)) return;
        const verdict = await app.probeLimit(req);
        if (verdict.limited) throw rateLimitedError(verdict.retryAfterSeconds);
        throw new HttpError('unauthorized', 'Missing or wrong bearer token (METRICS_TOKEN)', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        description:
          'Open unless METRICS_TOKEN is set; then `Authorization: Bearer $METRICS_TOKEN` is required (401 otherwise).',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text format'), ...errorResponses(401, 429) },
      },
    },
    async (_req, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
}

/** Liveness, readiness (docs/spec.md §5: never a PSA call) and Prometheus metrics. */
export default async function healthRoutes(
  app: FastifyInstance,
  options: { services: AppServices; readinessTimeoutMs: number },
): Promise<void> {
  livenessRoute(app);
  readinessRoute(app, options.services, options.readinessTimeoutMs);
  metricsRoute(app, options.services);
}
