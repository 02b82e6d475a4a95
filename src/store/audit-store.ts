import { randomBytes } from 'node:crypto';

import type { RedisClient } from './redis.js';

import type { AuditEntry, EscalationQuery } from './models.js';

import type { Keys } from './keys.js';

/** Audit ids sort by time: `<13-digit epoch ms>-<8 hex>`. */
export function newAuditId(atMs: number): string {
  return `${String(atMs).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

const scoreOf = (id: string): number => Number(id.slice(0, 13));

/** The rules an entry is found under with `?rule=`: every rule that contributed an action or a reason. */
function rulesOf(entry: AuditEntry): string[] {
  const rules = new Set<string>();
  for (const a of entry.decision.actions) rules.add(a.rule);
  for (const r of entry.decision.reasons) rules.add(r.rule);
  return [...rules];
}

export interface AuditStoreOptions {
  /** Entries older than this are dropped. @defaultValue 90 days */
  retentionMs?: number;
  now?: () => number;
}

/**
 * The decisions/audit trail (docs/spec.md §5 `GET /api/escalations`). Each entry is one JSON key with a TTL of the
 * retention; sorted-set indexes (all, per instance, per rule, per instance+rule, per ticket) give newest-first pages.
 */
export class AuditStore {
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    options: AuditStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 90 * 86_400_000;
    this.now = options.now ?? Date.now;
  }

  /** Stores an entry; decisions with actions are also indexed for `/api/escalations`. */
  async record(entry: AuditEntry): Promise<void> {
    const score = scoreOf(entry.id);
    const cutoff = this.now() - this.retentionMs;
    const k = this.keys;
    const tx = this.redis.multi();
    tx.set(k.auditEntry(entry.id), JSON.stringify(entry), 'PX', this.retentionMs);
    const indexes = [k.auditIndexTicket(entry.instanceId, entry.ticketId)];
    if (entry.decision.actions.length > 0) {
      indexes.push(k.auditIndexAll(), k.auditIndexInstance(entry.instanceId));
      for (const rule of rulesOf(entry))
        indexes.push(k.auditIndexRule(rule), k.auditIndexInstanceRule(entry.instanceId, rule));
    }
    for (const ix of indexes) {
      tx.zadd(ix, score, entry.id);
      tx.zremrangebyscore(ix, '-inf', `(${cutoff}`);
      // An index nobody writes to any more (a ticket long gone, a removed rule) expires with its last entry.
      tx.pexpire(ix, this.retentionMs);
    }
    await tx.exec();
  }

  /** Replaces the results of a recorded entry (after the writes). */
  async updateResults(id: string, results: AuditEntry['results']): Promise<AuditEntry | undefined> {
    const entry = await this.get(id);
    if (!entry) return undefined;
    const next = { ...entry, results };
    await this.redis.set(this.keys.auditEntry(id), JSON.stringify(next), 'KEEPTTL');
    return next;
  }

  async get(id: string): Promise<AuditEntry | undefined> {
    const raw = await this.redis.get(this.keys.auditEntry(id));
    return raw === null ? undefined : (JSON.parse(raw) as AuditEntry);
  }

  /** Newest first; `cursor` is the id of the last entry of the previous page. */
  async query(query: EscalationQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const k = this.keys;
    const index =
      query.instance && query.rule
        ? k.auditIndexInstanceRule(query.instance, query.rule)
        : query.instance
          ? k.auditIndexInstance(query.instance)
          : query.rule
            ? k.auditIndexRule(query.rule)
            : k.auditIndexAll();
    const since = query.since ? Date.parse(query.since) : Number.NaN;
    const limit = Math.min(Math.max(query.limit, 1), 500);
    // Retention holds even between writes (trimming happens on record): older entries are never served.
    const min = Math.max(Number.isNaN(since) ? -Infinity : since, this.oldestKept());
    return this.page(index, { limit, min: String(min), cursor: query.cursor });
  }

  /** Every entry of one ticket, newest first. */
  async forTicket(instanceId: string, ticketId: string, limit = 50): Promise<AuditEntry[]> {
    return (
      await this.page(this.keys.auditIndexTicket(instanceId, ticketId), { limit, min: String(this.oldestKept()) })
    ).items;
  }

  /** Whether any entry of this ticket is still kept (we decided on it within the retention). */
  async hasTicket(instanceId: string, ticketId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.auditIndexTicket(instanceId, ticketId))) === 1;
  }

  /** Epoch ms of the oldest entry still within retention. */
  private oldestKept(): number {
    return this.now() - this.retentionMs;
  }

  private async page(
    index: string,
    opts: { limit: number; min: string; cursor?: string | undefined },
  ): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const max = opts.cursor && /^\d{13}-/.test(opts.cursor) ? String(scoreOf(opts.cursor)) : '+inf';
    const ids: string[] = [];
    let offset = 0;
    // Members with the cursor's own score that sort at or after it were on the previous page: skip them.
    for (;;) {
      const batch = await this.redis.zrevrangebyscore(index, max, opts.min, 'LIMIT', offset, opts.limit + 1);
      for (const id of batch) if (!opts.cursor || id < opts.cursor) ids.push(id);
      offset += batch.length;
      if (ids.length > opts.limit || batch.length < opts.limit + 1) break;
    }
    const pageIds = ids.slice(0, opts.limit);
    const raws = pageIds.length > 0 ? await this.redis.mget(pageIds.map((id) => this.keys.auditEntry(id))) : [];
    const items = raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as AuditEntry);
    const nextCursor = ids.length > opts.limit ? (pageIds[pageIds.length - 1] ?? null) : null;
    return { items, nextCursor };
  }
}
