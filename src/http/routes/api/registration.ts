import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { HttpError } from '../../errors.js';
import { RegistrationResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc, knownInstance, psaFailure } from './common.js';
import { IdParams } from './instances.js';

/** Registers or repairs an instance's PSA webhooks, pointing them at `PUBLIC_URL/webhooks/:id`. */
export default async function registrationRoutes(
  app: FastifyInstance,
  options: { services: AppServices },
): Promise<void> {
  const { services } = options;
  const { deps } = services;
  app.withTypeProvider<ZodTypeProvider>().post(
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
        throw new HttpError('public_url_missing', 'set PUBLIC_URL to the address the PSA can reach this service at', {
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
}
