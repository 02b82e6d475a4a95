const webhookStates = ['unknown', 'active', 'inactive', 'missing', 'deactivation_reported'];
const psaStates = ['ok', 'unreachable', 'auth_failed', 'unknown'];
/** Per-instance status shown in `GET /api/instances` (SPEC §5), shared by all processes. */
export class InstanceStore {
    redis;
    keys;
    constructor(redis, keys) {
        this.redis = redis;
        this.keys = keys;
    }
    async get(instanceId) {
        const h = await this.redis.hgetall(this.keys.instance(instanceId));
        return {
            webhook: webhookStates.includes(h.webhook) ? h.webhook : 'unknown',
            lastEventAt: h.lastEventAt ?? null,
            psa: psaStates.includes(h.psa) ? h.psa : 'unknown',
            psaCheckedAt: h.psaCheckedAt ?? null,
            psaError: h.psaError ?? null,
        };
    }
    async setWebhook(instanceId, state) {
        await this.redis.hset(this.keys.instance(instanceId), 'webhook', state);
    }
    /** Keeps the newest event time (events can be processed out of order). */
    async touchEvent(instanceId, atIso) {
        const key = this.keys.instance(instanceId);
        const current = await this.redis.hget(key, 'lastEventAt');
        if (current === null || current < atIso)
            await this.redis.hset(key, 'lastEventAt', atIso);
    }
    async setPsa(instanceId, psa, atIso, errorCode) {
        await this.redis.hset(this.keys.instance(instanceId), 'psa', psa, 'psaCheckedAt', atIso, 'psaError', errorCode ?? '');
    }
    /** True when no registration check ran for this instance in the last `windowMs` (and claims the window). */
    async claimRegistrationCheck(instanceId, windowMs) {
        return (await this.redis.set(this.keys.registrationCheckGuard(instanceId), '1', 'PX', windowMs, 'NX')) === 'OK';
    }
}
//# sourceMappingURL=instance-store.js.map