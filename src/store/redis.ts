import { readFileSync } from 'node:fs';

import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';

import type { Logger } from '../contract/index.js';
import { parseRedisTarget } from '../lib/redis-target.js';
import type { RedisTarget, RedisTls } from '../lib/redis-target.js';

/**
 * A connection as every store, script and queue needs it: one Redis (standalone or via Sentinel), or a Redis Cluster
 * client (`redis+cluster://`). Both speak the same commands; on a Cluster every multi-key command, MULTI and script
 * must address keys of one slot, which the hash tags of `keys.ts` (`createKeys({ hashTag })`, `bullPrefix`) ensure.
 * `client.isCluster` tells them apart.
 */
export type RedisClient = Redis | Cluster;

/**
 * Connection roles (docs/reliability.md §2 "Connections"):
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
  if (role === 'producer')
    return { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000 };
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
export function targetOptions(target: Exclude<RedisTarget, { kind: 'cluster' }>): RedisOptions {
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

/** ioredis Cluster options for a target: seeds, and per-node options (credentials, TLS, the role's timeouts). */
export function clusterOptions(
  target: RedisTarget & { kind: 'cluster' },
  role: ConnectionRole,
  name?: string,
): ClusterOptions {
  const { retryStrategy: _perNode, enableOfflineQueue, ...roleOptions } = redisOptions(role);
  return {
    clusterRetryStrategy: retryStrategy,
    ...(enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
    enableReadyCheck: true,
    // A failover moves slots: retry MOVED/TRYAGAIN/CLUSTERDOWN for a while instead of failing the command at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    redisOptions: {
      ...roleOptions,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: tlsOptions(target.tls) } : {}),
      ...(name ? { connectionName: name } : {}),
    },
  };
}

export function createRedis(options: RedisConnectionOptions): RedisClient {
  const target = redisTarget(options.url);
  const client: RedisClient =
    target.kind === 'cluster'
      ? new Cluster(target.nodes, clusterOptions(target, options.role, options.name))
      : new Redis({
          ...targetOptions(target),
          ...redisOptions(options.role),
          ...(options.name ? { connectionName: options.name } : {}),
        });
  // Without an 'error' listener ioredis prints every reconnect failure as an unhandled error event.
  let lastLogged = 0;
  client.on('error', (e: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5_000) return;
    lastLogged = now;
    options.log?.warn(
      { err: { message: e.message }, role: options.role, conn: options.name },
      'redis connection error',
    );
  });
  return client;
}

const slotOfKey = new Map<string, number>();

/**
 * The connection of a Cluster client to the master that holds `key`'s slot now (the pooled one its commands for
 * that slot go through: `WAIT` on it counts their replication). Undefined while the slot map is unknown.
 */
export async function clusterMasterFor(cluster: Cluster, key: string): Promise<Redis | undefined> {
  let slot = slotOfKey.get(key);
  if (slot === undefined) {
    slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
    slotOfKey.set(key, slot);
  }
  const nodeKey = cluster.slots[slot]?.[0];
  return cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
}

/**
 * Every key matching `pattern`, in batches: SCAN on a standalone Redis, on each master of a Cluster (SCAN sees one
 * node's keys only).
 */
export async function* scanKeys(client: RedisClient, pattern: string, count = 500): AsyncGenerator<string[]> {
  // A Cluster client knows its masters once it has read the slot map.
  if (client instanceof Cluster && client.status !== 'ready') await waitReady(client);
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** Resolves when the client is ready, rejects after `timeoutMs`. */
export async function waitReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
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

async function nodeDurability(client: Redis): Promise<RedisDurability> {
  const [policy, appendonly, save] = await Promise.all([
    configString(client, 'maxmemory-policy'),
    configString(client, 'appendonly'),
    configString(client, 'save'),
  ]);
  return {
    ...(policy !== undefined ? { maxmemoryPolicy: policy } : {}),
    ...(appendonly !== undefined ? { aof: appendonly === 'yes' } : {}),
    ...(save !== undefined ? { rdb: save.trim() !== '' } : {}),
  };
}

/** On a Cluster, the weakest master counts (a setting one master does not report stays unknown). */
export async function redisDurability(client: RedisClient): Promise<RedisDurability> {
  if (!(client instanceof Cluster)) return nodeDurability(client);
  const all = await Promise.all(client.nodes('master').map(nodeDurability));
  if (all.length === 0) return {};
  const policies = all.map((d) => d.maxmemoryPolicy);
  const policy = policies.includes(undefined) ? undefined : (policies.find((p) => p !== 'noeviction') ?? 'noeviction');
  const every = (pick: (d: RedisDurability) => boolean | undefined): boolean | undefined => {
    const values = all.map(pick);
    return values.includes(undefined) ? undefined : values.every(Boolean);
  };
  const aof = every((d) => d.aof);
  const rdb = every((d) => d.rdb);
  return {
    ...(policy !== undefined ? { maxmemoryPolicy: policy } : {}),
    ...(aof !== undefined ? { aof } : {}),
    ...(rdb !== undefined ? { rdb } : {}),
  };
}

/** A numeric setting via `CONFIG GET` (e.g. `hz`); undefined when refused (managed Redis) or not a number. */
export async function configNumber(client: RedisClient, name: string): Promise<number | undefined> {
  const node = client instanceof Cluster ? client.nodes('master')[0] : client;
  if (!node) return undefined;
  const res = (await node.config('GET', name).catch(() => undefined)) as unknown;
  const n = Array.isArray(res) ? Number(res[1]) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Closes a connection politely (QUIT), falling back to disconnect when Redis is gone. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1_000)),
    ]);
  } catch {
    client.disconnect();
  }
}
