import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import type { EscalationQuery } from '../../../store/models.js';
import { EscalationsQuerySchema, EscalationsResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc } from './common.js';

/** The audit trail: decisions with actions, newest first, cursor-paged. */
export default async function escalationRoutes(
  app: FastifyInstance,
  options: { services: AppServices },
): Promise<void> {
  const { read } = options.services.deps;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/escalations',
    {
      schema: {
        ...apiDoc,
        summary: 'Audit entries (decisions with actions), newest first',
        querystring: EscalationsQuerySchema,
        response: { 200: EscalationsResponseSchema, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (req) => {
      const { instance, rule, since, limit, cursor } = req.query;
      const query: EscalationQuery = { limit };
      if (instance !== undefined) query.instance = instance;
      if (rule !== undefined) query.rule = rule;
      if (since !== undefined) query.since = new Date(since).toISOString();
      if (cursor !== undefined) query.cursor = cursor;
      return read.escalations(query);
    },
  );
}
