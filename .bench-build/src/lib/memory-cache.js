/** In-process SharedCache for tests and single-process tools (the service uses the Redis-backed one). */
export class MemoryCache {
    now;
    entries = new Map();
    constructor(now = Date.now) {
        this.now = now;
    }
    async get(key) {
        const e = this.entries.get(key);
        if (!e)
            return undefined;
        if (e.expires <= this.now()) {
            this.entries.delete(key);
            return undefined;
        }
        return JSON.parse(e.value);
    }
    async set(key, value, ttlMs) {
        this.entries.set(key, { value: JSON.stringify(value), expires: this.now() + ttlMs });
    }
    async delete(key) {
        this.entries.delete(key);
    }
}
//# sourceMappingURL=memory-cache.js.map