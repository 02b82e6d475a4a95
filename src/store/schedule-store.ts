import type { RedisClient } from './redis.js';

import type { Keys } from './keys.js';

/**
 * Claims due entries atomically: each claimed entry is pushed `lease` ms into the future instead of being removed,
 * so a process that dies between the claim and the evaluation only delays the check (it fires again after the
 * lease); the evaluation then replaces the score with the ticket's next check or removes it.
 */
const claimScript = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[2]), m) end
return due
`;

export interface ScheduledCheck {
  instanceId: string;
  ticketId: string;
}

const SEP = '\n';

/**
 * Scheduled checks (docs/spec.md §4 nextCheckAt): one entry per ticket in a sorted set scored by the due instant. Setting
 * replaces, `null` removes; it survives restarts, and checks missed during downtime are due at start-up.
 */
export class ScheduleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async set(instanceId: string, ticketId: string, dueMs: number | null): Promise<void> {
    const member = `${instanceId}${SEP}${ticketId}`;
    if (dueMs === null) await this.redis.zrem(this.keys.schedule(), member);
    else await this.redis.zadd(this.keys.schedule(), dueMs, member);
  }

  async get(instanceId: string, ticketId: string): Promise<number | null> {
    const score = await this.redis.zscore(this.keys.schedule(), `${instanceId}${SEP}${ticketId}`);
    return score === null ? null : Number(score);
  }

  async claimDue(nowMs: number, leaseMs: number, limit = 100): Promise<ScheduledCheck[]> {
    const members = (await this.redis.eval(claimScript, 1, this.keys.schedule(), nowMs, leaseMs, limit)) as string[];
    return members.flatMap((m) => {
      const i = m.indexOf(SEP);
      return i < 0 ? [] : [{ instanceId: m.slice(0, i), ticketId: m.slice(i + 1) }];
    });
  }

  /** The earliest due instant (for metrics and tests). */
  async earliest(): Promise<number | null> {
    const first = await this.redis.zrange(this.keys.schedule(), 0, 0, 'WITHSCORES');
    return first[1] === undefined ? null : Number(first[1]);
  }
}
