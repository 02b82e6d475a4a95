import type { Redis } from 'ioredis';

import type { Keys } from './keys.js';

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

function numbers(h: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) {
    const n = Number(v);
    if (Number.isFinite(n) && n >= 0) out[k] = n;
  }
  return out;
}

/**
 * Instance-wide counters the engine reads through the ticket state (SPEC §2 Ownership, `recurring`): round-robin
 * cursors per group, open-ticket loads per member, and ticket creation times per company/category signature.
 */
export class CountersStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async groupCursors(instanceId: string): Promise<Record<string, number>> {
    return numbers(await this.redis.hgetall(this.keys.groupCursors(instanceId)));
  }

  /** Stores a group's round-robin cursor (the index after the member just assigned). */
  async setCursor(instanceId: string, group: string, cursor: number): Promise<void> {
    await this.redis.hset(this.keys.groupCursors(instanceId), group, cursor);
  }

  async memberLoads(instanceId: string): Promise<Record<string, number>> {
    return numbers(await this.redis.hgetall(this.keys.memberLoads(instanceId)));
  }

  /** Records which group member (if any) owns an open ticket; `null` when closed or owned by nobody we know. */
  async setTicketOwner(instanceId: string, ticketId: string, member: string | null): Promise<void> {
    await this.redis.eval(ownerScript, 2, this.keys.ticketOwners(instanceId), this.keys.memberLoads(instanceId), ticketId, member ?? '');
  }

  /**
   * Adds a ticket under a signature and drops entries created before `keepSinceMs`. The window expires `ttlMs` after
   * its last ticket (docs/redis-keys.md): a company that never opens another ticket leaves nothing behind.
   */
  async recordRecurring(instanceId: string, signature: string, ticket: { id: string; createdAtMs: number }, window: { keepSinceMs: number; ttlMs: number }): Promise<void> {
    const key = this.keys.recurring(instanceId, signature);
    await this.redis
      .multi()
      .zadd(key, ticket.createdAtMs, ticket.id)
      .zremrangebyscore(key, '-inf', `(${window.keepSinceMs}`)
      .pexpire(key, Math.max(1, Math.round(window.ttlMs)))
      .exec();
  }

  /** Distinct tickets under a signature with createdAt in [fromMs, toMs]. */
  async countRecurring(instanceId: string, signature: string, fromMs: number, toMs: number): Promise<number> {
    return this.redis.zcount(this.keys.recurring(instanceId, signature), fromMs, toMs);
  }
}
