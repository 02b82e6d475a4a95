import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import type { Logger } from '../contract/index.js';
import type { Keys } from '../store/keys.js';

export interface HeartbeatOptions {
  /** The `events` queue: the heartbeat travels the same path as an acknowledged webhook. */
  events: Queue;
  redis: Redis;
  keys: Keys;
  processId: string;
  log: Logger;
  /** @defaultValue 1_000 */
  intervalMs?: number;
  /** A heartbeat not consumed within this long makes the workers unready. @defaultValue 10_000 */
  staleMs?: number;
  /** Called once when the heartbeat has been stale for `3 × staleMs` while Redis answers (bullmq#4585 workaround). */
  onStuck?: () => Promise<void>;
}

/**
 * Proves the workers actually consume (RELIABILITY §4 #26, bullmq#4585: after a Redis outage a worker can stay
 * silent while PING looks healthy). Each second, if the previous heartbeat was consumed, a new one is enqueued on
 * `events`; readiness fails while one stays unconsumed for `staleMs`, also right after an outage, since the one
 * sent before it must be consumed first.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private outstanding: number | null = null;
  private stuckSince: number | null = null;
  private ticking = false;
  private readonly intervalMs: number;
  private readonly staleMs: number;

  constructor(private readonly options: HeartbeatOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.staleMs = options.staleMs ?? 10_000;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** True while the last heartbeat was consumed, or sent less than `staleMs` ago. */
  healthy(now = Date.now()): boolean {
    return this.outstanding === null || now - this.outstanding < this.staleMs;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const { redis, keys, processId, events } = this.options;
      const consumed = Number((await redis.get(keys.heartbeat(processId))) ?? 0);
      const now = Date.now();
      if (this.outstanding !== null && consumed >= this.outstanding) this.outstanding = null;
      if (this.outstanding === null) {
        await events.add('heartbeat', { processId, sentAt: now }, { removeOnComplete: true, removeOnFail: true });
        this.outstanding = now;
        this.stuckSince = null;
      } else if (!this.healthy(now)) {
        await this.maybeUnstick(now);
      }
    } catch {
      // Redis is down: readiness reports `redis: false`; the outstanding heartbeat stays until consumed.
    } finally {
      this.ticking = false;
    }
  }

  private async maybeUnstick(now: number): Promise<void> {
    this.stuckSince ??= now;
    if (!this.options.onStuck || now - this.stuckSince < 2 * this.staleMs) return;
    this.stuckSince = now;
    this.options.log.error({ staleMs: now - (this.outstanding ?? now) }, 'workers consume nothing while Redis answers: restarting them');
    await this.options.onStuck();
  }
}
