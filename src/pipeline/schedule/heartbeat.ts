import { Queue } from 'bullmq';
import type { RedisClient } from '../../store/redis.js';

import type { Logger } from '../../contract/index.js';
import type { Keys } from '../../store/keys.js';

import { heartbeatQueueName } from '../queue/queues.js';

export interface HeartbeatOptions {
  /** The `events` queue: the heartbeat travels the same path as an acknowledged webhook. */
  events: Queue;
  /** This process's own heartbeat queue (`heartbeatQueueName(processId)`), consumed only by this process's workers. */
  own: Queue;
  redis: RedisClient;
  keys: Keys;
  processId: string;
  log: Logger;
  /** @defaultValue 1_000 */
  intervalMs?: number;
  /** A heartbeat not consumed within this long makes the workers unready. @defaultValue 10_000 */
  staleMs?: number;
  /** Called once when the heartbeat has been stale for `3 × staleMs` while Redis answers (bullmq#4585 workaround). */
  onStuck?: () => Promise<void>;
  /** Per-process heartbeat queues of processes silent this long are removed. @defaultValue 600_000 */
  forgetAfterMs?: number;
}

interface Channel {
  queue: Queue;
  key: string;
  /** Sent at (ms) of the oldest heartbeat not yet consumed, or null. */
  outstanding: number | null;
  /** Sent at (ms) of the newest heartbeat sent. */
  lastSent: number;
}

/**
 * Proves the workers actually consume (docs/reliability.md §4 #26, bullmq#4585: after a Redis outage a worker can stay
 * silent while PING looks healthy). Two heartbeats, each re-sent once the previous one was consumed:
 * - on this process's own queue, which only this process's workers consume: with several worker replicas sharing
 *   the `events` queue, another replica can never answer for a stuck one;
 * - on the shared `events` queue (same path as an acknowledged webhook): someone consumes the events.
 * Readiness fails while either stays unconsumed for `staleMs`, also right after an outage, since the one sent
 * before it must be consumed first.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private stuckSince: number | null = null;
  private ticking = false;
  private readonly intervalMs: number;
  private readonly staleMs: number;
  private readonly channels: Channel[];

  constructor(private readonly options: HeartbeatOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.staleMs = options.staleMs ?? 10_000;
    this.channels = [
      { queue: options.own, key: options.keys.heartbeatOwn(options.processId), outstanding: null, lastSent: 0 },
      { queue: options.events, key: options.keys.heartbeat(options.processId), outstanding: null, lastSent: 0 },
    ];
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
    void this.forgetGone().catch((e: unknown) =>
      this.options.log.debug({ err: { message: String(e) } }, 'heartbeat queue clean-up failed'),
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** True while every heartbeat was consumed, or sent less than `staleMs` ago. */
  healthy(now = Date.now()): boolean {
    return this.channels.every((c) => c.outstanding === null || now - c.outstanding < this.staleMs);
  }

  /** On shutdown: this process's heartbeat queue goes with it. */
  async remove(): Promise<void> {
    const { redis, keys, processId } = this.options;
    await this.options.own.obliterate({ force: true }).catch(() => undefined);
    await redis
      .multi()
      .zrem(keys.heartbeatProcesses(), processId)
      .del(keys.heartbeatOwn(processId), keys.heartbeat(processId))
      .exec()
      .catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const { redis, keys, processId } = this.options;
      const consumed = await redis.mget(...this.channels.map((c) => c.key));
      const now = Date.now();
      await redis.zadd(keys.heartbeatProcesses(), now, processId);
      for (const [i, c] of this.channels.entries()) {
        // Consumed: the newest heartbeat consumed was sent at or after the oldest one still outstanding.
        if (c.outstanding !== null && Number(consumed[i] ?? 0) >= c.outstanding) c.outstanding = null;
        // A heartbeat unconsumed for `staleMs` may be gone for good (a Sentinel failover loses writes the new master
        // never received): send another, but keep the oldest as outstanding, so readiness stays honest until one
        // sent since is consumed.
        if (c.outstanding === null || now - c.lastSent >= this.staleMs) {
          await c.queue.add('heartbeat', { processId, sentAt: now }, { removeOnComplete: true, removeOnFail: true });
          c.outstanding ??= now;
          c.lastSent = now;
        }
      }
      if (this.healthy(now)) this.stuckSince = null;
      else await this.maybeUnstick(now);
    } catch {
      // Redis is down: readiness reports `redis: false`; the outstanding heartbeats stay until consumed.
    } finally {
      this.ticking = false;
    }
  }

  private async maybeUnstick(now: number): Promise<void> {
    this.stuckSince ??= now;
    if (!this.options.onStuck || now - this.stuckSince < 2 * this.staleMs) return;
    this.stuckSince = now;
    const oldest = Math.min(...this.channels.map((c) => c.outstanding ?? now));
    this.options.log.error({ staleMs: now - oldest }, 'workers consume nothing while Redis answers: restarting them');
    await this.options.onStuck();
  }

  /** Removes the heartbeat queues of worker processes not heard of for `forgetAfterMs` (crashed, never closed). */
  private async forgetGone(): Promise<void> {
    const { redis, keys, processId } = this.options;
    const before = Date.now() - (this.options.forgetAfterMs ?? 600_000);
    const gone = (await redis.zrangebyscore(keys.heartbeatProcesses(), '-inf', before)).filter(
      (id) => id !== processId,
    );
    for (const id of gone) {
      const q = new Queue(heartbeatQueueName(id), {
        connection: redis,
        ...(this.options.own.opts.prefix ? { prefix: this.options.own.opts.prefix } : {}),
      });
      q.on('error', () => undefined);
      try {
        await q.obliterate({ force: true });
        await redis.zrem(keys.heartbeatProcesses(), id);
      } finally {
        await q.close().catch(() => undefined);
      }
    }
  }
}
