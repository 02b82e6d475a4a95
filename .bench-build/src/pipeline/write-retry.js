import { ConnectorError, connectorErrorCodes } from '../contract/index.js';
/** Write failures a later attempt can fix (RELIABILITY §3: throttling, 5xx, timeouts, resets, 409 → re-decide). */
const transient = new Set(['rate_limited', 'psa_unavailable', 'timeout', 'network', 'conflict']);
const asCode = (code) => (connectorErrorCodes.includes(code) ? code : 'internal');
/**
 * Decides whether a failed PSA write is retried by the job instead of being dead-lettered now (SPEC §4: "the first
 * PSA failure after retries dead-letters"). Returns the error to throw — the decision stays recorded as `pending`,
 * so the retried job completes it after checking markers and current values — or undefined to dead-letter.
 * - `rate_limited` (429/503 Retry-After, or the shared budget): always delayed until the instance's pause ends;
 *   it never burns an attempt (BullMQ `DelayedError`), so a long 429 storm loses no write.
 * - other transient codes: retried with the job's jittered exponential backoff until the last attempt.
 */
export async function deferredWriteFailure(rt, out, finalAttempt) {
    const dl = out?.deadLetter;
    if (!dl || dl.kind !== 'actions' || !transient.has(dl.error.code))
        return undefined;
    if (dl.error.code === 'rate_limited') {
        // The pause lives in Redis on Redis TIME (epoch ms): compare with the wall clock, not an injected test clock.
        const until = await rt.limiter.pausedUntil().catch(() => null);
        return new ConnectorError('rate_limited', dl.error.message, { retryAfterMs: Math.max(1_000, (until ?? 0) - Date.now()) });
    }
    if (finalAttempt)
        return undefined;
    return new ConnectorError(asCode(dl.error.code), dl.error.message);
}
/** Audit rows while a retry is pending: `failed` with the error, not yet `dead_letter`. */
export const interimRows = (rows) => rows.map((r) => (r.status === 'dead_letter' ? { ...r, status: 'failed' } : r));
//# sourceMappingURL=write-retry.js.map