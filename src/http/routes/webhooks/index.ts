import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
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
  outcomes: WeakMap<FastifyRequest, WebhookOutcome>;
  known(req: FastifyRequest): KnownInstance | undefined;
}

function receiveRoute(s: Scope): void {
  s.app.withTypeProvider<ZodTypeProvider>().post(
    '/:instanceId',
    {
      bodyLimit: s.services.deps.env.webhookMaxBytes,
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
      const body = await receiveWebhook({
        app: s.app,
        services: s.services,
        known,
        req,
        outcome: (o) => s.outcomes.set(req, o),
      });
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
  const scope: Scope = { app, services, outcomes: new WeakMap(), known: (req) => services.instance(idOf(req)) };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Before the body is read, in one hook (each hook is a step of every request): a client whose failures have used
  // up its probe budget gets 429 at once, costing no body, JSON, HMAC or key-fetch work (it is not counted again: the
  // window expires on its own); then the first check of docs/spec.md §5: an unknown instance is the router's 404.
  app.addHook('onRequest', async (req) => {
    const verdict = await app.probeGate(req);
    if (verdict.limited) throw rateLimitedError(verdict.retryAfterSeconds);
    if (!scope.known(req)) await rejectNotFound(app, req);
  });
  app.addHook('onResponse', async (req, reply) => {
    const known = scope.known(req);
    if (!known || req.routeOptions.url?.endsWith('/deactivated')) return;
    const outcome = scope.outcomes.get(req) ?? outcomeByStatus[reply.statusCode];
    if (outcome) services.deps.metrics.webhookEvents.inc({ instance: known.loaded.info.id, outcome });
  });

  receiveRoute(scope);
  deactivatedRoute(scope);
}
