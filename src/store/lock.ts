import type { RedisClient } from './redis.js';

const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const extendScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export interface HeldLock {
  /** Stops renewing and deletes the lock if we still own it. */
  release(): Promise<void>;
  /** False once a renewal found the lock taken by someone else (or expired), or none succeeded for a whole TTL. */
  readonly held: boolean;
  /**
   * Asks Redis whether the lock is still ours, right now (before a PSA write). False — and `held` false from then
   * on — when another token holds it, it expired, or Redis does not answer within `timeoutMs` (Redis trouble is
   * exactly when the lock can silently lapse: never write on a guess).
   */
  check(timeoutMs?: number): Promise<boolean>;
}

/**
 * A token lock with automatic renewal (every ttl/3) while held. Used per ticket on top of BullMQ's per-ticket
 * deduplication, so a job that stalled and re-ran elsewhere can never act on the ticket at the same time.
 */
export async function tryLock(redis: RedisClient, key: string, token: string, ttlMs: number): Promise<HeldLock | null> {
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return null;
  let held = true;
  // When a renewal last succeeded: after a whole TTL without one, the key may have expired on the server.
  let confirmedAt = Date.now();
  const timer = setInterval(
    () => {
      if (Date.now() - confirmedAt >= ttlMs) held = false;
      redis
        .eval(extendScript, 1, key, token, ttlMs)
        .then((r) => {
          if (r !== 1) held = false;
          else if (held) confirmedAt = Date.now();
        })
        .catch(() => undefined);
    },
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  const stillHeld = () => held && Date.now() - confirmedAt < ttlMs;
  return {
    get held() {
      return stillHeld();
    },
    async check(timeoutMs = 2_000) {
      if (!stillHeld()) return false;
      let timeout: NodeJS.Timeout | undefined;
      const owner = await Promise.race([
        redis.get(key).catch(() => null),
        new Promise<null>((resolve) => {
          timeout = setTimeout(() => resolve(null), timeoutMs);
        }),
      ]);
      clearTimeout(timeout);
      if (owner !== token) held = false;
      return stillHeld();
    },
    async release() {
      clearInterval(timer);
      held = false;
      await redis.eval(releaseScript, 1, key, token).catch(() => undefined);
    },
  };
}
