import type { RedisClient } from './redis.js';

import type { Keys } from './keys.js';

/** Progress of an instance's backfill (every open ticket evaluated once), as `/api/instances` shows it. */
export interface BackfillProgress {
  listed: number;
  evaluated: number;
  remaining: number;
  startedAt: string;
  /** Set once the listing is complete and every listed ticket was evaluated. */
  completedAt: string | null;
  /** True while the open-ticket listing still has pages to read. */
  listing: boolean;
}

/** Lists new ids (deduplicated across pages and restarts) in order; returns how many were new. */
const addListedScript = `
local added = 0
for i = 1, #ARGV do
  if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i])
    redis.call('SADD', KEYS[4], ARGV[i])
    added = added + 1
  end
end
redis.call('HINCRBY', KEYS[1], 'listed', added)
return added
`;

/** One evaluation done: counted once per listed ticket; completes the backfill when nothing is left. */
const evaluatedScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'evaluated', 1)
if redis.call('HGET', KEYS[1], 'listingDone') == '1' and redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 'completedAt', ARGV[2])
  return 2
end
return 1
`;

/**
 * The backfill's durable state in Redis (resumable across restarts and shared by replicas): a progress hash, the
 * listed ids in listing order (with a kick cursor into it), the ids not yet evaluated and the ids already seen.
 */
export class BackfillStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  private k(id: string) {
    return [
      this.keys.backfill(id),
      this.keys.backfillQueue(id),
      this.keys.backfillSeen(id),
      this.keys.backfillPending(id),
    ] as const;
  }

  /** Starts a new backfill (a running one is replaced). */
  async start(instanceId: string, atIso: string): Promise<void> {
    const [hash, queue, seen, pending] = this.k(instanceId);
    await this.redis
      .multi()
      .del(hash, queue, seen, pending)
      .hset(hash, 'startedAt', atIso, 'listed', 0, 'evaluated', 0, 'kicked', 0, 'listingDone', 0)
      .exec();
  }

  async exists(instanceId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.backfill(instanceId))) === 1;
  }

  /** The running backfill's raw state, or null when none runs (never started, or completed). */
  async active(
    instanceId: string,
  ): Promise<{ page: string | undefined; listingDone: boolean; kicked: number; evaluated: number } | null> {
    const h = await this.redis.hgetall(this.keys.backfill(instanceId));
    if (!h.startedAt || h.completedAt) return null;
    return {
      page: h.page || undefined,
      listingDone: h.listingDone === '1',
      kicked: Number(h.kicked ?? 0),
      evaluated: Number(h.evaluated ?? 0),
    };
  }

  async progress(instanceId: string): Promise<BackfillProgress | null> {
    const [h, remaining] = await Promise.all([
      this.redis.hgetall(this.keys.backfill(instanceId)),
      this.redis.scard(this.keys.backfillPending(instanceId)),
    ]);
    if (!h.startedAt) return null;
    return {
      listed: Number(h.listed ?? 0),
      evaluated: Number(h.evaluated ?? 0),
      remaining,
      startedAt: h.startedAt,
      completedAt: h.completedAt || null,
      listing: h.listingDone !== '1',
    };
  }

  /** Records one listed page: new ids join the queue; `nextPage` undefined ends the listing. */
  async addListed(
    instanceId: string,
    ticketIds: readonly string[],
    nextPage: string | undefined,
    atIso: string,
  ): Promise<number> {
    const [hash, queue, seen, pending] = this.k(instanceId);
    const added =
      ticketIds.length === 0
        ? 0
        : Number(await this.redis.eval(addListedScript, 4, hash, queue, seen, pending, ...ticketIds));
    if (nextPage === undefined) {
      await this.redis.hset(hash, 'listingDone', 1, 'page', '');
      if ((await this.redis.scard(pending)) === 0) await this.redis.hset(hash, 'completedAt', atIso);
    } else await this.redis.hset(hash, 'page', nextPage);
    return added;
  }

  /**
   * The next `n` listed ids still waiting for an evaluation, from the kick cursor. The caller kicks them and then
   * calls `advance` (a crash in between kicks them again: ticket jobs are deduplicated and evaluations idempotent).
   */
  async nextToKick(instanceId: string, kicked: number, n: number): Promise<{ ids: string[]; scanned: number }> {
    if (n <= 0) return { ids: [], scanned: 0 };
    const batch = await this.redis.lrange(this.keys.backfillQueue(instanceId), kicked, kicked + n - 1);
    if (batch.length === 0) return { ids: [], scanned: 0 };
    const member = await this.redis.smismember(this.keys.backfillPending(instanceId), ...batch);
    return { ids: batch.filter((_, i) => member[i] === 1), scanned: batch.length };
  }

  async advance(instanceId: string, by: number): Promise<void> {
    if (by > 0) await this.redis.hincrby(this.keys.backfill(instanceId), 'kicked', by);
  }

  /** Ids kicked but not evaluated yet (jobs in flight or waiting for budget). */
  async inFlight(instanceId: string, kicked: number): Promise<number> {
    if (kicked <= 0) return 0;
    const batch = await this.redis.lrange(this.keys.backfillQueue(instanceId), 0, kicked - 1);
    if (batch.length === 0) return 0;
    const member = await this.redis.smismember(this.keys.backfillPending(instanceId), ...batch);
    return member.filter((m) => m === 1).length;
  }

  /** An evaluation of this ticket ran (any trigger): 0 not part of the backfill, 1 counted, 2 counted and completed. */
  async evaluated(instanceId: string, ticketId: string, atIso: string): Promise<0 | 1 | 2> {
    return Number(
      await this.redis.eval(
        evaluatedScript,
        2,
        this.keys.backfill(instanceId),
        this.keys.backfillPending(instanceId),
        ticketId,
        atIso,
      ),
    ) as 0 | 1 | 2;
  }
}
