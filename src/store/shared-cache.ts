import type { RedisClient } from './redis.js';

import type { SharedCache } from '../contract/index.js';

import type { Keys } from './keys.js';

/**
 * The `SharedCache` handed to connectors (signing keys, OAuth tokens, lookups): RedisClient-backed so every API and
 * worker replica shares it (docs/spec.md §4 "Scale-out"), namespaced per instance. Values are JSON.
 */
export class RedisSharedCache implements SharedCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly instanceId: string,
  ) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.keys.cache(this.instanceId, key));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const ms = Math.max(1, Math.round(ttlMs));
    await this.redis.set(this.keys.cache(this.instanceId, key), JSON.stringify(value), 'PX', ms);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.keys.cache(this.instanceId, key));
  }
}
