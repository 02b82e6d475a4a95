import { Redis } from 'ioredis';
/** Reconnect delay: 100 ms doubling to 2 s (BullMQ's default waits up to 20 s, too slow to resume after a restart). */
const retryStrategy = (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000);
export function redisOptions(role) {
    const base = { retryStrategy, lazyConnect: false, connectTimeout: 2_000 };
    if (role === 'producer')
        return { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000 };
    if (role === 'worker')
        return { ...base, maxRetriesPerRequest: null, enableReadyCheck: true };
    return { ...base, maxRetriesPerRequest: 2, commandTimeout: 5_000 };
}
export function createRedis(options) {
    const client = new Redis(options.url, {
        ...redisOptions(options.role),
        ...(options.name ? { connectionName: options.name } : {}),
    });
    // Without an 'error' listener ioredis prints every reconnect failure as an unhandled error event.
    let lastLogged = 0;
    client.on('error', (e) => {
        const now = Date.now();
        if (now - lastLogged < 5_000)
            return;
        lastLogged = now;
        options.log?.warn({ err: { message: e.message }, role: options.role, conn: options.name }, 'redis connection error');
    });
    return client;
}
/** Resolves when the client is ready, rejects after `timeoutMs`. */
export async function waitReady(client, timeoutMs = 10_000) {
    if (client.status === 'ready')
        return;
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const onReady = () => {
            cleanup();
            resolve();
        };
        const cleanup = () => {
            clearTimeout(timer);
            client.off('ready', onReady);
        };
        client.on('ready', onReady);
    });
}
/** The eviction policy; anything but `noeviction` can silently drop queued jobs (RELIABILITY §2). */
export async function evictionPolicy(client) {
    const res = (await client.config('GET', 'maxmemory-policy'));
    if (Array.isArray(res) && typeof res[1] === 'string')
        return res[1];
    return undefined;
}
/** A numeric setting via `CONFIG GET` (e.g. `hz`); undefined when refused (managed Redis) or not a number. */
export async function configNumber(client, name) {
    const res = (await client.config('GET', name).catch(() => undefined));
    const n = Array.isArray(res) ? Number(res[1]) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
}
/** Closes a connection politely (QUIT), falling back to disconnect when Redis is gone. */
export async function closeRedis(client) {
    if (client.status === 'end')
        return;
    try {
        await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1_000))]);
    }
    catch {
        client.disconnect();
    }
}
//# sourceMappingURL=redis.js.map