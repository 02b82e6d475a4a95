import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { InstancesResponseSchema, QueuedResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc, knownInstance } from './common.js';

export const IdParams = z.object({ id: z.string().describe('Instance id') });
const ReconcileQuery = z.object({
  full: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .describe('true: start a backfill — list every open ticket (paged) and evaluate each once within the sweep budget'),
});

/** Instance status and on-demand reconciliation. */
export default async function instanceRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const { services } = options;
  const { deps } = services;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/instances',
    {
      schema: {
        ...apiDoc,
        summary: 'Configured instances and their health',
        response: { 200: InstancesResponseSchema, ...errorResponses(401, 429, 503) },
      },
    },
    async () => ({ items: await deps.read.instances() }),
  );

  r.post(
    '/instances/:id/reconcile',
    {
      schema: {
        ...apiDoc,
        summary:
          'Queue a reconciliation sweep of an instance now (`full=true`: backfill, every open ticket evaluated once)',
        params: IdParams,
        querystring: ReconcileQuery,
        response: { 202: QueuedResponseSchema, ...errorResponses(401, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const known = knownInstance(services, req.params.id);
      const { jobId } = await deps.pipeline.enqueueReconcile(
        known.loaded.info.id,
        req.query.full ? { full: true } : {},
      );
      return reply.code(202).send({ queued: true as const, jobId });
    },
  );
}
