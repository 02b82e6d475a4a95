import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { HttpError } from '../../errors.js';
import { InstancesResponseSchema, QueuedResponseSchema, RegistrationResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc, knownInstance, psaFailure } from './common.js';

const IdParams = z.object({ id: z.string().describe('Instance id') });

/** Instance status, webhook registration and on-demand reconciliation. */
export default async function instanceRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const { services } = options;
  const { deps } = services;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/instances',
    { schema: { ...apiDoc, summary: 'Configured instances and their health', response: { 200: InstancesResponseSchema, ...errorResponses(401, 429, 503) } } },
    async () => ({ items: await deps.read.instances() }),
  );

  r.post(
    '/instances/:id/webhooks',
    {
      schema: {
        ...apiDoc,
        summary: 'Register or repair the PSA webhooks of an instance (callback: PUBLIC_URL/webhooks/:id)',
        params: IdParams,
        response: { 200: RegistrationResponseSchema, ...errorResponses(401, 404, 409, 429, 503) },
      },
    },
    async (req) => {
      const known = knownInstance(services, req.params.id);
      const publicUrl = deps.env.publicUrl;
      if (!publicUrl) {
        throw new HttpError('conflict', 'public_url_missing: set PUBLIC_URL to the address the PSA can reach this service at', {
          details: { reason: 'public_url_missing' },
        });
      }
      const callbackUrl = `${publicUrl.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(known.loaded.info.id)}`;
      const result = await known.connector.registerWebhooks(known.context(), callbackUrl);
      if (!result.ok) throw psaFailure(result.error);
      const { created, updated, unchanged, removed, manualSteps } = result.value;
      return { created, updated, unchanged, removed, ...(manualSteps === undefined ? {} : { manualSteps }) };
    },
  );

  r.post(
    '/instances/:id/reconcile',
    {
      schema: {
        ...apiDoc,
        summary: 'Queue a reconciliation sweep of an instance now',
        params: IdParams,
        response: { 202: QueuedResponseSchema, ...errorResponses(401, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const known = knownInstance(services, req.params.id);
      const { jobId } = await deps.pipeline.enqueueReconcile(known.loaded.info.id);
      return reply.code(202).send({ queued: true as const, jobId });
    },
  );
}
