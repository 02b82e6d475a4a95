export class TicketStore {
    redis;
    keys;
    constructor(redis, keys) {
        this.redis = redis;
        this.keys = keys;
    }
    async get(instanceId, ticketId) {
        const raw = await this.redis.get(this.keys.ticket(instanceId, ticketId));
        if (raw === null)
            return undefined;
        const parsed = JSON.parse(raw);
        return parsed.v === 1 ? parsed : undefined;
    }
    async put(record) {
        await this.redis.set(this.keys.ticket(record.instanceId, record.ticketId), JSON.stringify(record));
    }
    async delete(instanceId, ticketId) {
        await this.redis.del(this.keys.ticket(instanceId, ticketId));
    }
}
//# sourceMappingURL=ticket-store.js.map