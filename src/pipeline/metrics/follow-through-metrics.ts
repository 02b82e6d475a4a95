import { scanKeys } from '../../store/redis.js';
import type { RedisClient } from '../../store/redis.js';

import type { AppConfig } from '../../config/types.js';
import type { Keys } from '../../store/keys.js';
import { summarizeReviews } from '../../store/review-store.js';
import type { Review, ReviewSummary } from '../../store/review-store.js';
import type { TicketRecord } from '../../store/ticket-store.js';

import { computePatterns } from './patterns.js';
import type { Patterns, TicketFacts } from './patterns.js';

/**
 * The follow-through parts of the escalation metrics (issue 17), computed once for both `GET /api/metrics/escalations`
 * and the monthly report (`report --month`): the weekly reviews' verdicts, the RCA status, the breakdowns of our moves
 * by company, category, hour of day and weekday, and the patterns (patterns.ts). Read from the ticket records and the
 * review verdicts in Redis; the record scan is an admin read (fine for thousands of tickets), not a hot path.
 */

export interface RcaStatus {
  required: number;
  done: number;
  overdue: number;
  open: number;
  /** done / required (null when none was required). */
  completionRate: number | null;
  overdueTickets: { instanceId: string; ticketId: string; requestedAt: string }[];
}

export interface Window {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/** The follow-through block of `GET /api/metrics/escalations` (per instance, and every instance together). */
export interface FollowThroughMetrics {
  reviews: {
    reviewed: number;
    appropriate: number;
    share: number | null;
    byRule: Record<string, { reviewed: number; appropriate: number; share: number }>;
  };
  rca: Omit<RcaStatus, 'overdueTickets'>;
  breakdowns: Pick<Patterns, 'byCompany' | 'byCategory' | 'byHour' | 'byWeekday'>;
  patterns: Pick<Patterns, 'escalations' | 'escalatedTickets' | 'tier3' | 'functionalRuleCandidates'>;
}

export async function ticketRecords(redis: RedisClient, keys: Keys): Promise<TicketRecord[]> {
  const out: TicketRecord[] = [];
  // scanKeys: on a Redis Cluster every master is scanned (SCAN sees one node only); our keys share one slot, so MGET works.
  for await (const batch of scanKeys(redis, `${keys.prefix}:t:*`)) {
    for (const raw of await redis.mget(batch)) {
      if (raw === null) continue;
      try {
        const r = JSON.parse(raw) as TicketRecord;
        if (r.v === 1 && typeof r.ticketId === 'string') out.push(r);
      } catch {
        // not a ticket record
      }
    }
  }
  return out;
}

/** RCA requests made in the window: done (a person's note with the heading), overdue (notified), still open. */
export function rcaStatus(records: readonly TicketRecord[], heading: string | undefined, w: Window): RcaStatus {
  const s: RcaStatus = { required: 0, done: 0, overdue: 0, open: 0, completionRate: null, overdueTickets: [] };
  const h = (heading ?? 'RCA:').toLowerCase();
  for (const r of records) {
    const req = r.rca?.requestedAt;
    if (req === undefined) continue;
    const at = Date.parse(req);
    if (!(at >= w.from && at < w.to)) continue;
    s.required += 1;
    const done = (r.ticket.recentNotes ?? []).some(
      (n) => !n.ours && Date.parse(n.at) >= at && n.text.trimStart().toLowerCase().startsWith(h),
    );
    if (done) s.done += 1;
    else if (r.rca?.overdueNotifiedAt !== undefined) {
      s.overdue += 1;
      s.overdueTickets.push({ instanceId: r.instanceId, ticketId: r.ticketId, requestedAt: req });
    } else s.open += 1;
  }
  s.completionRate = completion(s.done, s.required);
  return s;
}

const completion = (done: number, required: number): number | null =>
  required > 0 ? Math.round((1000 * done) / required) / 1000 : null;

/** The timezone of an instance's policy calendar (hour of day and weekday are local to it); UTC when unknown. */
function timezoneOf(config: Pick<AppConfig, 'calendars' | 'policies' | 'instances'>, instanceId: string): string {
  const policyName = config.instances.find((i) => i.info.id === instanceId)?.info.policy;
  const policy = policyName === undefined ? undefined : config.policies[policyName];
  return (policy && config.calendars[policy.calendar]?.timezone) ?? 'UTC';
}

/**
 * Patterns over the records of one or more instances. Ticket ids repeat across PSAs, so each fact is keyed by instance
 * and ticket; each keeps its instance's timezone for hour of day and weekday.
 */
function patternsOf(
  records: readonly TicketRecord[],
  config: Pick<AppConfig, 'calendars' | 'policies' | 'instances' | 'tiers'>,
  w: Window,
): Patterns {
  const zones = new Map<string, string>();
  const zone = (id: string) => zones.get(id) ?? zones.set(id, timezoneOf(config, id)).get(id)!;
  const facts: TicketFacts[] = records.map((r) => ({
    instanceId: r.instanceId,
    ticketId: `${r.instanceId}\n${r.ticketId}`,
    company: r.ticket.company.name ?? r.ticket.company.id,
    category: r.ticket.category[0] ?? '',
    firstSeenAt: r.firstSeenAt,
    escalations: r.escalations,
    timezone: zone(r.instanceId),
  }));
  return computePatterns(facts, { from: w.from, to: w.to, tier3: config.tiers[2] ?? null, timezone: 'UTC' });
}

/** The review summary in the metrics' shape (`share`, `byRule` keyed by rule). */
function reviewsBlock(s: ReviewSummary): FollowThroughMetrics['reviews'] {
  return {
    reviewed: s.reviewed,
    appropriate: s.appropriate,
    share: s.appropriateShare,
    byRule: Object.fromEntries(
      s.rules.map((r) => [r.rule, { reviewed: r.reviewed, appropriate: r.appropriate, share: r.appropriateShare }]),
    ),
  };
}

/** The parts of one instance (or of every instance together) before they are shaped for the metrics or the report. */
export interface FollowThroughParts {
  patterns: Patterns;
  rca: RcaStatus;
  reviews: ReviewSummary;
}

/** The metrics' block of some parts. */
export function metricsBlock(p: FollowThroughParts): FollowThroughMetrics {
  const { byCompany, byCategory, byHour, byWeekday, escalations, escalatedTickets, tier3, functionalRuleCandidates } =
    p.patterns;
  const { overdueTickets: _listed, ...counts } = p.rca;
  return {
    reviews: reviewsBlock(p.reviews),
    rca: counts,
    breakdowns: { byCompany, byCategory, byHour, byWeekday },
    patterns: { escalations, escalatedTickets, tier3, functionalRuleCandidates },
  };
}

/** Sums RCA counts of several instances (completion rate recomputed). */
function sumRca(parts: readonly RcaStatus[]): RcaStatus {
  const s: RcaStatus = { required: 0, done: 0, overdue: 0, open: 0, completionRate: null, overdueTickets: [] };
  for (const p of parts) {
    s.required += p.required;
    s.done += p.done;
    s.overdue += p.overdue;
    s.open += p.open;
    s.overdueTickets.push(...p.overdueTickets);
  }
  s.completionRate = completion(s.done, s.required);
  return s;
}

type FollowThroughConfig = Pick<AppConfig, 'calendars' | 'policies' | 'instances' | 'tiers'>;

/** Each configured instance's parts and every instance's together, from records and reviews already read (pure). */
export function computeFollowThrough(
  records: readonly TicketRecord[],
  reviews: readonly Review[],
  config: FollowThroughConfig,
  w: Window,
): { all: FollowThroughParts; byInstance: Record<string, FollowThroughParts> } {
  const byInstance: Record<string, FollowThroughParts> = {};
  const mine = new Set(config.instances.map((i) => i.info.id));
  const ours = records.filter((r) => mine.has(r.instanceId));
  for (const i of config.instances) {
    const id = i.info.id;
    const own = ours.filter((r) => r.instanceId === id);
    byInstance[id] = {
      patterns: patternsOf(own, config, w),
      rca: rcaStatus(own, config.policies[i.info.policy]?.rca?.heading, w),
      reviews: summarizeReviews(reviews.filter((r) => r.instanceId === id)),
    };
  }
  const all = {
    patterns: patternsOf(ours, config, w),
    rca: sumRca(Object.values(byInstance).map((b) => b.rca)),
    reviews: summarizeReviews(reviews.filter((r) => mine.has(r.instanceId))),
  };
  return { all, byInstance };
}

/** Reads the ticket records and the reviews made in [from, to), then `computeFollowThrough`. */
export async function readFollowThrough(
  deps: {
    redis: RedisClient;
    keys: Keys;
    config: FollowThroughConfig;
    reviews: { list(from: number, to: number): Promise<Review[]> };
  },
  w: Window,
): Promise<{ all: FollowThroughParts; byInstance: Record<string, FollowThroughParts> }> {
  const [records, reviews] = await Promise.all([ticketRecords(deps.redis, deps.keys), deps.reviews.list(w.from, w.to)]);
  return computeFollowThrough(records, reviews, deps.config, w);
}

/** The follow-through block of `GET /api/metrics/escalations`: every instance together, and each instance's own. */
export function createFollowThroughMetrics(deps: Parameters<typeof readFollowThrough>[0]) {
  return async (
    w: Window,
  ): Promise<{ all: FollowThroughMetrics; byInstance: Record<string, FollowThroughMetrics> }> => {
    const r = await readFollowThrough(deps, w);
    return {
      all: metricsBlock(r.all),
      byInstance: Object.fromEntries(Object.entries(r.byInstance).map(([id, b]) => [id, metricsBlock(b)])),
    };
  };
}
