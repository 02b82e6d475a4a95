import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { ConnectorError, err, ok } from '../../src/contract/index.js';
import type { ParsedWebhook, Result, WebhookRequest } from '../../src/contract/index.js';

import type { CwContext } from './client.js';
import { idString, toUtc } from './mapping.js';
import { envelopeSchema, signingKeySchema } from './schemas.js';

/**
 * ConnectWise callbacks (connectwise.md §2–3): `x-content-signature` = base64(HMAC-SHA256(key = SHA-256(signing_key),
 * raw body)); the signing key comes from `Metadata.key_url`, which is attacker-controlled until the signature checks
 * out, so it is allow-listed before anything is fetched (SECURITY: SSRF).
 */

/** Keys live 10 minutes per exact key_url (docs/spec.md §4). */
export const keyCacheTtlMs = 10 * 60_000;
/** A mismatch re-fetches the key at most this often, so forged deliveries cannot make us hammer the PSA. */
export const keyRefetchMinIntervalMs = 60_000;
/**
 * Key fetches per instance in any rolling minute, per process, for key_urls that never verified a callback. Forged
 * callbacks can name endless distinct allow-listed key_urls (`…&x=1`, `…&x=2`); past this budget a callback whose key
 * is not cached is answered key_unavailable without a fetch (marked `ownBudget`: it costs the sender no probe budget,
 * since the refusal is ours and cost nothing). Each fetch that does not verify costs its sender probe budget (401 / 503
 * both count), which bounds what one address can cause. A key_url that verified a callback before is outside this
 * budget (see `verifiedKeyUrls`), so a flood of forged key_urls never starves ConnectWise's own callbacks.
 */
export const keyFetchesPerMinute = 20;
/**
 * A key_url that verified a callback keeps its key past the TTL: it is re-fetched at most once per
 * `keyRefetchMinIntervalMs` (its own allowance, outside `keyFetchesPerMinute`), and between those fetches, or when a
 * fetch fails, its last key still verifies — for at most this long after that key was last fetched. ConnectWise never
 * retries a callback answered 5xx, so refusing it for want of a fresh key would lose the event.
 */
export const keyStaleMaxMs = 60 * 60_000;
/** Verified key_urls remembered per instance (only a callback ConnectWise signed can add one). */
const verifiedKeyUrls = 16;
/** ConnectWise waits 5 s for our answer; the key fetch gets 2 s of it (docs/spec.md §4). */
export const keyFetchTimeoutMs = 2_000;
const keyMaxBytes = 64 * 1024;
/** A base64 SHA-256 digest: 43 characters and one `=`. */
const signatureShape = /^[A-Za-z0-9+/]{43}=$/;

/** The signature ConnectWise sends for `rawBody`. */
export function cwSignature(signingKey: string, rawBody: Buffer): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

/** Constant-time check of a received signature (length-guarded: `timingSafeEqual` throws on unequal lengths). */
export function signatureMatches(signingKey: string, rawBody: Buffer, received: string | undefined): boolean {
  if (received === undefined) return false;
  const want = Buffer.from(cwSignature(signingKey, rawBody), 'utf8');
  const got = Buffer.from(received.trim(), 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The body's top-level keys lower-cased (ConnectWise casing varies between PSA builds and libraries). */
export function envelopeOf(json: unknown): Record<string, unknown> | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k.toLowerCase(), v]));
}

/** `Metadata.key_url`, found case-insensitively. */
export function keyUrlOf(envelope: Record<string, unknown>): string | undefined {
  const meta = envelopeOf(envelope['metadata']);
  const url = meta?.['key_url'];
  return typeof url === 'string' && url.trim() !== '' ? url.trim() : undefined;
}

/** Pre-check (no I/O) mirroring `ctx.http.safeGet`: exact host (https, default port) or exact origin. */
export function keyUrlAllowed(raw: string, allow: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password || raw.includes('#')) return false;
  const list = allow.map((a) => a.trim().replace(/\/+$/, '').toLowerCase());
  if (list.includes(url.origin.toLowerCase())) return true;
  return url.protocol === 'https:' && url.port === '' && list.includes(url.hostname.toLowerCase());
}

/**
 * The tenant named by the callback must be ours: cloud hosts such as na.myconnectwise.net serve every company, so
 * another company on the same host could sign callbacks with its own key and point `key_url` at it. The key_url must
 * carry `companyName` exactly once (names compared case-insensitively, as ASP.NET reads query strings) and it must be
 * our `connection.companyId`; a body `CompanyId`, when present, must name us too. Returns why not, or undefined.
 */
export function tenantMismatch(
  companyId: string,
  envelope: Record<string, unknown>,
  keyUrl: string,
): string | undefined {
  const mine = companyId.trim().toLowerCase();
  const company = envelope['companyid'];
  if (
    company !== undefined &&
    company !== null &&
    (typeof company !== 'string' || company.trim().toLowerCase() !== mine)
  ) {
    return 'body CompanyId names another company';
  }
  const named = [...new URL(keyUrl).searchParams]
    .filter(([name]) => name.toLowerCase() === 'companyname')
    .map(([, value]) => value);
  if (named.length === 0) return 'key_url names no companyName';
  if (named.length > 1) return 'key_url repeats companyName';
  return named[0]!.toLowerCase() === mine ? undefined : 'key_url names another company';
}

const unauthorized = (reason: string) =>
  new ConnectorError('unauthorized', `ConnectWise callback refused: ${reason}`, {
    retryable: false,
    details: { reason },
  });
const keyUnavailable = (reason: string, cause?: unknown, ownBudget = false) =>
  new ConnectorError('key_unavailable', `ConnectWise signing key unavailable: ${reason}`, {
    retryable: false,
    details: ownBudget ? { reason, ownBudget: true } : { reason },
    cause,
  });

interface CachedKey {
  key: string;
  fetchedAt: number;
}

/** Key URLs remembered per instance; a flood of distinct (allow-listed) URLs evicts the oldest first. */
const keyCacheMaxEntries = 64;

interface VerifiedKey extends CachedKey {
  /** When this key_url was last fetched or tried (its own allowance: one per `keyRefetchMinIntervalMs`). */
  triedAt: number;
}

interface KeyState {
  keys: Map<string, CachedKey>;
  /** Exact key_urls whose key verified a callback, with that key (kept past the TTL; never evicted by forgeries). */
  verified: Map<string, VerifiedKey>;
  /** When recent key fetches started (the last minute's). */
  fetches: number[];
}

/**
 * Signing keys are cached in this process only, never in `ctx.cache`: that one is Redis, and secrets never go to
 * Redis (docs/spec.md §7, docs/reliability.md §4 #22). Keyed by the instance's settings object, so a config reload starts empty.
 * Each API replica fetches the key once per TTL, which ConnectWise serves cheaply.
 */
const keyStates = new WeakMap<object, KeyState>();

function keyStateOf(ctx: CwContext): KeyState {
  let state = keyStates.get(ctx.settings);
  if (!state) {
    state = { keys: new Map(), verified: new Map(), fetches: [] };
    keyStates.set(ctx.settings, state);
  }
  return state;
}

function cachedKey(ctx: CwContext, keyUrl: string): CachedKey | undefined {
  const cache = keyStateOf(ctx).keys;
  const hit = cache.get(keyUrl);
  if (hit && ctx.clock.now().getTime() - hit.fetchedAt >= keyCacheTtlMs) {
    cache.delete(keyUrl);
    return undefined;
  }
  return hit;
}

function rememberKey(ctx: CwContext, keyUrl: string, entry: CachedKey): void {
  const cache = keyStateOf(ctx).keys;
  cache.delete(keyUrl);
  cache.set(keyUrl, entry);
  const oldest = cache.keys().next();
  if (cache.size > keyCacheMaxEntries && !oldest.done) cache.delete(oldest.value);
}

/** Takes one key fetch from the instance's budget (false when the last minute already used it up). */
function takeFetchBudget(ctx: CwContext): boolean {
  const state = keyStateOf(ctx);
  const now = ctx.clock.now().getTime();
  state.fetches = state.fetches.filter((t) => t > now - 60_000 && t <= now);
  if (state.fetches.length >= keyFetchesPerMinute) return false;
  state.fetches.push(now);
  return true;
}

/** Records that `keyUrl`'s key verified a callback (most recent last; the oldest beyond the bound is forgotten). */
function rememberVerified(ctx: CwContext, keyUrl: string, entry: CachedKey, triedAt: number): void {
  const verified = keyStateOf(ctx).verified;
  verified.delete(keyUrl);
  verified.set(keyUrl, { ...entry, triedAt });
  const oldest = verified.keys().next();
  if (verified.size > verifiedKeyUrls && !oldest.done) verified.delete(oldest.value);
}

/** `reserved`: the key_url verified a callback before; its fetches are paced by the caller, not the shared budget. */
async function fetchKey(ctx: CwContext, keyUrl: string, reserved: boolean): Promise<Result<CachedKey, ConnectorError>> {
  if (!reserved && !takeFetchBudget(ctx)) {
    ctx.log.warn(
      { instance: ctx.instance.id, perMinute: keyFetchesPerMinute },
      'ConnectWise key fetch budget used up: callback refused unverified',
    );
    return err(keyUnavailable('key fetch budget used up', undefined, true));
  }
  const res = await ctx.http.safeGet(keyUrl, {
    allow: ctx.settings.webhook.keyUrlHosts,
    timeoutMs: keyFetchTimeoutMs,
    maxBytes: keyMaxBytes,
  });
  if (!res.ok) {
    const e = res.error;
    ctx.log.warn({ instance: ctx.instance.id, code: e.code }, 'ConnectWise signing key fetch failed');
    return err(e.code === 'denied_url' ? unauthorized(`key_url refused (${e.message})`) : keyUnavailable(e.code, e));
  }
  if (res.value.status < 200 || res.value.status >= 300)
    return err(keyUnavailable(`key_url answered ${res.value.status}`));
  let body: unknown;
  try {
    body = JSON.parse(res.value.text); // served as JSON or as text: parse whatever the content type says
  } catch {
    return err(keyUnavailable('key_url answered non-JSON'));
  }
  const parsed = signingKeySchema.safeParse(body);
  if (!parsed.success) return err(keyUnavailable('key_url answered without a signing_key'));
  const entry = { key: parsed.data.signing_key, fetchedAt: ctx.clock.now().getTime() };
  rememberKey(ctx, keyUrl, entry);
  return ok(entry);
}

/** Verifies a callback on its raw bytes. Errors: `unauthorized` (→ 401), `key_unavailable` (→ 503). */
export async function verifyWebhook(ctx: CwContext, req: WebhookRequest): Promise<Result<void, ConnectorError>> {
  const envelope = envelopeOf(req.json);
  if (!envelope) return err(unauthorized('body is not a JSON object'));
  const keyUrl = keyUrlOf(envelope);
  if (!keyUrl) return err(unauthorized('no Metadata.key_url'));
  if (!keyUrlAllowed(keyUrl, ctx.settings.webhook.keyUrlHosts))
    return err(unauthorized('key_url host is not allow-listed'));
  const mismatch = tenantMismatch(ctx.settings.connection.companyId, envelope, keyUrl);
  if (mismatch) return err(unauthorized(mismatch));
  const signature = req.headers['x-content-signature']?.trim();
  if (!signature || !signatureShape.test(signature))
    return err(unauthorized('missing or malformed x-content-signature'));

  const now = ctx.clock.now().getTime();
  const known = keyStateOf(ctx).verified.get(keyUrl);
  const cached = cachedKey(ctx, keyUrl) ?? (known && now - known.fetchedAt < keyCacheTtlMs ? known : undefined);
  if (cached && signatureMatches(cached.key, req.rawBody, signature)) {
    if (known) known.triedAt = Math.max(known.triedAt, cached.fetchedAt);
    else rememberVerified(ctx, keyUrl, cached, cached.fetchedAt);
    return ok(undefined);
  }
  // A mismatch with a cached key may be a rotated key: re-fetch once (rate-limited per key_url).
  if (cached && now - cached.fetchedAt < keyRefetchMinIntervalMs) return err(unauthorized('signature mismatch'));
  // A key_url that verified before: past its TTL its last key still serves while its one fetch a minute is spent or
  // fails (stale, bounded by keyStaleMaxMs); it never waits for the shared budget that forged key_urls use up.
  const stale = known && now - known.fetchedAt < keyStaleMaxMs ? known : undefined;
  if (known && now - known.triedAt < keyRefetchMinIntervalMs) {
    if (!stale) return err(keyUnavailable('key_url fetched within the last minute without a usable key'));
    return signatureMatches(stale.key, req.rawBody, signature)
      ? ok(undefined)
      : err(unauthorized('signature mismatch'));
  }
  if (known) known.triedAt = now;
  const fresh = await fetchKey(ctx, keyUrl, known !== undefined);
  if (!fresh.ok) {
    if (fresh.error.code === 'key_unavailable' && stale && signatureMatches(stale.key, req.rawBody, signature)) {
      ctx.log.warn(
        { instance: ctx.instance.id, ageMs: now - stale.fetchedAt },
        'ConnectWise signing key fetch failed: verified with the key this key_url served before',
      );
      return ok(undefined);
    }
    return fresh;
  }
  if (!signatureMatches(fresh.value.key, req.rawBody, signature)) return err(unauthorized('signature mismatch'));
  rememberVerified(ctx, keyUrl, fresh.value, now);
  return ok(undefined);
}

function parseEntity(entity: unknown): Record<string, unknown> | undefined {
  let value = entity;
  if (typeof entity === 'string') {
    try {
      value = JSON.parse(entity) as unknown; // Entity is a JSON-encoded string (connectwise.md §2.1)
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const actions: Record<string, 'created' | 'updated' | 'deleted'> = {
  added: 'created',
  updated: 'updated',
  deleted: 'deleted',
};

/** Reads a verified callback: the ticket id, action, MessageId (dedupe), actor and version hint. */
export async function parseWebhook(
  ctx: CwContext,
  req: WebhookRequest,
): Promise<Result<ParsedWebhook, ConnectorError>> {
  const envelope = envelopeOf(req.json);
  const parsed = envelopeSchema.safeParse(envelope ?? null);
  if (!envelope || !parsed.success)
    return err(new ConnectorError('bad_request', 'ConnectWise callback is not a JSON object', { retryable: false }));
  const body = parsed.data;
  // MessageId is the delivery's identity; a body hash stands in when a build omits it (identical bodies = one event).
  const eventId =
    body.messageid === undefined || body.messageid === null
      ? `sha256-${createHash('sha256').update(req.rawBody).digest('hex').slice(0, 32)}`
      : String(body.messageid);
  const ticketId = idString(body.id);
  if ((body.type ?? '').trim().toLowerCase() !== 'ticket')
    return ok({ ignore: 'entity_type', eventId, ...(ticketId ? { ticketId } : {}) });
  const action = actions[(body.action ?? '').trim().toLowerCase()];
  if (!action) return ok({ ignore: 'action', eventId, ...(ticketId ? { ticketId } : {}) });
  if (!ticketId)
    return err(new ConnectorError('bad_request', 'ConnectWise callback without a ticket ID', { retryable: false }));
  const actor = body.memberid === undefined || body.memberid === null ? undefined : String(body.memberid).trim();
  const apiMember = ctx.settings.connection.apiMember?.trim().toLowerCase();
  if (action !== 'deleted' && apiMember && actor?.toLowerCase() === apiMember)
    return ok({ ignore: 'echo', eventId, ticketId });
  const info = parseEntity(body.entity)?.['_info'];
  const version =
    typeof info === 'object' && info !== null ? toUtc((info as Record<string, unknown>)['lastUpdated']) : undefined;
  return ok({ ticketId, action, eventId, ...(actor ? { actor } : {}), ...(version ? { version } : {}) });
}
