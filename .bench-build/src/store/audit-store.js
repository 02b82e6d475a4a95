import { randomBytes } from 'node:crypto';
/** Audit ids sort by time: `<13-digit epoch ms>-<8 hex>`. */
export function newAuditId(atMs) {
    return `${String(atMs).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}
const scoreOf = (id) => Number(id.slice(0, 13));
/** The rules an entry is found under with `?rule=`: every rule that contributed an action or a reason. */
function rulesOf(entry) {
    const rules = new Set();
    for (const a of entry.decision.actions)
        rules.add(a.rule);
    for (const r of entry.decision.reasons)
        rules.add(r.rule);
    return [...rules];
}
/**
 * The decisions/audit trail (SPEC §5 `GET /api/escalations`). Each entry is one JSON key with a TTL of the
 * retention; sorted-set indexes (all, per instance, per rule, per instance+rule, per ticket) give newest-first pages.
 */
export class AuditStore {
    redis;
    keys;
    retentionMs;
    now;
    constructor(redis, keys, options = {}) {
        this.redis = redis;
        this.keys = keys;
        this.retentionMs = options.retentionMs ?? 90 * 86_400_000;
        this.now = options.now ?? Date.now;
    }
    /** Stores an entry; decisions with actions are also indexed for `/api/escalations`. */
    async record(entry) {
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
    async updateResults(id, results) {
        const entry = await this.get(id);
        if (!entry)
            return undefined;
        const next = { ...entry, results };
        await this.redis.set(this.keys.auditEntry(id), JSON.stringify(next), 'KEEPTTL');
        return next;
    }
    async get(id) {
        const raw = await this.redis.get(this.keys.auditEntry(id));
        return raw === null ? undefined : JSON.parse(raw);
    }
    /** Newest first; `cursor` is the id of the last entry of the previous page. */
    async query(query) {
        const k = this.keys;
        const index = query.instance && query.rule
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
    async forTicket(instanceId, ticketId, limit = 50) {
        return (await this.page(this.keys.auditIndexTicket(instanceId, ticketId), { limit, min: String(this.oldestKept()) })).items;
    }
    /** Epoch ms of the oldest entry still within retention. */
    oldestKept() {
        return this.now() - this.retentionMs;
    }
    async page(index, opts) {
        const max = opts.cursor && /^\d{13}-/.test(opts.cursor) ? String(scoreOf(opts.cursor)) : '+inf';
        const ids = [];
        let offset = 0;
        // Members with the cursor's own score that sort at or after it were on the previous page: skip them.
        for (;;) {
            const batch = await this.redis.zrevrangebyscore(index, max, opts.min, 'LIMIT', offset, opts.limit + 1);
            for (const id of batch)
                if (!opts.cursor || id < opts.cursor)
                    ids.push(id);
            offset += batch.length;
            if (ids.length > opts.limit || batch.length < opts.limit + 1)
                break;
        }
        const pageIds = ids.slice(0, opts.limit);
        const raws = pageIds.length > 0 ? await this.redis.mget(pageIds.map((id) => this.keys.auditEntry(id))) : [];
        const items = raws.filter((r) => r !== null).map((r) => JSON.parse(r));
        const nextCursor = ids.length > opts.limit ? (pageIds[pageIds.length - 1] ?? null) : null;
        return { items, nextCursor };
    }
}
//# sourceMappingURL=audit-store.js.map