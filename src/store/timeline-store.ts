import type { RedisClient } from './redis.js';

import type { Ticket } from '../contract/index.js';

import type { Keys } from './keys.js';

export interface StoredSnapshot {
  at: string;
  ticket: Ticket;
}

export interface TimelineStoreOptions {
  /** Snapshots kept per ticket (oldest dropped). @defaultValue 500 */
  maxSnapshots?: number;
  /** Kept as long as the audit trail. @defaultValue 90 days */
  retentionMs?: number;
  now?: () => number;
}

/**
 * The service's own observed history of each ticket (issue 15 `--from-history`): every read of the ticket that
 * differs from the previous one, as `{at, ticket}` — the backtest's timeline format (docs/backtest.md). One Redis list
 * per ticket and a sorted set per instance (score = last observation ms) to list the tickets changed in a window.
 */
export class TimelineStore {
  private readonly max: number;
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    options: TimelineStoreOptions = {},
  ) {
    this.max = options.maxSnapshots ?? 500;
    this.retentionMs = options.retentionMs ?? 90 * 86_400_000;
    this.now = options.now ?? Date.now;
  }

  /** Records an observation unless the ticket is unchanged since the previous one (`previous`: the stored read). */
  async observe(instanceId: string, ticket: Ticket, atMs: number, previous: Ticket | undefined): Promise<void> {
    if (previous && JSON.stringify(previous) === JSON.stringify(ticket)) return;
    const key = this.keys.timeline(instanceId, ticket.ref.id);
    const ix = this.keys.timelineIndex(instanceId);
    await this.redis
      .multi()
      .rpush(key, JSON.stringify({ at: new Date(atMs).toISOString(), ticket }))
      .ltrim(key, -this.max, -1)
      .pexpire(key, this.retentionMs)
      .zadd(ix, atMs, ticket.ref.id)
      .zremrangebyscore(ix, '-inf', `(${this.now() - this.retentionMs}`)
      .pexpire(ix, this.retentionMs)
      .exec();
  }

  /** Ticket ids whose last observed change is in [fromMs, toMs], oldest first, a page at a time. */
  async ticketIds(instanceId: string, fromMs: number, toMs: number, offset: number, count: number): Promise<string[]> {
    return this.redis.zrangebyscore(
      this.keys.timelineIndex(instanceId),
      fromMs,
      toMs === Infinity ? '+inf' : toMs,
      'LIMIT',
      offset,
      count,
    );
  }

  async snapshots(instanceId: string, ticketId: string): Promise<StoredSnapshot[]> {
    const raw = await this.redis.lrange(this.keys.timeline(instanceId, ticketId), 0, -1);
    return raw.map((r) => JSON.parse(r) as StoredSnapshot);
  }
}
