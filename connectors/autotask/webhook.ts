import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

import { ConnectorError, canonicalNumericTicketId, echoIdentity, err, ok } from '../../src/contract/index.js';
import type { ParsedWebhook, Result, WebhookEvent, WebhookRequest } from '../../src/contract/index.js';

import type { AtContext } from './client.js';
import { apiResourceId } from './lookups.js';
import { versionOf } from './mapping.js';
import { webhookBodySchema } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';

// ------------------------------------------------------------------ verification (autotask.md §3)

/** HMAC-SHA1 digests are 20 bytes: exactly 28 base64 characters with one `=` of padding. */
const SIGNATURE = /^sha1=([A-Za-z0-9+/]{27}=)$/i;

/** `sha1=<base64(HMAC-SHA1(key=utf8(secret), msg=raw body))>`: what Autotask sends in `X-Hook-Signature`. */
export function signAutotaskBody(rawBody: Buffer | string, secret: string): string {
  return `sha1=${createHmac('sha1', Buffer.from(secret, 'utf8')).update(rawBody).digest('base64')}`;
}

/** HMAC keys imported once per secret (a delivery's verification is on the ack path; the import is half its cost). */
const hmacKeys = new Map<string, KeyObject>();
function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (!key) {
    if (hmacKeys.size > 64) hmacKeys.clear(); // secrets rotate rarely; never let old ones pile up
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    hmacKeys.set(secret, key);
  }
  return key;
}

/** Constant-time equality with a length guard (timingSafeEqual throws on unequal lengths). */
function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(b, b); // same work either way: the length is all a timing probe could learn
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Verifies `X-Hook-Signature` over the exact bytes received (never re-serialized JSON: Autotask `\u`-escapes
 * `& < > ' " \` +` and all non-ASCII before signing, so a re-encoded body no longer matches). The current and the
 * previous secret are both compared (no short-circuit) so the answer time does not say which one was close.
 * Security: fails closed on a missing, malformed, short or empty signature.
 */
export function verifySignature(
  webhook: AutotaskSettings['webhook'],
  req: Pick<WebhookRequest, 'headers' | 'rawBody'>,
): Result<void, ConnectorError> {
  const deny = (why: string) =>
    err(new ConnectorError('unauthorized', `webhook authentication failed: ${why}`, { retryable: false }));
  const header = req.headers['x-hook-signature'];
  const m = header === undefined ? null : SIGNATURE.exec(header.trim());
  if (!m) return deny(header === undefined ? 'missing X-Hook-Signature' : 'malformed X-Hook-Signature');
  const given = Buffer.from(m[1]!, 'base64');
  let match = false;
  for (const secret of [webhook.secretKey, webhook.previousSecretKey]) {
    if (secret === undefined) continue;
    const expected = createHmac('sha1', hmacKey(secret)).update(req.rawBody).digest();
    match = safeEqual(given, expected) || match;
  }
  return match ? ok(undefined) : deny('signature does not match');
}

// ------------------------------------------------------------------ parsing (autotask.md §2, pitfalls 1 and 5)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Lower-cased key names, memoised: every delivery repeats the same dozen names, and a fresh lower-cased string
 * must be hashed into V8's string table before it can key a property; the memo hands back the same interned one.
 * Bounded: a body's key names are the sender's choice.
 */
const lowerNames = new Map<string, string>();
function lowerName(k: string): string {
  let key = lowerNames.get(k);
  if (key === undefined) {
    key = k.toLowerCase();
    if (lowerNames.size < 512) lowerNames.set(k, key);
  }
  return key;
}

/** Keys lower-cased (Nango's samples say `PersonId`, n8n's `PersonID`; Fields casing varies too). */
function lowerKeys(o: Obj): Obj {
  const out: Obj = {};
  // Object.keys, not entries: no [key, value] pair allocated per key on the ack path.
  for (const k of Object.keys(o)) {
    const key = lowerName(k);
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    if (!(key in out)) out[key] = o[k];
  }
  return out;
}

/** The first value under any casing of `name` (lower-case), without copying the object (Fields may be large). */
function fieldOf(o: Obj, name: string): unknown {
  for (const k of Object.keys(o)) if (lowerName(k) === name) return o[k];
  return undefined;
}

/** A positive integer id from a number or a numeric string (payload values may be strings: `"Status":"5"`). */
export function intId(v: unknown): string | undefined {
  return canonicalNumericTicketId(v); // src/contract/ids.ts: one canonical id per ticket
}

const SAFE = /[^A-Za-z0-9-]/g;

/**
 * Dedupe id of one delivery: `Guid` names the **webhook**, not the event, so it is combined with the entity id,
 * `SequenceNumber` and `EventTime` (retries of one event repeat all four). Without sequence and time, a hash of
 * the exact bytes is the only stable key.
 */
function eventIdOf(body: Obj, entityId: string, rawBody: Buffer): string {
  const guid = typeof body.guid === 'string' ? body.guid.replace(SAFE, '').slice(0, 64) : '';
  const seq =
    intId(body.sequencenumber) ?? (body.sequencenumber === 0 || body.sequencenumber === '0' ? '0' : undefined);
  const time = typeof body.eventtime === 'string' ? body.eventtime.replace(/\D/g, '').slice(0, 24) : '';
  if (seq === undefined && time === '') return `at-${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
  return [guid || 'noguid', entityId, seq ?? 'noseq', time || 'notime'].join('.');
}

const ACTIONS: Record<string, WebhookEvent['action']> = { create: 'created', update: 'updated', delete: 'deleted' };

export interface ParseOptions {
  /** Our API user's resource id: its own changes are echoes (docs/spec.md §4). */
  apiResourceId?: number | undefined;
}

/**
 * Reads one verified delivery. `Ticket` events name the ticket in `Id`; `TicketNote` events (when an MSP adds a
 * note webhook) name it in `Fields.TicketID`. Everything else is acknowledged and ignored (Autotask retries any
 * non-2xx, and 25 failures in a row disable the webhook).
 */
export function readWebhook(
  json: unknown,
  rawBody: Buffer,
  options: ParseOptions = {},
): Result<ParsedWebhook, ConnectorError> {
  const bad = (why: string) => err(new ConnectorError('bad_request', `Autotask webhook: ${why}`, { retryable: false }));
  if (!isObj(json)) return bad('body is not a JSON object');
  const parsed = webhookBodySchema.safeParse(lowerKeys(json));
  if (!parsed.success) return bad('unexpected payload shape');
  const body = parsed.data as Obj & typeof parsed.data;
  const entity = (body.entitytype ?? 'Ticket').toLowerCase().replace(/s$/, '');
  const fields = isObj(body.fields) ? body.fields : undefined;
  const entityId = intId(body.id);
  if (!entityId) return bad('no entity Id');
  const eventId = eventIdOf(body, entityId, rawBody);
  if (entity !== 'ticket' && entity !== 'ticketnote') return ok({ ignore: 'entity_type', eventId });
  const ticketId = entity === 'ticket' ? entityId : intId(fields && fieldOf(fields, 'ticketid'));
  if (!ticketId) return entity === 'ticket' ? bad('no ticket Id') : ok({ ignore: 'entity_type', eventId });
  const rawAction = (body.action ?? '').toLowerCase();
  const mapped = ACTIONS[rawAction];
  if (!mapped) return ok({ ignore: 'action', eventId, ticketId });
  // A deleted note is a change of its ticket, not the ticket's deletion.
  const action = entity === 'ticketnote' ? 'updated' : mapped;
  const actor = intId(body.personid);
  if (actor !== undefined && options.apiResourceId !== undefined && actor === String(options.apiResourceId)) {
    return ok({ ignore: 'echo', eventId, ticketId });
  }
  const event: WebhookEvent = { ticketId, action, eventId };
  if (actor) event.actor = actor;
  const version =
    entity === 'ticket'
      ? (versionOf(fields && fieldOf(fields, 'lasttrackedmodificationdatetime')) ?? eventTimeVersion(body.eventtime))
      : undefined;
  if (version) event.version = version;
  return ok(event);
}

/**
 * `EventTime` usually has whole seconds while the ticket's version has milliseconds: round it up to the end of its
 * second, so that a hint never claims to be older than the change it reports (the pipeline may drop older hints).
 */
function eventTimeVersion(value: unknown): string | undefined {
  const v = versionOf(value);
  if (v === undefined || typeof value !== 'string' || /\.\d/.test(value)) return v;
  return v.replace(/\.000Z$/, '.999Z');
}

// ------------------------------------------------------------------ the contract methods

/** Autotask waits 10 s for our answer: the identity lookup on the webhook path gets a short leash. */
const webhookLookupTimeoutMs = 3_000;
/** After a failed lookup, deliveries (of every replica) go on without the echo check for this long. */
const lookupBackoffMs = 120_000;
/** How long the first deliveries of a process wait for the first lookup before going on without the echo check. */
const firstLookupWaitMs = 500;

async function lookUpIdentity(ctx: AtContext): Promise<number | undefined> {
  const backoffKey = `autotask:apiResourceBackoff:${ctx.instance.id}`;
  // Another replica's failure is good enough a reason not to try again so soon.
  if ((await ctx.cache.get(backoffKey)) !== undefined) return undefined;
  try {
    return await apiResourceId(ctx, { timeoutMs: webhookLookupTimeoutMs });
  } catch (e) {
    ctx.log.warn(
      { instance: ctx.instance.id, err: e },
      'Autotask: could not resolve the API user resource; echo check skipped',
    );
    await ctx.cache.set(backoffKey, true, lookupBackoffMs).catch(() => undefined);
    return undefined;
  }
}

/**
 * Our resource id for echo detection, on the hot path of every delivery: configured, else the shared memoised
 * lookup (src/contract/echo-identity.ts). A failed or slow lookup must not fail or hold the delivery: the webhook
 * registration excludes our resource anyway, and the worker re-fetches and its guards never repeat an action.
 */
async function ownResource(ctx: AtContext): Promise<number | undefined> {
  const configured = ctx.settings.connection.apiResourceID;
  if (configured !== undefined) return configured;
  return echoIdentity(ctx, {
    key: 'autotask:apiResource',
    lookUp: () => lookUpIdentity(ctx),
    budgetMs: firstLookupWaitMs,
  });
}

/** `PsaConnector.verifyWebhook`: the HMAC signature over the raw bytes. */
export async function verifyWebhook(ctx: AtContext, req: WebhookRequest): Promise<Result<void, ConnectorError>> {
  return verifySignature(ctx.settings.webhook, req);
}

/** `PsaConnector.parseWebhook`: reads the delivery; changes by our API resource are echoes. */
export async function parseWebhook(
  ctx: AtContext,
  req: WebhookRequest,
): Promise<Result<ParsedWebhook, ConnectorError>> {
  return readWebhook(req.json, req.rawBody, { apiResourceId: await ownResource(ctx) });
}
