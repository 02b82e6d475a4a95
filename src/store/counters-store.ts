import type { RedisClient } from './redis.js';

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

/**
 * Records an owner pick only if the counters it was made from are still current (compare-and-set, one atomic step):
 * the group's round-robin cursor and/or the loads of the group's members must equal what the engine read. On
 * success the cursor moves past the picked member and the ticket's load moves to it; on a conflict nothing changes
 * and the caller re-decides from fresh counters. KEYS: cursors, ticket owners, member loads (one instance).
 * ARGV: ticketId, member, group, expected cursor ('' = unchecked), new cursor ('' = unchanged), then member/load pairs.
 */
const claimScript = `
if ARGV[4] ~= '' then
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[3]) or '0') or 0
  if cur ~= tonumber(ARGV[4]) then return 0 end
end
for i = 6, #ARGV, 2 do
  local n = tonumber(redis.call('HGET', KEYS[3], ARGV[i]) or '0') or 0
  if n < 0 then n = 0 end
  if n ~= tonumber(ARGV[i + 1]) then return 0 end
end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], ARGV[3], ARGV[5]) end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old ~= ARGV[2] then
  if old then
    local n = redis.call('HINCRBY', KEYS[3], old, -1)
    if n <= 0 then redis.call('HDEL', KEYS[3], old) end
  end
  redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return 1
`;

/** What an owner pick was made from, to be recorded only if still current (`CountersStore.claimOwner`). */
export interface OwnerClaim {
  ticketId: string;
  member: string;
  group: string;
  /** Round-robin: the cursor the pick started from, and the one to store after it. */
  cursor?: { expected: number; next: number };
  /** Least-loaded: the load of every member of the group as the pick saw it. */
  loads?: Record<string, number>;
}

function numbers(h: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) {
    const n = Number(v);
    if (Number.isFinite(n) && n >= 0) out[k] = n;
  }
  return out;
}

/**
 * Instance-wide counters the engine reads through the ticket state (docs/spec.md §2 Ownership, `recurring`): round-robin
 * cursors per group, open-ticket loads per member, and ticket creation times per company/category signature.
 */
export class CountersStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async groupCursors(instanceId: string): Promise<Record<string, number>> {
    return numbers(await this.redis.hgetall(this.keys.groupCursors(instanceId)));
  }

  /** Cursors and loads read together (one MULTI), for a re-decision after a conflicting claim. */
  async ownership(
    instanceId: string,
  ): Promise<{ groupCursors: Record<string, number>; memberLoads: Record<string, number> }> {
    const res = await this.redis
      .multi()
      .hgetall(this.keys.groupCursors(instanceId))
      .hgetall(this.keys.memberLoads(instanceId))
      .exec();
    const [gc, load] = (res ?? []).map(([e, v]) => {
      if (e) throw e;
      return v as Record<string, string>;
    });
    return { groupCursors: numbers(gc ?? {}), memberLoads: numbers(load ?? {}) };
  }

  /** Records an owner pick atomically if the counters it was made from are unchanged; false = re-decide. */
  async claimOwner(instanceId: string, claim: OwnerClaim): Promise<boolean> {
    const pairs = Object.entries(claim.loads ?? {}).flatMap(([m, n]) => [m, String(n)]);
    const res = await this.redis.eval(
      claimScript,
      3,
      this.keys.groupCursors(instanceId),
      this.keys.ticketOwners(instanceId),
      this.keys.memberLoads(instanceId),
      claim.ticketId,
      claim.member,
      claim.group,
      claim.cursor ? String(claim.cursor.expected) : '',
      claim.cursor ? String(claim.cursor.next) : '',
      ...pairs,
    );
    return res === 1;
  }

  async memberLoads(instanceId: string): Promise<Record<string, number>> {
    return numbers(await this.redis.hgetall(this.keys.memberLoads(instanceId)));
  }

  /** Records which group member (if any) owns an open ticket; `null` when closed or owned by nobody we know. */
  async setTicketOwner(instanceId: string, ticketId: string, member: string | null): Promise<void> {
    await this.redis.eval(
      ownerScript,
      2,
      this.keys.ticketOwners(instanceId),
      this.keys.memberLoads(instanceId),
      ticketId,
      member ?? '',
    );
  }

  /**
   * Adds a ticket under a signature and drops entries created before `keepSinceMs`. The window expires `ttlMs` after
   * its last ticket (docs/redis-keys.md): a company that never opens another ticket leaves nothing behind.
   */
  async recordRecurring(
    instanceId: string,
    signature: string,
    ticket: { id: string; createdAtMs: number },
    window: { keepSinceMs: number; ttlMs: number },
  ): Promise<void> {
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
