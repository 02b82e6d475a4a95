import type { RedisClient } from './redis.js';

import type { DeadLetter } from './models.js';

import { newAuditId } from './audit-store.js';
import type { Keys } from './keys.js';

/** A dead letter plus what a retry needs (never secrets: ids and the failed actions only). */
export interface StoredDeadLetter extends DeadLetter {
  /** The audit entry whose actions failed, when there was one. */
  auditId?: string;
  /** `actions` (PSA write-back) or `notifier` (a notifier call). */
  kind: 'actions' | 'notifier' | 'evaluation';
}

export interface DeadLetterStoreOptions {
  /** @defaultValue 30 days */
  retentionMs?: number;
  now?: () => number;
}

/** Dead letters (docs/spec.md §5 `GET /api/dead-letters`): one JSON key per letter, a sorted index, newest first. */
export class DeadLetterStore {
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    options: DeadLetterStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 30 * 86_400_000;
    this.now = options.now ?? Date.now;
  }

  async add(letter: Omit<StoredDeadLetter, 'id' | 'at'>): Promise<StoredDeadLetter> {
    const at = this.now();
    const full: StoredDeadLetter = { id: newAuditId(at), at: new Date(at).toISOString(), ...letter };
    await this.redis
      .multi()
      .set(this.keys.deadLetter(full.id), JSON.stringify(full), 'PX', this.retentionMs)
      .zadd(this.keys.deadLetterIndex(), at, full.id)
      .zremrangebyscore(this.keys.deadLetterIndex(), '-inf', `(${at - this.retentionMs}`)
      // No letter for a whole retention: the index goes with the last one (docs/redis-keys.md).
      .pexpire(this.keys.deadLetterIndex(), this.retentionMs)
      .exec();
    return full;
  }

  async get(id: string): Promise<StoredDeadLetter | undefined> {
    const raw = await this.redis.get(this.keys.deadLetter(id));
    return raw === null ? undefined : (JSON.parse(raw) as StoredDeadLetter);
  }

  /** Newest first, at most `limit`. */
  async list(limit = 500): Promise<StoredDeadLetter[]> {
    // Retention holds even between writes (trimming happens on add): older letters are never served.
    const ids = await this.redis.zrevrangebyscore(
      this.keys.deadLetterIndex(),
      '+inf',
      this.now() - this.retentionMs,
      'LIMIT',
      0,
      limit,
    );
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.deadLetter(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as StoredDeadLetter);
  }

  /** Removes a letter (it was retried). Returns false when it did not exist. */
  async remove(id: string): Promise<boolean> {
    const [[, deleted] = [null, 0]] = (await this.redis
      .multi()
      .del(this.keys.deadLetter(id))
      .zrem(this.keys.deadLetterIndex(), id)
      .exec()) as [Error | null, number][];
    return deleted === 1;
  }
}
