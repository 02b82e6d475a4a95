import { ConnectorError, connectorErrorCodes } from '../../contract/index.js';
import type { Action, ConnectorErrorCode } from '../../contract/index.js';

import type { InstanceRuntime } from '../outbound/instance-runtime.js';
import type { ResultRow, WriteBackOutput } from './write-back.js';

/** Write failures a later attempt can fix (docs/reliability.md §3: throttling, 5xx, timeouts, resets, 409 → re-decide). */
const transient: ReadonlySet<string> = new Set(['rate_limited', 'psa_unavailable', 'timeout', 'network', 'conflict']);

const asCode = (code: string): ConnectorErrorCode =>
  (connectorErrorCodes as readonly string[]).includes(code) ? (code as ConnectorErrorCode) : 'internal';

/**
 * Decides whether a failed PSA write is retried by the job instead of being dead-lettered now (docs/spec.md §4: "the first
 * PSA failure after retries dead-letters"). Returns the error to throw — the decision stays recorded as `pending`,
 * so the retried job completes it after checking markers and current values — or undefined to dead-letter.
 * - `rate_limited` (429/503 Retry-After, or the shared budget): always delayed until the instance's pause ends;
 *   it never burns an attempt (BullMQ `DelayedError`), so a long 429 storm loses no write.
 * - other transient codes: retried with the job's jittered exponential backoff until the last attempt.
 */
export async function deferredWriteFailure(
  rt: InstanceRuntime,
  out: WriteBackOutput | undefined,
  finalAttempt: boolean,
): Promise<ConnectorError | undefined> {
  const dl = out?.deadLetter;
  if (!dl || dl.kind !== 'actions' || !transient.has(dl.error.code)) return undefined;
  if (dl.error.code === 'rate_limited') {
    // The pause lives in Redis on Redis TIME (epoch ms): compare with the wall clock, not an injected test clock.
    const until = await rt.limiter.pausedUntil().catch(() => null);
    return new ConnectorError('rate_limited', dl.error.message, {
      retryAfterMs: Math.max(1_000, (until ?? 0) - Date.now()),
    });
  }
  if (finalAttempt) return undefined;
  return new ConnectorError(asCode(dl.error.code), dl.error.message);
}

/** Audit rows while a retry is pending: `failed` with the error, not yet `dead_letter`. */
export const interimRows = (rows: readonly ResultRow[]): ResultRow[] =>
  rows.map((r) => (r.status === 'dead_letter' ? { ...r, status: 'failed' } : r));

/**
 * No usable answer: a timeout or reset, or a 5xx (`psa_unavailable`, e.g. a gateway 502/504 in front of a PSA that
 * committed the POST anyway). The PSA may have stored the note and list it only later; a note POST is not idempotent.
 */
const ambiguous: ReadonlySet<string> = new Set(['timeout', 'network', 'psa_unavailable']);

/** How many settle rounds a decision gets for notes in doubt before the ordinary retry / dead-letter path. */
export const MAX_DOUBT_ROUNDS = 5;

/** A note of this write ended ambiguously: it must not be posted again before the PSA's commit delay has passed. */
export function noteInDoubt(out: WriteBackOutput | undefined, actions: readonly Action[]): boolean {
  return (out?.results ?? []).some(
    (r, i) =>
      actions[i]?.type === 'note' &&
      (r.status === 'failed' || r.status === 'dead_letter') &&
      r.error !== undefined &&
      ambiguous.has(r.error.code),
  );
}

/**
 * The job waits (re-runs after `waitMs` without spending an attempt): a note in doubt is re-checked by a marker scan
 * only once the PSA had time to commit and list it.
 */
export class SettleWait extends Error {
  readonly code = 'note_settling' as const;
  constructor(readonly waitMs: number) {
    super(`a note POST got no usable answer: re-checking its marker in ${waitMs} ms before any new POST`);
    this.name = 'SettleWait';
  }
}

export const isSettleWait = (e: unknown): e is SettleWait => e instanceof SettleWait;
