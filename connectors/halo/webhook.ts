import { createHash, timingSafeEqual } from 'node:crypto';

import { ConnectorError, canonicalNumericTicketId, echoIdentity, err, ok } from '../../src/contract/index.js';
import type { ParsedWebhook, Result, WebhookEvent, WebhookRequest } from '../../src/contract/index.js';

import type { HaloContext } from './client.js';
import { optional, ownAgentId } from './lookups.js';

import { ipAllowed, parseCidr } from './schemas.js';
import type { Cidr } from './schemas.js';
import type { HaloSettings } from './schemas.js';

// ------------------------------------------------------------------ verification (halo.md §2.2)

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Constant-time equality with a length guard (timingSafeEqual throws on unequal lengths). */
function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(b, b); // same work either way: the length is the only thing a timing probe can learn
    return false;
  }
  return timingSafeEqual(a, b);
}

/** The decoded `user:password` bytes of an `Authorization: Basic …` header, or null when malformed. */
export function readBasicCredentials(header: string | undefined): Buffer | null {
  if (header === undefined) return null;
  const m = /^\s*basic\s+(\S+)\s*$/i.exec(header);
  const token = m?.[1];
  if (token === undefined || token.length % 4 !== 0 || !BASE64.test(token)) return null;
  const decoded = Buffer.from(token, 'base64');
  return decoded.length === 0 || !decoded.includes(0x3a) ? null : decoded;
}

const cidrCache = new WeakMap<readonly string[], Cidr[]>();
function cidrsOf(list: readonly string[]): Cidr[] {
  let parsed = cidrCache.get(list);
  if (!parsed) {
    parsed = list.map(parseCidr).filter((c): c is Cidr => c !== null);
    cidrCache.set(list, parsed);
  }
  return parsed;
}

/**
 * Halo signs nothing (no outbound HMAC is documented), so the instance's Basic-auth credentials are the factor that
 * counts; `allowIps` is an optional second one. Both current and previous credentials are always compared (no
 * short-circuit) so the answer time does not say which one was close.
 */
export function verifyCredentials(webhook: HaloSettings['webhook'], req: WebhookRequest): Result<void, ConnectorError> {
  const deny = (why: string) =>
    err(new ConnectorError('unauthorized', `webhook authentication failed: ${why}`, { retryable: false }));
  if (webhook.allowIps && webhook.allowIps.length > 0 && !ipAllowed(req.ip, cidrsOf(webhook.allowIps))) {
    return deny('sender address not allow-listed');
  }
  const given = readBasicCredentials(req.headers.authorization);
  if (!given) return deny('missing or malformed Basic credentials');
  const candidates = [webhook.basicAuth, webhook.previousBasicAuth].filter((c) => c !== undefined);
  let match = false;
  for (const c of candidates) {
    const expected = Buffer.from(`${c.username}:${c.password}`, 'utf8');
    match = safeEqual(given, expected) || match;
  }
  return match ? ok(undefined) : deny('wrong Basic credentials');
}

// ------------------------------------------------------------------ parsing (halo.md §3, pitfalls 9 and 10)

export type HaloWebhookReading =
  | { kind: 'event'; event: WebhookEvent; agentId?: string; ticketAgentId?: string }
  | { kind: 'ignore'; reason: 'entity_type'; eventId: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A positive integer id from a number or numeric string (the top-level `id` is a GUID and never matches). */
function intId(v: unknown): string | undefined {
  return canonicalNumericTicketId(v); // src/contract/ids.ts: one canonical id per ticket
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const safeId = (v: unknown): string | undefined => (typeof v === 'string' && SAFE_ID.test(v) ? v : undefined);

/** Ticket id: explicit ticket fields first (top level, then nested), `object_id` only for ticket events. */
function findTicketId(body: Obj, ticketEvent: boolean): string | undefined {
  const nested = ['ticket', 'object', 'data', 'action'].map((k) => body[k]).filter(isObj);
  for (const o of [body, ...nested]) {
    const id = intId(o.ticket_id) ?? intId(o.ticketid) ?? intId(o.faultid);
    if (id) return id;
  }
  if (isObj(body.ticket)) {
    const id = intId(body.ticket.id);
    if (id) return id;
  }
  if (!ticketEvent) return undefined;
  for (const o of [body, ...nested]) {
    const id = intId(o.object_id) ?? intId(o.objectid);
    if (id) return id;
  }
  return undefined;
}

const NON_TICKET =
  /\b(client|customer|user|site|asset|device|contract|invoice|opportunit|quot|supplier|item|project|article|kb|agent|appointment)/i;
const TICKET_WORDS = /ticket|fault|incident|request|action|note|reassign/i;

function actionOf(event: string): WebhookEvent['action'] {
  if (/delet|remov/i.test(event)) return 'deleted';
  if (/\bnew\b|logged|creat/i.test(event)) return 'created';
  return 'updated';
}

function versionOf(body: Obj): string | undefined {
  const t = isObj(body.ticket) ? body.ticket : undefined;
  const v = t?.last_update ?? t?.lastactiondate;
  return typeof v === 'string' && v.length <= 40 ? v : undefined;
}

/** Reads one delivery (small, full, event-only or custom payload). Payload values are hints: the ticket is re-fetched. */
export function readHaloEvent(body: Obj, rawBody: Buffer): Result<HaloWebhookReading, ConnectorError> {
  const event =
    typeof body.event === 'string' ? body.event : typeof body.event_name === 'string' ? body.event_name : '';
  // Dedupe key (docs/reliability.md §1, halo.md §9): escmsg_id, else the delivery GUID, else a hash of the exact bytes.
  const eventId =
    safeId(body.escmsg_id) ??
    safeId(body.id) ??
    `body-${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
  const ticketEvent = event === '' || isObj(body.ticket) || TICKET_WORDS.test(event) || !NON_TICKET.test(event);
  const ticketId = findTicketId(body, ticketEvent);
  if (!ticketId) {
    if (!ticketEvent) return ok({ kind: 'ignore', reason: 'entity_type', eventId });
    return err(
      new ConnectorError('bad_request', 'Halo webhook carries no ticket id (object_id / ticket.id)', {
        retryable: false,
      }),
    );
  }
  // Top-level `agent_id`: read as the agent who caused the event (echo detection). No source defines it: the payload
  // is built from the notification (EscMsg) row, whose `agent_id` is the recipient agent, and the one live sample
  // (homotechsual/dotMARC HaloWebhookEndpointTests.cs) has it equal to `ticket.agent_id`, the assignee. So the
  // embedded ticket's agent is kept too: when both are equal, the value may just be the assignee (parseWebhook below).
  const agentId = intId(body.agent_id);
  const ticketAgentId = isObj(body.ticket) ? intId(body.ticket.agent_id) : undefined;
  const version = versionOf(body);
  const ev: WebhookEvent = { ticketId, action: actionOf(event), eventId };
  if (agentId) ev.actor = agentId;
  if (version) ev.version = version;
  const reading: HaloWebhookReading = { kind: 'event', event: ev };
  if (agentId) reading.agentId = agentId;
  if (ticketAgentId) reading.ticketAgentId = ticketAgentId;
  return ok(reading);
}

/**
 * Batched deliveries (Halo "group occurrences", v2.164+): the body shape is UNVERIFIED. Halo's guide (kbid 838) only
 * names the options and Nango's Halo guide says to keep batching off "so each delivery contains one event object";
 * no public sample shows a batch. A top-level JSON array is read entry by entry; anything else is one event.
 */
export function readWebhook(json: unknown, rawBody: Buffer): Result<HaloWebhookReading[], ConnectorError> {
  const entries = Array.isArray(json) ? json : [json];
  if (entries.length === 0 || !entries.every(isObj)) {
    return err(new ConnectorError('bad_request', 'Halo webhook body is not a JSON object', { retryable: false }));
  }
  const out: HaloWebhookReading[] = [];
  for (const entry of entries) {
    const r = readHaloEvent(entry, entries.length === 1 ? rawBody : Buffer.from(JSON.stringify(entry)));
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

// ------------------------------------------------------------------ the contract methods

/** `PsaConnector.verifyWebhook`: Basic credentials (and the optional sender allow-list). */
export async function verifyWebhook(ctx: HaloContext, req: WebhookRequest): Promise<Result<void, ConnectorError>> {
  return verifyCredentials(ctx.settings.webhook, req);
}

/** On the ack path the agent lookup gets a short budget: a slow Halo must not delay the ack. */
const ECHO_LOOKUP_BUDGET_MS = 1_500;

/**
 * The agent our API token acts as, for echo detection: the shared memoised lookup (src/contract/echo-identity.ts)
 * over the shared cache and `GET /api/Agent/me`; a failed refresh keeps the last answer.
 */
function ownAgent(ctx: HaloContext): Promise<string | undefined> {
  return echoIdentity(ctx, {
    key: 'halo:agent-me',
    lookUp: () => optional(ctx, 'agent-me', () => ownAgentId(ctx)),
    budgetMs: ECHO_LOOKUP_BUDGET_MS,
  });
}

/**
 * Reads the delivery, then drops echoes of our own API agent (`agent_id` = `GET /api/Agent/me`, docs/spec.md §4). A batch
 * yields its first entry that is not an echo; the others are recovered by the next evaluation / reconciliation.
 */
export async function parseWebhook(
  ctx: HaloContext,
  req: WebhookRequest,
): Promise<Result<ParsedWebhook, ConnectorError>> {
  const read = readWebhook(req.json, req.rawBody);
  if (!read.ok) return read;
  const entries = read.value;
  const hasActor = entries.some((e) => e.kind === 'event' && e.agentId !== undefined);
  // Only asked when an actor is present; cached (shared) after the first call, which workers also make. On the
  // request path the lookup gets a short budget: a slow Halo must not delay the ack, and a missed echo only costs
  // one evaluation (the write it would repeat is already recorded). A failed lookup never loses an event.
  const me = hasActor ? await ownAgent(ctx) : undefined;
  let firstEcho: ParsedWebhook | undefined;
  let firstIgnore: ParsedWebhook | undefined;
  for (const e of entries) {
    if (e.kind === 'ignore') {
      firstIgnore ??= { ignore: e.reason, eventId: e.eventId };
      continue;
    }
    // Ours only when the top-level agent is our API agent AND the embedded ticket is not assigned to it: when both
    // agent ids are equal the top-level one may just be the assignee (webhook.ts), and a missed echo costs one
    // evaluation while a wrong one would drop a real event until reconciliation.
    if (me !== undefined && e.agentId === me && e.ticketAgentId !== me) {
      firstEcho ??= { ignore: 'echo', eventId: e.event.eventId, ticketId: e.event.ticketId };
      continue;
    }
    if (entries.length > 1)
      ctx.log.warn({ entries: entries.length }, 'Halo sent a batched delivery; turn batching off on the webhook');
    return ok(e.event);
  }
  return ok((firstEcho ?? firstIgnore)!);
}
