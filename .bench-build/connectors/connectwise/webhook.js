import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConnectorError, err, ok } from '../../src/contract/index.js';
import { idString, toUtc } from './mapping.js';
import { envelopeSchema, signingKeySchema } from './schemas.js';
/**
 * ConnectWise callbacks (connectwise.md §2–3): `x-content-signature` = base64(HMAC-SHA256(key = SHA-256(signing_key),
 * raw body)); the signing key comes from `Metadata.key_url`, which is attacker-controlled until the signature checks
 * out, so it is allow-listed before anything is fetched (SECURITY: SSRF).
 */
/** Keys live 10 minutes per exact key_url (SPEC §4). */
export const keyCacheTtlMs = 10 * 60_000;
/** A mismatch re-fetches the key at most this often, so forged deliveries cannot make us hammer the PSA. */
export const keyRefetchMinIntervalMs = 60_000;
/** ConnectWise waits 5 s for our answer; the key fetch gets 2 s of it (SPEC §4). */
export const keyFetchTimeoutMs = 2_000;
const keyMaxBytes = 64 * 1024;
/** A base64 SHA-256 digest: 43 characters and one `=`. */
const signatureShape = /^[A-Za-z0-9+/]{43}=$/;
/** The signature ConnectWise sends for `rawBody`. */
export function cwSignature(signingKey, rawBody) {
    const key = createHash('sha256').update(signingKey, 'utf8').digest();
    return createHmac('sha256', key).update(rawBody).digest('base64');
}
/** Constant-time check of a received signature (length-guarded: `timingSafeEqual` throws on unequal lengths). */
export function signatureMatches(signingKey, rawBody, received) {
    if (received === undefined)
        return false;
    const want = Buffer.from(cwSignature(signingKey, rawBody), 'utf8');
    const got = Buffer.from(received.trim(), 'utf8');
    return want.length === got.length && timingSafeEqual(want, got);
}
/** The body's top-level keys lower-cased (ConnectWise casing varies between PSA builds and libraries). */
export function envelopeOf(json) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
        return undefined;
    return Object.fromEntries(Object.entries(json).map(([k, v]) => [k.toLowerCase(), v]));
}
/** `Metadata.key_url`, found case-insensitively. */
export function keyUrlOf(envelope) {
    const meta = envelopeOf(envelope['metadata']);
    const url = meta?.['key_url'];
    return typeof url === 'string' && url.trim() !== '' ? url.trim() : undefined;
}
/** Pre-check (no I/O) mirroring `ctx.http.safeGet`: exact host (https, default port) or exact origin. */
export function keyUrlAllowed(raw, allow) {
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        return false;
    }
    if (url.username || url.password || raw.includes('#'))
        return false;
    const list = allow.map((a) => a.trim().replace(/\/+$/, '').toLowerCase());
    if (list.includes(url.origin.toLowerCase()))
        return true;
    return url.protocol === 'https:' && url.port === '' && list.includes(url.hostname.toLowerCase());
}
/** The tenant named by the callback must be ours: cloud hosts such as na.myconnectwise.net serve every tenant. */
function tenantMatches(ctx, envelope, keyUrl) {
    const mine = ctx.settings.connection.companyId.toLowerCase();
    const company = envelope['companyid'];
    if (typeof company === 'string' && company.trim() !== '' && company.trim().toLowerCase() !== mine)
        return false;
    const named = new URL(keyUrl).searchParams.get('companyName');
    return named === null || named.trim().toLowerCase() === mine;
}
const unauthorized = (reason) => new ConnectorError('unauthorized', `ConnectWise callback refused: ${reason}`, { retryable: false, details: { reason } });
const keyUnavailable = (reason, cause) => new ConnectorError('key_unavailable', `ConnectWise signing key unavailable: ${reason}`, { retryable: false, details: { reason }, cause });
/** Key URLs remembered per instance; a flood of distinct (allow-listed) URLs evicts the oldest first. */
const keyCacheMaxEntries = 64;
/**
 * Signing keys are cached in this process only, never in `ctx.cache`: that one is Redis, and secrets never go to
 * Redis (SPEC §7, RELIABILITY §4 #22). Keyed by the instance's settings object, so a config reload starts empty.
 * Each API replica fetches the key once per TTL, which ConnectWise serves cheaply.
 */
const keyCaches = new WeakMap();
function keyCacheOf(ctx) {
    let cache = keyCaches.get(ctx.settings);
    if (!cache) {
        cache = new Map();
        keyCaches.set(ctx.settings, cache);
    }
    return cache;
}
function cachedKey(ctx, keyUrl) {
    const cache = keyCacheOf(ctx);
    const hit = cache.get(keyUrl);
    if (hit && ctx.clock.now().getTime() - hit.fetchedAt >= keyCacheTtlMs) {
        cache.delete(keyUrl);
        return undefined;
    }
    return hit;
}
function rememberKey(ctx, keyUrl, entry) {
    const cache = keyCacheOf(ctx);
    cache.delete(keyUrl);
    cache.set(keyUrl, entry);
    const oldest = cache.keys().next();
    if (cache.size > keyCacheMaxEntries && !oldest.done)
        cache.delete(oldest.value);
}
async function fetchKey(ctx, keyUrl) {
    const res = await ctx.http.safeGet(keyUrl, { allow: ctx.settings.webhook.keyUrlHosts, timeoutMs: keyFetchTimeoutMs, maxBytes: keyMaxBytes });
    if (!res.ok) {
        const e = res.error;
        ctx.log.warn({ instance: ctx.instance.id, code: e.code }, 'ConnectWise signing key fetch failed');
        return err(e.code === 'denied_url' ? unauthorized(`key_url refused (${e.message})`) : keyUnavailable(e.code, e));
    }
    if (res.value.status < 200 || res.value.status >= 300)
        return err(keyUnavailable(`key_url answered ${res.value.status}`));
    let body;
    try {
        body = JSON.parse(res.value.text); // served as JSON or as text: parse whatever the content type says
    }
    catch {
        return err(keyUnavailable('key_url answered non-JSON'));
    }
    const parsed = signingKeySchema.safeParse(body);
    if (!parsed.success)
        return err(keyUnavailable('key_url answered without a signing_key'));
    const entry = { key: parsed.data.signing_key, fetchedAt: ctx.clock.now().getTime() };
    rememberKey(ctx, keyUrl, entry);
    return ok(entry);
}
/** Verifies a callback on its raw bytes. Errors: `unauthorized` (→ 401), `key_unavailable` (→ 503). */
export async function verifyWebhook(ctx, req) {
    const envelope = envelopeOf(req.json);
    if (!envelope)
        return err(unauthorized('body is not a JSON object'));
    const keyUrl = keyUrlOf(envelope);
    if (!keyUrl)
        return err(unauthorized('no Metadata.key_url'));
    if (!keyUrlAllowed(keyUrl, ctx.settings.webhook.keyUrlHosts))
        return err(unauthorized('key_url host is not allow-listed'));
    if (!tenantMatches(ctx, envelope, keyUrl))
        return err(unauthorized('callback names another ConnectWise company'));
    const signature = req.headers['x-content-signature']?.trim();
    if (!signature || !signatureShape.test(signature))
        return err(unauthorized('missing or malformed x-content-signature'));
    const cached = cachedKey(ctx, keyUrl);
    if (cached && signatureMatches(cached.key, req.rawBody, signature))
        return ok(undefined);
    // A mismatch with a cached key may be a rotated key: re-fetch once (rate-limited per key_url).
    if (cached && ctx.clock.now().getTime() - cached.fetchedAt < keyRefetchMinIntervalMs)
        return err(unauthorized('signature mismatch'));
    const fresh = await fetchKey(ctx, keyUrl);
    if (!fresh.ok)
        return fresh;
    return signatureMatches(fresh.value.key, req.rawBody, signature) ? ok(undefined) : err(unauthorized('signature mismatch'));
}
function parseEntity(entity) {
    let value = entity;
    if (typeof entity === 'string') {
        try {
            value = JSON.parse(entity); // Entity is a JSON-encoded string (connectwise.md §2.1)
        }
        catch {
            return undefined;
        }
    }
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}
const actions = { added: 'created', updated: 'updated', deleted: 'deleted' };
/** Reads a verified callback: the ticket id, action, MessageId (dedupe), actor and version hint. */
export async function parseWebhook(ctx, req) {
    const envelope = envelopeOf(req.json);
    const parsed = envelopeSchema.safeParse(envelope ?? null);
    if (!envelope || !parsed.success)
        return err(new ConnectorError('bad_request', 'ConnectWise callback is not a JSON object', { retryable: false }));
    const body = parsed.data;
    // MessageId is the delivery's identity; a body hash stands in when a build omits it (identical bodies = one event).
    const eventId = body.messageid === undefined || body.messageid === null ? `sha256-${createHash('sha256').update(req.rawBody).digest('hex').slice(0, 32)}` : String(body.messageid);
    const ticketId = idString(body.id);
    if ((body.type ?? '').trim().toLowerCase() !== 'ticket')
        return ok({ ignore: 'entity_type', eventId, ...(ticketId ? { ticketId } : {}) });
    const action = actions[(body.action ?? '').trim().toLowerCase()];
    if (!action)
        return ok({ ignore: 'action', eventId, ...(ticketId ? { ticketId } : {}) });
    if (!ticketId)
        return err(new ConnectorError('bad_request', 'ConnectWise callback without a ticket ID', { retryable: false }));
    const actor = body.memberid === undefined || body.memberid === null ? undefined : String(body.memberid).trim();
    const apiMember = ctx.settings.connection.apiMember?.trim().toLowerCase();
    if (action !== 'deleted' && apiMember && actor?.toLowerCase() === apiMember)
        return ok({ ignore: 'echo', eventId, ticketId });
    const info = parseEntity(body.entity)?.['_info'];
    const version = typeof info === 'object' && info !== null ? toUtc(info['lastUpdated']) : undefined;
    return ok({ ticketId, action, eventId, ...(actor ? { actor } : {}), ...(version ? { version } : {}) });
}
//# sourceMappingURL=webhook.js.map