/**
 * Escalation patterns the guides ask managers to look for (issue 17), pure: breakdowns of our moves by company,
 * category, hour of day and weekday; companies whose Tier 3 share is above the fleet's; categories that escalate at
 * least 80 % of the time (a candidate for a functional rule); the Tier 3 arrivals grouped by category.
 */

export interface TicketFacts {
  instanceId: string;
  ticketId: string;
  company: string;
  /** Top-level category ('' when none). */
  category: string;
  /** When we first saw the ticket. */
  firstSeenAt: string;
  /** Our moves (state.escalations). */
  escalations: readonly { rule: string; kind?: string | undefined; tier?: string | null | undefined; at: string }[];
  /** IANA zone of this ticket's hour of day and weekday (facts of several instances); else the options' `timezone`. */
  timezone?: string;
}

export interface PatternOptions {
  from: number;
  to: number;
  /** The tier whose arrivals are "Tier 3" (the third tier of `tiers:`). */
  tier3: string | null;
  /** IANA zone for hour-of-day and weekday. */
  timezone: string;
  /** Minimum tickets of a category before its escalation rate is judged. @defaultValue 3 */
  minCategoryTickets?: number;
}

export interface Patterns {
  escalations: number;
  escalatedTickets: number;
  byCompany: Record<string, number>;
  byCategory: Record<string, number>;
  byHour: number[];
  byWeekday: Record<string, number>;
  tier3: {
    fleetShare: number | null;
    companiesAboveFleet: { company: string; escalatedTickets: number; tier3Tickets: number; share: number }[];
    auditByCategory: Record<string, number>;
  };
  /** Categories whose tickets escalate ≥ 80 % of the time: a functional rule (straight to the skill group) may fit. */
  functionalRuleCandidates: {
    category: string;
    tickets: number;
    escalated: number;
    rate: number;
    suggestion: string;
  }[];
}

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ratio = (a: number, b: number) => Math.round((1000 * a) / b) / 1000;

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one (thousands of moves). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local hour and weekday per zone and UTC quarter hour (every zone offset is a whole number of quarter hours). */
const quarterCache = new Map<string, { hour: number; weekday: string }>();
const QUARTER_MS = 900_000;

function localParts(ms: number, timeZone: string): { hour: number; weekday: string } {
  const key = `${timeZone}|${Math.floor(ms / QUARTER_MS)}`;
  let hit = quarterCache.get(key);
  if (!hit) {
    if (quarterCache.size > 50_000) quarterCache.clear();
    quarterCache.set(key, (hit = formatParts(Math.floor(ms / QUARTER_MS) * QUARTER_MS, timeZone)));
  }
  return hit;
}

function formatParts(ms: number, timeZone: string): { hour: number; weekday: string } {
  let f = formatters.get(timeZone);
  if (!f)
    formatters.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' })),
    );
  const parts = f.formatToParts(new Date(ms));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) % 24;
  const weekday = (parts.find((p) => p.type === 'weekday')?.value ?? 'Mon').slice(0, 3).toLowerCase();
  return { hour, weekday };
}

const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

/** Companies whose share of escalated tickets reaching Tier 3 is above the fleet's, highest share first. */
function companiesAboveFleetShare(
  perCompany: ReadonlyMap<string, { escalated: number; tier3: number }>,
  fleetShare: number | null,
): Patterns['tier3']['companiesAboveFleet'] {
  return [...perCompany.entries()]
    .map(([company, c]) => ({
      company,
      escalatedTickets: c.escalated,
      tier3Tickets: c.tier3,
      share: ratio(c.tier3, c.escalated),
    }))
    .filter((c) => fleetShare !== null && c.share > fleetShare)
    .sort((a, b) => b.share - a.share || a.company.localeCompare(b.company));
}

/** Categories with at least `min` tickets of which ≥ 80 % escalated, highest rate first. */
function frequentlyEscalatingCategories(
  perCategory: ReadonlyMap<string, { tickets: number; escalated: number }>,
  min: number,
): Patterns['functionalRuleCandidates'] {
  return [...perCategory.entries()]
    .filter(([, c]) => c.tickets >= min && c.escalated / c.tickets >= 0.8)
    .map(([category, c]) => ({
      category,
      tickets: c.tickets,
      escalated: c.escalated,
      rate: ratio(c.escalated, c.tickets),
      suggestion: `candidate for a functional rule: send "${category}" tickets to their skill group directly`,
    }))
    .sort((a, b) => b.rate - a.rate || a.category.localeCompare(b.category));
}

export function computePatterns(tickets: readonly TicketFacts[], o: PatternOptions): Patterns {
  const inWindow = (iso: string) => {
    const t = Date.parse(iso);
    return t >= o.from && t < o.to;
  };
  const byCompany: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  const byHour = Array.from({ length: 24 }, () => 0);
  const byWeekday: Record<string, number> = Object.fromEntries(weekdays.map((d) => [d, 0]));
  const perCompany = new Map<string, { escalated: number; tier3: number }>();
  const perCategory = new Map<string, { tickets: number; escalated: number }>();
  const auditByCategory: Record<string, number> = {};
  let escalations = 0;
  let escalatedTickets = 0;
  let tier3Tickets = 0;
  for (const t of tickets) {
    const moves = t.escalations.filter((e) => inWindow(e.at));
    const category = t.category === '' ? '(none)' : t.category;
    if (inWindow(t.firstSeenAt) || moves.length > 0) {
      const c = perCategory.get(category) ?? { tickets: 0, escalated: 0 };
      c.tickets += 1;
      if (moves.length > 0) c.escalated += 1;
      perCategory.set(category, c);
    }
    if (moves.length === 0) continue;
    escalatedTickets += 1;
    const reachedT3 = o.tier3 !== null && moves.some((e) => e.tier === o.tier3);
    if (reachedT3) {
      tier3Tickets += 1;
      bump(auditByCategory, category);
    }
    const co = perCompany.get(t.company) ?? { escalated: 0, tier3: 0 };
    co.escalated += 1;
    if (reachedT3) co.tier3 += 1;
    perCompany.set(t.company, co);
    for (const e of moves) {
      escalations += 1;
      bump(byCompany, t.company);
      bump(byCategory, category);
      const { hour, weekday } = localParts(Date.parse(e.at), t.timezone ?? o.timezone);
      byHour[hour] = (byHour[hour] ?? 0) + 1;
      bump(byWeekday, weekday);
    }
  }
  const fleetShare = escalatedTickets > 0 ? ratio(tier3Tickets, escalatedTickets) : null;
  const companiesAboveFleet = companiesAboveFleetShare(perCompany, fleetShare);
  const functionalRuleCandidates = frequentlyEscalatingCategories(perCategory, o.minCategoryTickets ?? 3);
  return {
    escalations,
    escalatedTickets,
    byCompany,
    byCategory,
    byHour,
    byWeekday,
    tier3: { fleetShare, companiesAboveFleet, auditByCategory },
    functionalRuleCandidates,
  };
}
