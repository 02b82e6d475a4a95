import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

import { HttpError, notFoundError, toHttpError } from '../../errors.js';

/**
 * Answers a 404 exactly like the router does, after counting it against the caller's probe budget
 * (docs/reliability.md #13: unknown tenants and random paths look the same, and guessing them is rate-limited).
 */
export async function rejectNotFound(app: FastifyInstance, req: FastifyRequest): Promise<never> {
  const verdict = await app.probeLimit(req);
  if (verdict.limited) throw rateLimitedError(verdict.retryAfterSeconds);
  throw notFoundError();
}

export function rateLimitedError(retryAfterSeconds: number): HttpError {
  return new HttpError('rate_limited', 'Too many failed requests, retry later', {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

/**
 * The single error handler (STYLE rule 4) and the 404 handler. Registered first, at the root, so every route
 * context inherits them.
 */
async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const http = toHttpError(error);
    if (http.code === 'internal') req.log.error({ err: error }, 'request failed');
    else req.log.info({ code: http.code, reason: http.message }, 'request rejected');
    if (http.headers) void reply.headers(http.headers);
    return reply.code(http.status).send(http.toBody());
  });

  app.setNotFoundHandler(async (req) => rejectNotFound(app, req));
  // Unknown paths are answered before any body is read (the 404 handler itself runs after body parsing).
  // Callback style: an async hook is a promise and a microtask on every request, and this one almost never acts.
  app.addHook('onRequest', (req, _reply, done) => {
    if (!req.is404) return done();
    rejectNotFound(app, req).catch(done);
  });
}

export default fp(errorsPlugin, { name: 'psa-escalator/errors', dependencies: ['psa-escalator/rate-limit'] });
