import type { RedisClient } from './redis.js';

import type { Keys } from './keys.js';

/** The weekly review's verdict on one escalation (an audit entry). */
export interface Review {
  /** The audit entry's id. */
  id: string;
  instanceId: string;
  ticketId: string;
  /** Rules that acted in the reviewed decision. */
  rules: string[];
  appropriate: boolean;
  comment?: string;
  reviewedAt: string;
}

export interface ReviewSummary {
  reviewed: number;
  appropriate: number;
  /** appropriate / reviewed (null when nothing was reviewed). */
  appropriateShare: number | null;
  rules: { rule: string; reviewed: number; appropriate: number; appropriateShare: number }[];
}

/**
 * Review verdicts (issue 17, `POST /api/escalations/:id/review`): one JSON key per reviewed audit entry (a second
 * review replaces the first) and a ZSET by review time, both kept as long as the audit trail.
 */
export class ReviewStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: { retentionMs: number; now: () => number },
  ) {}

  async put(review: Review): Promise<void> {
    const tx = this.redis.multi();
    tx.set(this.keys.review(review.id), JSON.stringify(review), 'PX', this.options.retentionMs);
    tx.zadd(this.keys.reviewIndex(), Date.parse(review.reviewedAt), review.id);
    tx.zremrangebyscore(this.keys.reviewIndex(), '-inf', `(${this.options.now() - this.options.retentionMs}`);
    // The index goes with its last entry when no review is written for a whole retention (docs/redis-keys.md).
    tx.pexpire(this.keys.reviewIndex(), this.options.retentionMs);
    await tx.exec();
  }

  async get(id: string): Promise<Review | undefined> {
    const raw = await this.redis.get(this.keys.review(id));
    return raw === null ? undefined : (JSON.parse(raw) as Review);
  }

  /** Reviews made in [from, to) (epoch ms), optionally of one instance. */
  async list(from: number, to: number, instance?: string): Promise<Review[]> {
    const ids = await this.redis.zrangebyscore(this.keys.reviewIndex(), from, `(${to}`);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.review(id)));
    return raws
      .flatMap((r) => (r === null ? [] : [JSON.parse(r) as Review]))
      .filter((r) => instance === undefined || r.instanceId === instance);
  }
}

/** Share judged appropriate, overall and per rule (a review counts for every rule that acted in its decision). */
export function summarizeReviews(reviews: readonly Review[]): ReviewSummary {
  const perRule = new Map<string, { reviewed: number; appropriate: number }>();
  let appropriate = 0;
  for (const r of reviews) {
    if (r.appropriate) appropriate += 1;
    for (const rule of new Set(r.rules)) {
      const c = perRule.get(rule) ?? { reviewed: 0, appropriate: 0 };
      c.reviewed += 1;
      if (r.appropriate) c.appropriate += 1;
      perRule.set(rule, c);
    }
  }
  const share = (a: number, n: number) => Math.round((1000 * a) / n) / 1000;
  return {
    reviewed: reviews.length,
    appropriate,
    appropriateShare: reviews.length > 0 ? share(appropriate, reviews.length) : null,
    rules: [...perRule.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([rule, c]) => ({ rule, ...c, appropriateShare: share(c.appropriate, c.reviewed) })),
  };
}
