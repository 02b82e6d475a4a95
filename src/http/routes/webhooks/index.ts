import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { notFoundError } from '../../errors.js';
import { rateLimitedError, rejectNotFound } from '../../plugins/app/errors.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices, KnownInstance } from '../../services.js';

import { receiveWebhook, type WebhookOutcome } from './receive.js';

/** docs/spec.md §5: the Autotask deactivation URL takes any body up to 64 KiB. */
export const DEACTIVATION_MAX_BYTES = 64 * 1024;

const Params = z.object({ instanceId: z.string().describe('The instance `id` from escalator.yaml') });

const AckSchema = z.object({
  accepted: z.literal(true),
  eventId: z.string().describe('`<instanceId>:<event id>`: the dedupe key of this delivery'),
  duplicate: z.literal(true).optional().describe('Already received within `dedupeTtl`: not queued again'),
  ignored: z.enum(['echo', 'entity_type', 'action']).optional().describe('Acknowledged and dropped, not queued'),
});

const ackJson = (ack: unknown): string => JSON.stringify(ack);

const outcomeByStatus: Record<number, WebhookOutcome> = {
  413: 'too_large',
  400: 'bad_request',
  429: 'rate_limited',
  500: 'internal',
};

interface Scope {
  app: FastifyInstance;
  services: AppServices;
  known(req: FastifyRequest): KnownInstance | undefined;
}

function receiveRoute(s: Scope): void {
  const { webhookEvents } = s.services.deps.metrics;
  s.app.withTypeProvider<ZodTypeProvider>().post(
    '/:instanceId',
    {
      bodyLimit: s.services.deps.env.webhookMaxBytes,
      // `psa_escalator_webhook_events_total` of this route only (the deactivation route is not an event).
      onResponse: (req, reply, done) => {
        const known = s.known(req);
        const outcome = known && (req.webhookOutcome ?? outcomeByStatus[reply.statusCode]);
        if (outcome) webhookEvents.inc({ instance: known.loaded.info.id, outcome });
        done();
      },
      // `instanceId` is the router's path segment, always a string, and the handler looks it up in the configured
      // instances (unknown → 404 in onRequest): the zod params schema documents it, it is not run per request.
      validatorCompiler: (route) =>
        route.httpPart === 'params'
          ? () => true
          : validatorCompiler(route as unknown as Parameters<typeof validatorCompiler>[0]),
      // The 202 is built by `receiveWebhook` from typed fields only (WebhookAck): written as it is, without a second
      // zod pass on every acknowledgement. Error bodies keep the zod serializer.
      serializerCompiler: (route) =>
        route.httpStatus === '202'
          ? ackJson
          : serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]),
      schema: {
        tags: ['webhooks'],
        summary: 'Receive a PSA webhook',
        description:
          'Checks in order, before the body is read: sender over its failure budget → 429; unknown instance → 404; then body over WEBHOOK_MAX_BYTES → 413; authentication on the raw bytes → 401; ' +
          'not JSON / wrong shape → 400; signing key unavailable → 503 key_unavailable; storage down → 503. ' +
          '202 only after the event is durably queued. Any query string is ignored.',
        params: Params,
        response: { 202: AckSchema, ...errorResponses(400, 401, 404, 413, 429, 500, 503) },
      },
    },
    async (req, reply) => {
      const known = s.known(req);
      if (!known) throw notFoundError();
      const body = await receiveWebhook({ app: s.app, services: s.services, known, req });
      return reply.code(202).send(body);
    },
  );
}

function deactivatedRoute(s: Scope): void {
  s.app.withTypeProvider<ZodTypeProvider>().post(
    '/:instanceId/deactivated',
    {
      bodyLimit: DEACTIVATION_MAX_BYTES,
      // Unauthenticated by nature (Autotask signs nothing here): every call counts against the probe budget.
      onRequest: async (req) => {
        const verdict = await s.app.probeLimit(req);
        if (verdict.limited) throw rateLimitedError(verdict.retryAfterSeconds);
      },
      schema: {
        tags: ['webhooks'],
        summary: 'Autotask webhook deactivation notice',
        description:
          'Any body up to 64 KiB. Marks the webhook `deactivation_reported` and schedules at most one registration check ' +
          'per instance per 10 minutes; only that check changes stored state.',
        params: Params,
        response: { 202: z.object({ accepted: z.literal(true) }), ...errorResponses(404, 413, 429, 503) },
      },
    },
    async (req, reply) => {
      const known = s.known(req);
      if (!known) throw notFoundError();
      req.log.warn({ instance: known.loaded.info.id }, 'PSA reported the webhook deactivated');
      await s.services.deps.pipeline.reportDeactivation(known.loaded.info.id);
      return reply.code(202).send({ accepted: true as const });
    },
  );
}

/**
 * PSA webhooks. The body is kept as raw bytes for every content type (signatures are computed over them) and
 * parsed as JSON only by `readJsonBody`, after the size limit. Query strings are ignored.
 */
export default async function webhookRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const { services } = options;
  const idOf = (req: FastifyRequest) => (req.params as { instanceId?: string }).instanceId ?? '';
  const scope: Scope = { app, services, known: (req) => services.instance(idOf(req)) };
  app.decorateRequest('webhookOutcome', null);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Before the body is read, in one hook (each hook is a step of every request): a client whose failures have used
  // up its probe budget gets 429 at once, costing no body, JSON, HMAC or key-fetch work (it is not counted again: the
  // window expires on its own); then the first check of docs/spec.md §5: an unknown instance is the router's 404.
  // Callback style: the common path (no failure counted lately, a known instance) costs no promise or microtask.
  const gate = async (req: FastifyRequest): Promise<void> => {
    const verdict = await app.probeGate(req);
    if (verdict.limited) throw rateLimitedError(verdict.retryAfterSeconds);
    if (!scope.known(req)) await rejectNotFound(app, req);
  };
  app.addHook('onRequest', (req, _reply, done) => {
    if (app.probeGateOpen() && scope.known(req)) return done();
    gate(req).then(() => done(), done);
  });

  receiveRoute(scope);
  deactivatedRoute(scope);
}
