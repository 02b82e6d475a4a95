/**
 * The `SharedCache` handed to connectors (signing keys, OAuth tokens, lookups): Redis-backed so every API and
 * worker replica shares it (SPEC §4 "Scale-out"), namespaced per instance. Values are JSON.
 */
export class RedisSharedCache {
    redis;
    keys;
    instanceId;
    constructor(redis, keys, instanceId) {
        this.redis = redis;
        this.keys = keys;
        this.instanceId = instanceId;
    }
    async get(key) {
        const raw = await this.redis.get(this.keys.cache(this.instanceId, key));
        if (raw === null)
            return undefined;
        try {
            return JSON.parse(raw);
        }
        catch {
            return undefined;
        }
    }
    async set(key, value, ttlMs) {
        const ms = Math.max(1, Math.round(ttlMs));
        await this.redis.set(this.keys.cache(this.instanceId, key), JSON.stringify(value), 'PX', ms);
    }
    async delete(key) {
        await this.redis.del(this.keys.cache(this.instanceId, key));
    }
}
//# sourceMappingURL=shared-cache.js.map