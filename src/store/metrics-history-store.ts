import type { RedisClient } from './redis.js';

import type { MetricsHistory } from '../pipeline/metrics/escalation-metrics-history.js';

import type { Keys } from './keys.js';

export interface MetricsHistoryStoreOptions {
  /** Histories of tickets that ended longer ago than this are dropped (`retention.audit`). @defaultValue 90 days */
  retentionMs?: number;
  now?: () => number;
}

/**
 * Per-ticket escalation-metrics histories (docs/spec.md §5 "Escalation metrics"): one JSON key per ticket, refreshed with a
 * TTL of the audit retention on every write, and a sorted set per instance scored by the ticket's end (`+inf` while
 * open), so a window [from, to) reads only tickets still open or ended at or after `from`.
 */
export class MetricsHistoryStore {
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    options: MetricsHistoryStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 90 * 86_400_000;
    this.now = options.now ?? Date.now;
  }

  async get(instanceId: string, ticketId: string): Promise<MetricsHistory | undefined> {
    const raw = await this.redis.get(this.keys.metricsHistory(instanceId, ticketId));
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as MetricsHistory;
    return parsed.v === 1 ? parsed : undefined;
  }

  async put(h: MetricsHistory): Promise<void> {
    const end = h.endedAt === undefined ? '+inf' : String(Date.parse(h.endedAt));
    const ix = this.keys.metricsHistoryIndex(h.instanceId);
    await this.redis
      .multi()
      .set(this.keys.metricsHistory(h.instanceId, h.ticketId), JSON.stringify(h), 'PX', this.retentionMs)
      .zadd(ix, end, h.ticketId)
      .zremrangebyscore(ix, '-inf', `(${this.now() - this.retentionMs}`)
      // Every history it indexes has this TTL at most: an instance with no evaluation for a retention leaves nothing.
      .pexpire(ix, this.retentionMs)
      .exec();
  }

  /** Histories of tickets open now or ended at or after `fromMs` (expired ones are unindexed on the way). */
  async since(instanceId: string, fromMs: number, batch = 500): Promise<MetricsHistory[]> {
    const ix = this.keys.metricsHistoryIndex(instanceId);
    const ids = await this.redis.zrangebyscore(ix, String(fromMs), '+inf');
    const out: MetricsHistory[] = [];
    const expired: string[] = [];
    for (let i = 0; i < ids.length; i += batch) {
      const chunk = ids.slice(i, i + batch);
      const raws = await this.redis.mget(chunk.map((id) => this.keys.metricsHistory(instanceId, id)));
      raws.forEach((raw, j) => {
        if (raw === null) expired.push(chunk[j]!);
        else out.push(JSON.parse(raw) as MetricsHistory);
      });
    }
    if (expired.length > 0) await this.redis.zrem(ix, ...expired);
    return out;
  }
}
