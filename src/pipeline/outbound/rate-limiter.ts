import { randomUUID } from 'node:crypto';

import type { RedisClient } from '../../store/redis.js';

import { ConnectorError } from '../../contract/index.js';
import type { RateLimit } from '../../contract/index.js';
import type { Keys } from '../../store/keys.js';

import { laneShares } from './rate-lanes.js';
import type { Lane } from './rate-lanes.js';

/**
 * One slot of an instance's outbound budget, decided in Redis so every worker replica shares it (docs/spec.md §4):
 * a Retry-After pause, a sliding window of `requests` per `per`, and at most `concurrency` calls in flight
 * (leases expire, so a crashed worker can't hold a slot forever). Redis TIME is the clock: replicas may drift.
 * Sweep calls also count in a window capped at 20 % of `requests`, sweep and background calls in one capped at half
 * (rate-lanes.ts): live webhooks always keep at least half of the budget.
 * Returns 0 when the slot was taken, else how long to wait before asking again.
 */
const acquireScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if pause > now then return pause - now end
local per, max, conc, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lane, sweepMax, bgMax = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local function full(key, cap)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - per)
  if redis.call('ZCARD', key) >= cap then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + per - now)
  end
  return 0
end
local w = full(KEYS[1], max)
if w > 0 then return w end
if lane ~= 'live' then
  w = full(KEYS[5], bgMax)
  if w > 0 then return w end
end
if lane == 'sweep' then
  w = full(KEYS[4], sweepMax)
  if w > 0 then return w end
end
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= conc then return 25 end
  redis.call('ZADD', KEYS[2], now + lease, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], lease * 2)
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], per)
if lane ~= 'live' then
  redis.call('ZADD', KEYS[5], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[5], per)
end
if lane == 'sweep' then
  redis.call('ZADD', KEYS[4], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[4], per)
end
return 0
`;

/** Extends the pause to `now + ms` unless a longer pause is already set. */
const pauseScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return untilMs
`;

export interface RateLimiterOptions {
  redis: RedisClient;
  keys: Keys;
  instanceId: string;
  limit: RateLimit;
  /** A concurrency lease outlives a crashed caller by this much. @defaultValue 60_000 */
  leaseMs?: number;
  /** Longest single sleep between attempts. @defaultValue 1_000 */
  maxPollMs?: number;
  /**
   * A wait longer than this is not slept through: `acquire` rejects with `rate_limited` (+ `retryAfterMs`) so the
   * job is moved to delayed and its worker slot serves other instances meanwhile (one paused PSA must not starve
   * the rest). @defaultValue Infinity (always wait)
   */
  maxWaitMs?: number;
  /** Told each time a caller has to wait (metrics). */
  onWait?: (reason: 'budget' | 'retry_after') => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Calls per window the sweep and background lanes may spend (at least one each). */
export function laneCaps(limit: RateLimit): { sweep: number; background: number } {
  return {
    sweep: Math.max(1, Math.floor(limit.requests * laneShares.sweep)),
    background: Math.max(1, Math.floor(limit.requests * laneShares.background)),
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SharedRateLimiter {
  private readonly leaseMs: number;
  private readonly maxPollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RateLimiterOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxPollMs = options.maxPollMs ?? 1_000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Waits for a slot; resolves with the release function (frees the concurrency lease). */
  async acquire(lane: Lane = 'live'): Promise<() => void> {
    const { redis, keys, instanceId, limit } = this.options;
    const caps = laneCaps(limit);
    const token = randomUUID();
    let waited = false;
    for (;;) {
      const wait = Number(
        await redis.eval(
          acquireScript,
          5,
          keys.rateWindow(instanceId),
          keys.rateLeases(instanceId),
          keys.ratePause(instanceId),
          keys.rateLaneWindow(instanceId, 'sweep'),
          keys.rateLaneWindow(instanceId, 'background'),
          limit.per,
          limit.requests,
          limit.concurrency ?? 0,
          this.leaseMs,
          token,
          lane,
          caps.sweep,
          caps.background,
        ),
      );
      if (wait <= 0) break;
      if (wait > (this.options.maxWaitMs ?? Infinity)) {
        this.options.onWait?.((await this.pausedUntil()) !== null ? 'retry_after' : 'budget');
        throw new ConnectorError(
          'rate_limited',
          `instance ${instanceId} is over its PSA budget or paused for ${wait} ms`,
          { retryAfterMs: wait },
        );
      }
      if (!waited) this.options.onWait?.((await this.pausedUntil()) !== null ? 'retry_after' : 'budget');
      waited = true;
      await this.sleep(Math.min(wait, this.maxPollMs));
    }
    const concurrency = limit.concurrency ?? 0;
    return () => {
      if (concurrency > 0) redis.zrem(keys.rateLeases(instanceId), token).catch(() => undefined);
    };
  }

  /** A 429/503 `Retry-After`: every worker of this instance pauses (other instances keep flowing). */
  async pause(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.options.redis.eval(pauseScript, 1, this.options.keys.ratePause(this.options.instanceId), Math.ceil(ms));
  }

  /** When the current Retry-After pause ends (epoch ms), or null. */
  async pausedUntil(): Promise<number | null> {
    const raw = await this.options.redis.get(this.options.keys.ratePause(this.options.instanceId));
    return raw === null ? null : Number(raw);
  }
}
