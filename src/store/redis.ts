import { readFileSync } from 'node:fs';

import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';

import type { Logger } from '../contract/index.js';
import { parseRedisTarget } from '../lib/redis-target.js';
import type { RedisTarget, RedisTls } from '../lib/redis-target.js';

/**
 * Connection roles (RELIABILITY §2 "Connections"):
 * - `producer`: the HTTP ingest path. `enableOfflineQueue: false` and one attempt per command, so `queue.add`
 *   fails fast while Redis is down and the route answers 503 instead of hanging (the PSA retries).
 * - `worker`: BullMQ workers force `maxRetriesPerRequest: null` (blocking commands must survive reconnects).
 * - `client`: everything else (stores, schedulers): waits for a reconnect for a bounded number of retries.
 */
export type ConnectionRole = 'producer' | 'worker' | 'client';

export interface RedisConnectionOptions {
  url: string;
  role: ConnectionRole;
  /** Name shown in `CLIENT LIST` (helps operators). */
  name?: string;
  log?: Logger;
}

/** Reconnect delay: 100 ms doubling to 2 s (BullMQ's default waits up to 20 s, too slow to resume after a restart). */
const retryStrategy = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2_000);

export function redisOptions(role: ConnectionRole): RedisOptions {
  const base: RedisOptions = { retryStrategy, lazyConnect: false, connectTimeout: 2_000 };
  if (role === 'producer') return { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000 };
  if (role === 'worker') return { ...base, maxRetriesPerRequest: null, enableReadyCheck: true };
  return { ...base, maxRetriesPerRequest: 2, commandTimeout: 5_000 };
}

function tlsOptions(files: RedisTls): NonNullable<RedisOptions['tls']> {
  return {
    ...(files.caFile ? { ca: readFileSync(files.caFile) } : {}),
    ...(files.certFile ? { cert: readFileSync(files.certFile) } : {}),
    ...(files.keyFile ? { key: readFileSync(files.keyFile) } : {}),
  };
}

/** ioredis options for a target (docs/redis.md): where to connect, credentials, TLS, Sentinel. */
export function targetOptions(target: RedisTarget): RedisOptions {
  const auth: RedisOptions = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.db ? { db: target.db } : {}),
    ...(target.tls ? { tls: tlsOptions(target.tls) } : {}),
  };
  if (target.kind === 'standalone') return { host: target.host, port: target.port, ...auth };
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { enableTLSForSentinelMode: true } : {}),
    ...auth,
  };
}

/** The parsed target; an invalid string throws (config validation reports it first, with its variable name). */
export function redisTarget(url: string): RedisTarget {
  const parsed = parseRedisTarget(url);
  if (!parsed.ok) throw new Error(`Redis target: ${parsed.error}`);
  return parsed.value;
}

export function createRedis(options: RedisConnectionOptions): Redis {
  const client = new Redis({
    ...targetOptions(redisTarget(options.url)),
    ...redisOptions(options.role),
    ...(options.name ? { connectionName: options.name } : {}),
  });
  // Without an 'error' listener ioredis prints every reconnect failure as an unhandled error event.
  let lastLogged = 0;
  client.on('error', (e: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5_000) return;
    lastLogged = now;
    options.log?.warn({ err: { message: e.message }, role: options.role, conn: options.name }, 'redis connection error');
  });
  return client;
}

/** Resolves when the client is ready, rejects after `timeoutMs`. */
export async function waitReady(client: Redis, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
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

/** What `CONFIG GET` says about keeping BullMQ's data (undefined = could not be read: CONFIG renamed or denied). */
export interface RedisDurability {
  maxmemoryPolicy?: string;
  /** `appendonly yes`. */
  aof?: boolean;
  /** A non-empty `save` schedule. */
  rdb?: boolean;
}

async function configString(client: Redis, name: string): Promise<string | undefined> {
  const res = (await client.config('GET', name).catch(() => undefined)) as unknown;
  return Array.isArray(res) && typeof res[1] === 'string' ? res[1] : undefined;
}

export async function redisDurability(client: Redis): Promise<RedisDurability> {
  const [policy, appendonly, save] = await Promise.all([configString(client, 'maxmemory-policy'), configString(client, 'appendonly'), configString(client, 'save')]);
  return {
    ...(policy !== undefined ? { maxmemoryPolicy: policy } : {}),
    ...(appendonly !== undefined ? { aof: appendonly === 'yes' } : {}),
    ...(save !== undefined ? { rdb: save.trim() !== '' } : {}),
  };
}

/** A numeric setting via `CONFIG GET` (e.g. `hz`); undefined when refused (managed Redis) or not a number. */
export async function configNumber(client: Redis, name: string): Promise<number | undefined> {
  const res = (await client.config('GET', name).catch(() => undefined)) as unknown;
  const n = Array.isArray(res) ? Number(res[1]) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Closes a connection politely (QUIT), falling back to disconnect when Redis is gone. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1_000))]);
  } catch {
    client.disconnect();
  }
}
