import type { RedisClient } from './redis.js';

import type { Keys } from './keys.js';

// The stored per-ticket record; its pure transitions are in src/pipeline/metrics/escalation-metrics-history.ts.

/** One tier change. A visit is the stretch between two changes (the first starts at `createdAt`). */
export interface HistoryMove {
  at: string;
  from: string | null;
  to: string | null;
  /** `us`: our applied reassign; `human`: a tier change seen on a later read. */
  by: 'us' | 'human';
  rule?: string;
  kind?: string;
  /** Ours: business minutes (the ticket's clock calendar) from entering `from` to this move. */
  businessMinutes?: number;
  /** Ours: the group member we assigned and its PSA identity (absent: owner left unchanged). */
  owner?: string;
  ownerIdentity?: unknown;
  /** Ours: the owner before the move (a pickup by someone else counts as the new owner's first version). */
  previousOwnerId?: string | null;
  /** Ours: first note or ticket version by the new owner. */
  handoffAt?: string;
}

export type ClockName = 'firstResponse' | 'resolution';

export interface MetricsHistory {
  v: 1;
  instanceId: string;
  ticketId: string;
  createdAt: string;
  /** Derived tier when first seen (the first visit starts at `createdAt`, docs/spec.md §4 defaults). */
  initialTier: string | null;
  moves: HistoryMove[];
  /** Set while the ticket is resolved/closed/gone: its last visit ends here. */
  endedAt?: string;
  /** `resolvedAt` of a resolved/closed ticket (FCR, MTTR, Tier 3 audit). */
  resolvedAt?: string;
  clockStops: { clock: ClockName; at: string; met: boolean }[];
  /** First near miss per rule and visit (`visitAt` = the visit's start). */
  nearMisses: { at: string; tier: string | null; rule: string; visitAt: string }[];
  observedAt: string;
  /** Observe mode: moves we proposed (first per rule and visit), never applied. */
  proposals?: { at: string; from: string | null; to: string | null; rule: string }[];
  /** Owner id at the last read (the owner a move of ours replaced). */
  lastOwnerId?: string | null;
  /**
   * PSA and our SLA due dates further apart than the instance's tolerance (issue 13): one entry per run of consecutive
   * evaluations that disagreed on a clock, `from` its first and `to` its last such evaluation (the last few runs).
   */
  slaDisagreements?: { clock: ClockName; from: string; to: string }[];
}

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
