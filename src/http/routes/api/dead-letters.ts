import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { HttpError } from '../../errors.js';
import { DeadLettersResponseSchema, RetryResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc } from './common.js';

/** Action sets that failed at the PSA after retries; a retry re-fetches, re-evaluates and applies the new decision. */
export default async function deadLetterRoutes(
  app: FastifyInstance,
  options: { services: AppServices },
): Promise<void> {
  const { read } = options.services.deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/dead-letters',
    {
      schema: {
        ...apiDoc,
        summary: 'Dead-lettered action sets',
        response: { 200: DeadLettersResponseSchema, ...errorResponses(401, 429, 503) },
      },
    },
    async () => read.deadLetters(),
  );

  r.post(
    '/dead-letters/:id/retry',
    {
      schema: {
        ...apiDoc,
        summary: 'Retry a dead letter (re-fetch, re-evaluate, apply the new decision)',
        params: z.object({ id: z.string() }),
        response: { 202: RetryResponseSchema, ...errorResponses(401, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      if (!(await read.retryDeadLetter(req.params.id))) throw new HttpError('not_found', 'No dead letter with this id');
      return reply.code(202).send({ queued: true as const });
    },
  );
}
