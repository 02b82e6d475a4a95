import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { EvaluateRequestSchema } from '../../../engine/index.js';
import { DecisionSchema } from '../../schemas/decision.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc, knownInstance } from './common.js';

/** Dry run of the engine (docs/spec.md §4 "Evaluate input"): writes nothing, calls no PSA. */
export default async function evaluateRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const { services } = options;
  app.withTypeProvider<ZodTypeProvider>().post(
    '/evaluate',
    {
      // An unknown instance is a 404 even when the rest of the body is invalid: it is checked before validation.
      preValidation: async (req) => {
        const id = (req.body as { instanceId?: unknown } | null | undefined)?.instanceId;
        if (typeof id === 'string' && id !== '') knownInstance(services, id);
      },
      schema: {
        ...apiDoc,
        summary: 'Evaluate a ticket against an instance policy (dry run)',
        description:
          '`instanceId` selects the policy (the ticket’s `ref.instance` is not consulted). Required ticket fields: ' +
          '`title, status, priority, company, createdAt` and `location` or `tier`; the rest defaults. `now` defaults ' +
          'to the current time. Invalid input → 400 with zod paths in `details`.',
        body: EvaluateRequestSchema,
        response: { 200: DecisionSchema, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req) => {
      const { instanceId, ticket, state, now } = req.body;
      knownInstance(services, instanceId);
      return services.evaluate({ instanceId, ticket, state, now: now === undefined ? services.now() : new Date(now) });
    },
  );
}
