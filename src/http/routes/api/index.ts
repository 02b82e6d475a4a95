import type { FastifyInstance } from 'fastify';

import { bearerMatches } from '../../admin-auth.js';
import { HttpError } from '../../errors.js';
import { rateLimitedError } from '../../plugins/app/errors.js';
import type { AppServices } from '../../services.js';

import backtestRoutes from './backtests.js';
import deadLetterRoutes from './dead-letters.js';
import escalationRoutes from './escalations.js';
import evaluateRoutes from './evaluate.js';
import instanceRoutes from './instances.js';
import escalationMetricsRoutes from './metrics-escalations.js';
import registrationRoutes from './registration.js';
import ticketListRoutes from './ticket-list.js';
import reviewRoutes from './reviews.js';
import ticketRoutes from './tickets.js';

/**
 * The admin API. Default-deny: the bearer check is an `onRequest` hook of this whole encapsulated context, so a
 * route added here later is protected without doing anything (docs/reliability.md #20). Failed attempts count against the
 * caller's probe budget.
 */
export default async function apiRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const token = options.services.deps.env.adminToken;
  app.addHook('onRequest', async (req) => {
    if (bearerMatches(req.headers.authorization, token)) return;
    const verdict = await app.probeLimit(req);
    if (verdict.limited) throw rateLimitedError(verdict.retryAfterSeconds);
    throw new HttpError(
      'unauthorized',
      token ? 'Missing or wrong bearer token' : 'The admin API is disabled: ADMIN_TOKEN is not set',
      {
        headers: { 'www-authenticate': 'Bearer' },
      },
    );
  });
  for (const routes of [
    instanceRoutes,
    registrationRoutes,
    ticketRoutes,
    escalationRoutes,
    escalationMetricsRoutes,
    evaluateRoutes,
    deadLetterRoutes,
    ticketListRoutes,
    reviewRoutes,
    backtestRoutes,
  ]) {
    await app.register(routes, { services: options.services });
  }
}
