import { newAuditId } from './audit-store.js';
/** Dead letters (SPEC §5 `GET /api/dead-letters`): one JSON key per letter, a sorted index, newest first. */
export class DeadLetterStore {
    redis;
    keys;
    retentionMs;
    now;
    constructor(redis, keys, options = {}) {
        this.redis = redis;
        this.keys = keys;
        this.retentionMs = options.retentionMs ?? 30 * 86_400_000;
        this.now = options.now ?? Date.now;
    }
    async add(letter) {
        const at = this.now();
        const full = { id: newAuditId(at), at: new Date(at).toISOString(), ...letter };
        await this.redis
            .multi()
            .set(this.keys.deadLetter(full.id), JSON.stringify(full), 'PX', this.retentionMs)
            .zadd(this.keys.deadLetterIndex(), at, full.id)
            .zremrangebyscore(this.keys.deadLetterIndex(), '-inf', `(${at - this.retentionMs}`)
            .exec();
        return full;
    }
    async get(id) {
        const raw = await this.redis.get(this.keys.deadLetter(id));
        return raw === null ? undefined : JSON.parse(raw);
    }
    /** Newest first, at most `limit`. */
    async list(limit = 500) {
        // Retention holds even between writes (trimming happens on add): older letters are never served.
        const ids = await this.redis.zrevrangebyscore(this.keys.deadLetterIndex(), '+inf', this.now() - this.retentionMs, 'LIMIT', 0, limit);
        if (ids.length === 0)
            return [];
        const raws = await this.redis.mget(ids.map((id) => this.keys.deadLetter(id)));
        return raws.filter((r) => r !== null).map((r) => JSON.parse(r));
    }
    /** Removes a letter (it was retried). Returns false when it did not exist. */
    async remove(id) {
        const [[, deleted] = [null, 0]] = (await this.redis
            .multi()
            .del(this.keys.deadLetter(id))
            .zrem(this.keys.deadLetterIndex(), id)
            .exec());
        return deleted === 1;
    }
}
//# sourceMappingURL=dead-letter-store.js.map