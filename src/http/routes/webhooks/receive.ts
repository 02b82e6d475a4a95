import { createHash } from 'node:crypto';

import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { ConnectorError, ParsedWebhook, WebhookRequest } from '../../../contract/index.js';
import { HttpError, type ErrorCode } from '../../errors.js';
import { readJsonBody } from '../../json-body.js';
import { rateLimitedError } from '../../plugins/app/errors.js';
import type { AppServices, KnownInstance } from '../../services.js';

/** The 202 body (docs/spec.md §5). */
export interface WebhookAck {
  accepted: true;
  eventId: string;
  duplicate?: true;
  ignored?: 'echo' | 'entity_type' | 'action';
}

/** Label of `psa_escalator_webhook_events_total{outcome}`. */
export type WebhookOutcome =
  | 'accepted'
  | 'duplicate'
  | `ignored_${NonNullable<WebhookAck['ignored']>}`
  | 'unauthorized'
  | 'rate_limited'
  | 'bad_request'
  | 'too_large'
  | 'key_unavailable'
  | 'unavailable'
  | 'internal';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The metric outcome of a webhook delivery, set before throwing so the route's onResponse hook can count it
     * (decorated by the webhook routes; null elsewhere and until known).
     */
    webhookOutcome: WebhookOutcome | null;
  }
}

export interface ReceiveInput {
  app: FastifyInstance;
  services: AppServices;
  known: KnownInstance;
  req: FastifyRequest;
}

/** Records the metric outcome of this delivery (see FastifyRequest.webhookOutcome). */
function outcome(input: ReceiveInput, o: WebhookOutcome): void {
  input.req.webhookOutcome = o;
}

/**
 * Header names lower-cased, repeated headers joined. Node already lower-cases names and joins repeats (except
 * `set-cookie`): the request's own object is used as it is unless some entry needs the copy.
 */
function lowerHeaders(headers: FastifyRequest['headers']): Record<string, string | undefined> {
  for (const k in headers) {
    if (typeof headers[k] === 'string' && k.toLowerCase() === k) continue;
    const out: Record<string, string | undefined> = {};
    for (const [name, v] of Object.entries(headers)) out[name.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return out;
  }
  return headers as Record<string, string | undefined>;
}

function flatQuery(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const [k, v] of Object.entries(query)) {
    const first: unknown = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}

/** A connector failure → the code of the HTTP table. Fails closed: anything unexpected is not an authentication. */
function codeOf(error: ConnectorError): ErrorCode {
  switch (error.code) {
    case 'unauthorized':
    case 'denied_url':
    case 'redirect_refused':
      return 'unauthorized';
    case 'bad_request':
    case 'validation':
      return 'bad_request';
    case 'key_unavailable':
      return 'key_unavailable';
    case 'internal':
      return 'internal';
    default:
      return error.retryable ? 'unavailable' : 'internal';
  }
}

const publicMessage: Record<ErrorCode, string> = {
  bad_request: 'Webhook body is not valid for this instance',
  unauthorized: 'Webhook authentication failed',
  not_found: 'Not found',
  conflict: 'Conflict',
  public_url_missing: 'PUBLIC_URL is not set',
  payload_too_large: 'Request body is too large',
  rate_limited: 'Too many failed requests, retry later',
  internal: 'Internal server error',
  unavailable: 'Service temporarily unavailable',
  key_unavailable: 'Signing key unavailable: the event was not stored',
};

/**
 * Rejects after a failed connector call. Failed authentication and key_unavailable (a key fetch the sender caused
 * that verified nothing) count against the caller's probe budget; a refusal by our own key-fetch budget does not.
 */
async function reject(input: ReceiveInput, error: ConnectorError, stage: 'verify' | 'parse'): Promise<never> {
  const { app, req, known } = input;
  const code = codeOf(error);
  req.log.info({ instance: known.loaded.info.id, stage, code: error.code, reason: error.message }, 'webhook rejected');
  if (code === 'key_unavailable') input.services.deps.metrics.keyUnavailable.inc({ instance: known.loaded.info.id });
  // A key_unavailable the connector marks `ownBudget` was refused by our own key-fetch budget before any fetch: the
  // sender caused no work and may be the PSA itself (forged key_urls from elsewhere used the budget up), so it is not
  // charged; charging it would let an attacker get the PSA's own address refused.
  const ownBudget = code === 'key_unavailable' && error.details?.['ownBudget'] === true;
  if ((code === 'unauthorized' || code === 'key_unavailable') && !ownBudget) {
    const verdict = await app.probeLimit(req);
    if (verdict.limited) {
      outcome(input, 'rate_limited');
      throw rateLimitedError(verdict.retryAfterSeconds);
    }
  }
  outcome(input, code === 'internal' ? 'internal' : (code as WebhookOutcome));
  // Connector messages are secret-free by contract, but only 400s echo them: they help the sender fix its payload.
  throw new HttpError(code, code === 'bad_request' ? error.message : publicMessage[code]);
}

const bodyId = (raw: Buffer) => `body-${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;

async function ack(input: ReceiveInput, parsed: ParsedWebhook, raw: Buffer): Promise<WebhookAck> {
  const instanceId = input.known.loaded.info.id;
  if ('ignore' in parsed) {
    // Echoes of our own writes and irrelevant entities are acknowledged and dropped: nothing is stored.
    outcome(input, `ignored_${parsed.ignore}`);
    return { accepted: true, eventId: `${instanceId}:${parsed.eventId ?? bodyId(raw)}`, ignored: parsed.ignore };
  }
  try {
    const result = await input.services.deps.pipeline.ingest({
      instanceId,
      event: parsed,
      receivedAt: input.services.now().getTime(),
      requestId: String(input.req.id),
    });
    outcome(input, result.duplicate ? 'duplicate' : 'accepted');
    return result.duplicate
      ? { accepted: true, eventId: result.eventId, duplicate: true }
      : { accepted: true, eventId: result.eventId };
  } catch (e) {
    outcome(input, (e as { code?: unknown }).code === 'unavailable' ? 'unavailable' : 'internal');
    throw e;
  }
}

/** True when the pipeline says Redis answers (false too when it cannot tell within `timeoutMs`). */
async function storageUp(services: AppServices, timeoutMs = 500): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([
      services.deps.pipeline.readiness().then(
        (r) => r.redis,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After a connector call threw. Connectors return Results, but one that reads the shared cache (Redis) can still
 * throw when Redis is down: that is the docs/spec.md §5 "Redis down → 503" (the PSA retries), not a 500 (some PSAs
 * never retry). (A function for the failure only: the calls themselves are awaited inline, no closure per delivery.)
 */
async function connectorThrew(input: ReceiveInput, e: unknown): Promise<never> {
  if (await storageUp(input.services)) throw e;
  input.req.log.warn({ instance: input.known.loaded.info.id, err: e }, 'webhook refused: storage unavailable');
  outcome(input, 'unavailable');
  throw new HttpError('unavailable', publicMessage.unavailable);
}

/**
 * `POST /webhooks/:instanceId` after the instance lookup and the size limit (docs/spec.md §5): authentication on the raw
 * bytes → JSON/shape → parse → durable ingest. Every failure throws before `ingest`, so nothing is stored.
 */
export async function receiveWebhook(input: ReceiveInput): Promise<WebhookAck> {
  const { req, known } = input;
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const reading = readJsonBody(raw, input.services.json);
  const webhook: WebhookRequest = {
    headers: lowerHeaders(req.headers),
    rawBody: raw,
    json: reading.ok ? reading.value : undefined,
    query: flatQuery(req.query),
    ip: req.ip,
    path: '',
  };
  const ctx = known.context();
  let verified: Awaited<ReturnType<typeof known.connector.verifyWebhook>>;
  try {
    verified = await known.connector.verifyWebhook(ctx, webhook);
  } catch (e) {
    return connectorThrew(input, e);
  }
  if (!verified.ok) return reject(input, verified.error, 'verify');
  if (!reading.ok) {
    outcome(input, 'bad_request');
    throw new HttpError('bad_request', reading.message);
  }
  let parsed: Awaited<ReturnType<typeof known.connector.parseWebhook>>;
  try {
    parsed = await known.connector.parseWebhook(ctx, webhook);
  } catch (e) {
    return connectorThrew(input, e);
  }
  if (!parsed.ok) return reject(input, parsed.error, 'parse');
  return ack(input, parsed.value, raw);
}
