import { createHash } from 'node:crypto';
import { HttpError } from '../../errors.js';
import { readJsonBody } from '../../json-body.js';
import { rateLimitedError } from '../../plugins/app/errors.js';
function lowerHeaders(headers) {
    const out = {};
    for (const [k, v] of Object.entries(headers))
        out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return out;
}
function flatQuery(query) {
    const out = {};
    if (typeof query !== 'object' || query === null)
        return out;
    for (const [k, v] of Object.entries(query)) {
        const first = Array.isArray(v) ? v[0] : v;
        if (typeof first === 'string')
            out[k] = first;
    }
    return out;
}
/** A connector failure → the code of the HTTP table. Fails closed: anything unexpected is not an authentication. */
function codeOf(error) {
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
const publicMessage = {
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
/** Rejects after a failed connector call; failed authentication counts against the caller's probe budget. */
async function reject(input, error, stage) {
    const { app, req, known } = input;
    const code = codeOf(error);
    req.log.info({ instance: known.loaded.info.id, stage, code: error.code, reason: error.message }, 'webhook rejected');
    if (code === 'key_unavailable')
        input.services.deps.metrics.keyUnavailable.inc({ instance: known.loaded.info.id });
    if (code === 'unauthorized') {
        const verdict = await app.probeLimit(req);
        if (verdict.limited) {
            input.outcome('rate_limited');
            throw rateLimitedError(verdict.retryAfterSeconds);
        }
    }
    input.outcome(code === 'internal' ? 'internal' : code);
    // Connector messages are secret-free by contract, but only 400s echo them: they help the sender fix its payload.
    throw new HttpError(code, code === 'bad_request' ? error.message : publicMessage[code]);
}
const bodyId = (raw) => `body-${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
async function ack(input, parsed, raw) {
    const instanceId = input.known.loaded.info.id;
    if ('ignore' in parsed) {
        // Echoes of our own writes and irrelevant entities are acknowledged and dropped: nothing is stored.
        input.outcome(`ignored_${parsed.ignore}`);
        return { accepted: true, eventId: `${instanceId}:${parsed.eventId ?? bodyId(raw)}`, ignored: parsed.ignore };
    }
    try {
        const result = await input.services.deps.pipeline.ingest({
            instanceId,
            event: parsed,
            receivedAt: input.services.now().getTime(),
            requestId: String(input.req.id),
        });
        input.outcome(result.duplicate ? 'duplicate' : 'accepted');
        return result.duplicate ? { accepted: true, eventId: result.eventId, duplicate: true } : { accepted: true, eventId: result.eventId };
    }
    catch (e) {
        input.outcome(e.code === 'unavailable' ? 'unavailable' : 'internal');
        throw e;
    }
}
/** True when the pipeline says Redis answers (false too when it cannot tell within `timeoutMs`). */
async function storageUp(services, timeoutMs = 500) {
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
        return await Promise.race([services.deps.pipeline.readiness().then((r) => r.redis, () => false), late]);
    }
    finally {
        clearTimeout(timer);
    }
}
/**
 * Runs a connector call. Connectors return Results, but one that reads the shared cache (Redis) can still throw
 * when Redis is down: that is the SPEC §5 "Redis down → 503" (the PSA retries), not a 500 (some PSAs never retry).
 */
async function connectorCall(input, call) {
    try {
        return await call();
    }
    catch (e) {
        if (await storageUp(input.services))
            throw e;
        input.req.log.warn({ instance: input.known.loaded.info.id, err: e }, 'webhook refused: storage unavailable');
        input.outcome('unavailable');
        throw new HttpError('unavailable', publicMessage.unavailable);
    }
}
/**
 * `POST /webhooks/:instanceId` after the instance lookup and the size limit (SPEC §5): authentication on the raw
 * bytes → JSON/shape → parse → durable ingest. Every failure throws before `ingest`, so nothing is stored.
 */
export async function receiveWebhook(input) {
    const { req, known } = input;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const reading = readJsonBody(raw, input.services.json);
    const webhook = {
        headers: lowerHeaders(req.headers),
        rawBody: raw,
        json: reading.ok ? reading.value : undefined,
        query: flatQuery(req.query),
        ip: req.ip,
        path: '',
    };
    const ctx = known.context();
    const verified = await connectorCall(input, () => known.connector.verifyWebhook(ctx, webhook));
    if (!verified.ok)
        return reject(input, verified.error, 'verify');
    if (!reading.ok) {
        input.outcome('bad_request');
        throw new HttpError('bad_request', reading.message);
    }
    const parsed = await connectorCall(input, () => known.connector.parseWebhook(ctx, webhook));
    if (!parsed.ok)
        return reject(input, parsed.error, 'parse');
    return ack(input, parsed.value, raw);
}
//# sourceMappingURL=receive.js.map