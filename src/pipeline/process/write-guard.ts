import { ConnectorError } from '../../contract/index.js';
import type { HttpClient } from '../../contract/index.js';
import type { HeldLock } from '../../store/lock.js';

import type { InstanceRuntime } from '../outbound/instance-runtime.js';

/**
 * "A lost lock stops the writer": the ticket lock is checked in Redis right before each PSA write of a job. Once it
 * is gone (Redis trouble longer than its TTL, or another worker took the ticket), no further write is sent; the
 * decision recorded as `pending` before the first write is completed by whoever holds the lock next (complete-pending.ts).
 */
export interface WriteGuard {
  /** True while the job still holds the ticket lock (asks Redis). */
  check(): Promise<boolean>;
  /** A check failed during this job: its remaining writes were refused. */
  readonly lost: boolean;
}

/** The job's lock lapsed: nothing more may be written; the job re-runs later and completes the pending decision. */
export class LockLostError extends Error {
  readonly code = 'lock_lost' as const;
  constructor(message = 'the ticket lock was lost: remaining writes left to the recorded pending decision') {
    super(message);
    this.name = 'LockLostError';
  }
}

export const isLockLost = (e: unknown): e is LockLostError => e instanceof LockLostError;

export function lockGuard(lock: HeldLock): WriteGuard {
  let lost = false;
  return {
    get lost() {
      return lost;
    },
    async check() {
      if (lost) return false;
      if (!(await lock.check())) lost = true;
      return !lost;
    },
  };
}

const reads: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The runtime a job writes through: the same connector and context, but every non-read request first checks the
 * guard. A refused write fails like a network error would (the connector stops its sequence), and the caller sees
 * `guard.lost`.
 */
export function guardedRuntime(rt: InstanceRuntime, guard: WriteGuard | undefined): InstanceRuntime {
  if (!guard) return rt;
  const inner = rt.ctx.http;
  const http: HttpClient = {
    safeGet: (url, options) => inner.safeGet(url, options),
    async request(req) {
      if (!reads.has(req.method.toUpperCase()) && !(await guard.check())) {
        throw new ConnectorError('conflict', 'ticket lock lost: write not sent', { retryable: true });
      }
      return inner.request(req);
    },
  };
  return { ...rt, ctx: { ...rt.ctx, http } };
}
