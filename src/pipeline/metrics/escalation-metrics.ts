import type { HistoryMove, MetricsHistory } from '../../store/metrics-history-store.js';

/**
 * docs/spec.md §5 "Escalation metrics", computed by one pure function from ticket histories (escalation-metrics-history.ts).
 * Every definition follows docs/spec.md; where it is silent the choice is written next to the code:
 * - a visit ends at the next tier change or when the ticket ends (resolved/closed/gone), so a ticket resolved long ago
 *   does not count in every later window;
 * - the per-tier population of `reEscalationRate`, `timeToEscalateMedianMin` and `handoffDelayMedianMin` is the
 *   tier's `escalated` moves (our moves up out of T in the window);
 * - `nearMisses` counts the first near miss of each rule per visit to T, seen in the window;
 * - medians and MTTR are `null` when there is no sample (rates are 0, as the docs/spec.md says);
 * - `slaDisagreements` (issue 13) counts distinct tickets, not evaluations, like `psa_escalator_sla_disagreements_total`.
 */

export interface TierMetrics {
  tickets: number;
  escalated: number;
  escalationRate: number;
  reEscalationRate: number;
  timeToEscalateMedianMin: number | null;
  handoffDelayMedianMin: number | null;
  nearMisses: number;
  /** Observe mode: tickets we would have moved up out of T in the window (not part of `escalated`). */
  proposed: number;
  /** proposed / tickets. */
  proposedRate: number;
}

export interface EscalationMetrics {
  instance: string;
  from: string;
  to: string;
  tiers: Record<string, TierMetrics>;
  overEscalation: { rate: number; warn: boolean };
  fcr: number;
  mttrMin: number | null;
  slaAttainment: { firstResponse: number; resolution: number };
  /** Tickets whose PSA due date and ours were further apart than the tolerance in the window, per clock and either. */
  slaDisagreements: { firstResponse: number; resolution: number; tickets: number };
  tier3Audit: { ticketId: string; arrivedAt: string; resolvedAt: string }[];
}

export interface MetricsWindow {
  instance: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  /** `tiers:` in order (T1 first). */
  tiers: readonly string[];
}

/** `warn` above this share of T1 tickets escalated (docs/spec.md §5). */
export const OVER_ESCALATION_WARN = 0.4;
/** Tier 3 audit: resolved at most this long after arriving. */
export const TIER3_AUDIT_MS = 30 * 60_000;

const MINUTE = 60_000;
/** Instants are written `YYYY-MM-DDTHH:mm:ssZ` (docs/spec.md §2). */
const instant = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const round = (x: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(x * f) / f;
};
/** A fraction 0..1 with 4 decimals, 0 when the denominator is 0. */
export const fraction = (num: number, den: number): number => (den === 0 ? 0 : round(num / den, 4));

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Visit {
  tier: string | null;
  start: number;
  /** Exclusive; Infinity while the ticket is open in this tier. */
  end: number;
  /** The move that began the visit (none for the first). */
  entry?: HistoryMove;
}

/** The visits of one ticket, in order. */
export function visitsOf(h: MetricsHistory): Visit[] {
  const out: Visit[] = [];
  let tier = h.initialTier;
  let start = Date.parse(h.createdAt);
  let entry: HistoryMove | undefined;
  for (const m of h.moves) {
    const at = Date.parse(m.at);
    out.push({ tier, start, end: at, ...(entry ? { entry } : {}) });
    tier = m.to;
    start = at;
    entry = m;
  }
  const ended = h.endedAt === undefined ? Infinity : Math.max(start, Date.parse(h.endedAt));
  out.push({ tier, start, end: ended, ...(entry ? { entry } : {}) });
  return out;
}

const rankIn =
  (tiers: readonly string[]) =>
  (tier: string | null): number =>
    tier === null ? -1 : tiers.indexOf(tier);
const inWindow = (ms: number, w: MetricsWindow) => ms >= w.from && ms < w.to;

/** Our moves up out of `tier` in the window (one ticket may have several). */
function escalationsOutOf(
  h: MetricsHistory,
  tier: string,
  w: MetricsWindow,
  rank: (t: string | null) => number,
): HistoryMove[] {
  return h.moves.filter(
    (m) => m.by === 'us' && m.from === tier && rank(m.to) > rank(m.from) && inWindow(Date.parse(m.at), w),
  );
}

/** Re-escalation: after `move`, and before the window's end, we moved the ticket up again or a human moved it down. */
function reEscalated(
  h: MetricsHistory,
  move: HistoryMove,
  w: MetricsWindow,
  rank: (t: string | null) => number,
): boolean {
  const after = Date.parse(move.at);
  return h.moves.some((m) => {
    const at = Date.parse(m.at);
    if (m === move || at < after || at >= w.to) return false;
    const up = rank(m.to) > rank(m.from);
    return (m.by === 'us' && up) || (m.by === 'human' && rank(m.to) < rank(m.from));
  });
}

function tierMetrics(
  histories: readonly MetricsHistory[],
  tier: string,
  w: MetricsWindow,
  rank: (t: string | null) => number,
): TierMetrics {
  const tickets = new Set<string>();
  const escalated = new Set<string>();
  const reEscalatedTickets = new Set<string>();
  const toEscalate: number[] = [];
  const handoff: number[] = [];
  let nearMisses = 0;
  const proposed = new Set<string>();
  for (const h of histories) {
    for (const p of h.proposals ?? []) {
      if (p.from === tier && rank(p.to) > rank(p.from) && inWindow(Date.parse(p.at), w)) proposed.add(h.ticketId);
    }
    if (visitsOf(h).some((v) => v.tier === tier && v.start < w.to && v.end > w.from)) tickets.add(h.ticketId);
    for (const m of escalationsOutOf(h, tier, w, rank)) {
      tickets.add(h.ticketId);
      escalated.add(h.ticketId);
      if (reEscalated(h, m, w, rank)) reEscalatedTickets.add(h.ticketId);
      if (m.businessMinutes !== undefined) toEscalate.push(m.businessMinutes);
      if (m.handoffAt !== undefined) handoff.push((Date.parse(m.handoffAt) - Date.parse(m.at)) / MINUTE);
    }
    nearMisses += h.nearMisses.filter((n) => n.tier === tier && inWindow(Date.parse(n.at), w)).length;
  }
  const ttm = median(toEscalate);
  const hm = median(handoff);
  return {
    tickets: tickets.size,
    escalated: escalated.size,
    escalationRate: fraction(escalated.size, tickets.size),
    reEscalationRate: fraction(reEscalatedTickets.size, escalated.size),
    timeToEscalateMedianMin: ttm === null ? null : round(ttm, 2),
    handoffDelayMedianMin: hm === null ? null : round(hm, 2),
    nearMisses,
    proposed: proposed.size,
    proposedRate: fraction(proposed.size, tickets.size),
  };
}

/** Resolved in the window: FCR (never left T1) and MTTR (mean real minutes createdAt → resolvedAt). */
function resolution(histories: readonly MetricsHistory[], w: MetricsWindow): { fcr: number; mttrMin: number | null } {
  const first = w.tiers[0];
  let resolved = 0;
  let firstContact = 0;
  let totalMinutes = 0;
  for (const h of histories) {
    if (h.resolvedAt === undefined || !inWindow(Date.parse(h.resolvedAt), w)) continue;
    resolved += 1;
    totalMinutes += (Date.parse(h.resolvedAt) - Date.parse(h.createdAt)) / MINUTE;
    // Unmapped (null) stretches are untriaged time, not another tier: a ticket routed into T1 and solved there counts.
    const tiers = visitsOf(h)
      .map((v) => v.tier)
      .filter((t) => t !== null);
    if (first !== undefined && tiers.length > 0 && tiers.every((t) => t === first)) firstContact += 1;
  }
  return { fcr: fraction(firstContact, resolved), mttrMin: resolved === 0 ? null : round(totalMinutes / resolved, 2) };
}

/** Clocks stopped in the window within target / clocks stopped in the window, per clock. */
function slaAttainment(histories: readonly MetricsHistory[], w: MetricsWindow): EscalationMetrics['slaAttainment'] {
  const count = { firstResponse: [0, 0], resolution: [0, 0] };
  for (const h of histories) {
    for (const s of h.clockStops) {
      if (!inWindow(Date.parse(s.at), w)) continue;
      const c = count[s.clock];
      c[1]! += 1;
      if (s.met) c[0]! += 1;
    }
  }
  return {
    firstResponse: fraction(count.firstResponse[0]!, count.firstResponse[1]!),
    resolution: fraction(count.resolution[0]!, count.resolution[1]!),
  };
}

/**
 * Tickets with a disagreement run (consecutive evaluations beyond `slaDriftTolerance`, first to last, inclusive)
 * overlapping [from, to): seen disagreeing in the window, or still disagreeing at its start. Distinct tickets per clock,
 * and tickets with either.
 */
function slaDisagreements(
  histories: readonly MetricsHistory[],
  w: MetricsWindow,
): EscalationMetrics['slaDisagreements'] {
  const by = { firstResponse: new Set<string>(), resolution: new Set<string>() };
  const tickets = new Set<string>();
  for (const h of histories) {
    for (const r of h.slaDisagreements ?? []) {
      if (Date.parse(r.from) >= w.to || Date.parse(r.to) < w.from) continue;
      by[r.clock].add(h.ticketId);
      tickets.add(h.ticketId);
    }
  }
  return { firstResponse: by.firstResponse.size, resolution: by.resolution.size, tickets: tickets.size };
}

/** Tickets moved up into T3 (by us or a human) and resolved there within 30 real minutes of arriving, resolved in the window. */
function tier3Audit(
  histories: readonly MetricsHistory[],
  w: MetricsWindow,
  rank: (t: string | null) => number,
): EscalationMetrics['tier3Audit'] {
  const t3 = w.tiers[2];
  if (t3 === undefined) return [];
  const out: EscalationMetrics['tier3Audit'] = [];
  for (const h of histories) {
    if (h.resolvedAt === undefined) continue;
    const resolvedMs = Date.parse(h.resolvedAt);
    if (!inWindow(resolvedMs, w)) continue;
    const last = visitsOf(h).at(-1);
    const entry = last?.entry;
    if (!last || last.tier !== t3 || !entry || rank(entry.from) >= rank(t3)) continue;
    if (entry.by === 'human' && entry.from === null) continue; // triage of an unrouted ticket, not an escalation
    if (resolvedMs - last.start <= TIER3_AUDIT_MS)
      out.push({ ticketId: h.ticketId, arrivedAt: instant(last.start), resolvedAt: instant(resolvedMs) });
  }
  return out.sort((a, b) => (a.arrivedAt < b.arrivedAt ? -1 : a.arrivedAt > b.arrivedAt ? 1 : 0));
}

/** docs/spec.md §5 escalation metrics of one instance over [from, to). */
export function computeEscalationMetrics(histories: readonly MetricsHistory[], w: MetricsWindow): EscalationMetrics {
  const rank = rankIn(w.tiers);
  const own = histories.filter((h) => h.instanceId === w.instance);
  const tiers: Record<string, TierMetrics> = {};
  for (const t of w.tiers) tiers[t] = tierMetrics(own, t, w, rank);
  const first = w.tiers[0] === undefined ? undefined : tiers[w.tiers[0]];
  const rate = first ? first.escalationRate : 0;
  return {
    instance: w.instance,
    from: instant(w.from),
    to: instant(w.to),
    tiers,
    overEscalation: { rate, warn: rate > OVER_ESCALATION_WARN },
    ...resolution(own, w),
    slaAttainment: slaAttainment(own, w),
    slaDisagreements: slaDisagreements(own, w),
    tier3Audit: tier3Audit(own, w, rank),
  };
}
