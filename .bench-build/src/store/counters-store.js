/** Moves one ticket's load from its previous owner to the new one, atomically (never below zero). */
const ownerScript = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
local new = ARGV[2]
if old == new or (old == false and new == '') then return 0 end
if old then
  local n = redis.call('HINCRBY', KEYS[2], old, -1)
  if n <= 0 then redis.call('HDEL', KEYS[2], old) end
end
if new ~= '' then
  redis.call('HINCRBY', KEYS[2], new, 1)
  redis.call('HSET', KEYS[1], ARGV[1], new)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
`;
function numbers(h) {
    const out = {};
    for (const [k, v] of Object.entries(h)) {
        const n = Number(v);
        if (Number.isFinite(n) && n >= 0)
            out[k] = n;
    }
    return out;
}
/**
 * Instance-wide counters the engine reads through the ticket state (SPEC §2 Ownership, `recurring`): round-robin
 * cursors per group, open-ticket loads per member, and ticket creation times per company/category signature.
 */
export class CountersStore {
    redis;
    keys;
    constructor(redis, keys) {
        this.redis = redis;
        this.keys = keys;
    }
    async groupCursors(instanceId) {
        return numbers(await this.redis.hgetall(this.keys.groupCursors(instanceId)));
    }
    /** Stores a group's round-robin cursor (the index after the member just assigned). */
    async setCursor(instanceId, group, cursor) {
        await this.redis.hset(this.keys.groupCursors(instanceId), group, cursor);
    }
    async memberLoads(instanceId) {
        return numbers(await this.redis.hgetall(this.keys.memberLoads(instanceId)));
    }
    /** Records which group member (if any) owns an open ticket; `null` when closed or owned by nobody we know. */
    async setTicketOwner(instanceId, ticketId, member) {
        await this.redis.eval(ownerScript, 2, this.keys.ticketOwners(instanceId), this.keys.memberLoads(instanceId), ticketId, member ?? '');
    }
    /** Adds a ticket under a signature and drops entries created before `keepSinceMs`. */
    async recordRecurring(instanceId, signature, ticketId, createdAtMs, keepSinceMs) {
        const key = this.keys.recurring(instanceId, signature);
        await this.redis.multi().zadd(key, createdAtMs, ticketId).zremrangebyscore(key, '-inf', `(${keepSinceMs}`).exec();
    }
    /** Distinct tickets under a signature with createdAt in [fromMs, toMs]. */
    async countRecurring(instanceId, signature, fromMs, toMs) {
        return this.redis.zcount(this.keys.recurring(instanceId, signature), fromMs, toMs);
    }
}
//# sourceMappingURL=counters-store.js.map