const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const extendScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
/**
 * A token lock with automatic renewal (every ttl/3) while held. Used per ticket on top of BullMQ's per-ticket
 * deduplication, so a job that stalled and re-ran elsewhere can never act on the ticket at the same time.
 */
export async function tryLock(redis, key, token, ttlMs) {
    const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK')
        return null;
    let held = true;
    const timer = setInterval(() => {
        redis
            .eval(extendScript, 1, key, token, ttlMs)
            .then((r) => {
            if (r !== 1)
                held = false;
        })
            .catch(() => undefined);
    }, Math.max(50, Math.floor(ttlMs / 3)));
    timer.unref();
    return {
        get held() {
            return held;
        },
        async release() {
            clearInterval(timer);
            held = false;
            await redis.eval(releaseScript, 1, key, token).catch(() => undefined);
        },
    };
}
//# sourceMappingURL=lock.js.map