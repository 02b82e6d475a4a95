import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import type { EscalationMetrics } from './escalation-metrics.js';
import type { EscalationMetricsService } from './escalation-metrics-service.js';
import type { FollowThroughMetrics } from './follow-through-metrics.js';

/** Names of the escalation-metrics gauges (the Grafana dashboard and its test use them). */
export const escalationGaugeNames = {
  tierTickets: 'psa_escalator_tier_tickets',
  tierEscalated: 'psa_escalator_tier_escalated',
  tierEscalationRate: 'psa_escalator_tier_escalation_rate',
  tierReEscalationRate: 'psa_escalator_tier_re_escalation_rate',
  tierTimeToEscalate: 'psa_escalator_tier_time_to_escalate_median_minutes',
  tierHandoffDelay: 'psa_escalator_tier_handoff_delay_median_minutes',
  tierNearMisses: 'psa_escalator_tier_near_misses',
  tierProposed: 'psa_escalator_tier_proposed',
  overEscalationRate: 'psa_escalator_over_escalation_rate',
  overEscalationWarn: 'psa_escalator_over_escalation_warn',
  fcr: 'psa_escalator_first_contact_resolution_rate',
  mttr: 'psa_escalator_mttr_minutes',
  slaAttainment: 'psa_escalator_sla_attainment_rate',
  tier3Audit: 'psa_escalator_tier3_audit_tickets',
  reviewAppropriate: 'psa_escalator_review_appropriate_ratio',
  reviewed: 'psa_escalator_reviewed_escalations',
  rcaRequired: 'psa_escalator_rca_required',
  rcaOverdue: 'psa_escalator_rca_overdue',
  rcaCompletion: 'psa_escalator_rca_completion_rate',
} as const;

export interface EscalationGaugeOptions {
  registry: Registry;
  service: Pick<EscalationMetricsService, 'query'>;
  instances: readonly string[];
  /** Rolling window the gauges describe. @defaultValue 24 h */
  windowMs?: number;
  /** Results are reused for this long, so frequent scrapes stay cheap. @defaultValue 30 s */
  cacheMs?: number;
  now?: () => number;
  /** The follow-through block (reviews, RCA); its gauges use `followThroughWindowMs`. Absent: no such gauges. */
  followThrough?: (w: { from: number; to: number }) => Promise<{ byInstance: Record<string, FollowThroughMetrics> }>;
  /** Window of the review and RCA gauges (an RCA is due days after its request). @defaultValue 30 days */
  followThroughWindowMs?: number;
  /** The follow-through block scans the ticket records: it is recomputed at most this often. @defaultValue 5 min */
  followThroughCacheMs?: number;
}

/**
 * The docs/spec.md §5 escalation metrics as Prometheus gauges (per instance, and per tier where the docs/spec.md has tiers), over a
 * rolling window, computed at scrape time from the stored histories and cached for `cacheMs`. Medians and MTTR without
 * a sample are not exported (no series rather than a misleading 0).
 */
export function registerEscalationGauges(options: EscalationGaugeOptions): void {
  const windowMs = options.windowMs ?? 24 * 3_600_000;
  const cacheMs = options.cacheMs ?? 30_000;
  const ftWindowMs = options.followThroughWindowMs ?? 30 * 86_400_000;
  const ftCacheMs = options.followThroughCacheMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; results: EscalationMetrics[] } | undefined;
  let ftAt = -Infinity;
  let inflight: Promise<void> | undefined;
  // Every gauge awaits the same refresh (prom-client collects metrics in parallel).
  const refresh = async (): Promise<void> => {
    const t = now();
    if (cached && t - cached.at < cacheMs) return;
    inflight ??= (async () => {
      try {
        const [results, ft] = await Promise.all([
          Promise.all(
            options.instances.map((instance) => options.service.query({ instance, from: t - windowMs, to: t })),
          ),
          options.followThrough && t - ftAt >= ftCacheMs
            ? options.followThrough({ from: t - ftWindowMs, to: t })
            : undefined,
        ]);
        cached = { at: t, results };
        publish(gauges, results);
        if (ft && ftGauges) {
          ftAt = t;
          publishFollowThrough(ftGauges, ft.byInstance);
        }
      } catch {
        // Redis unavailable: keep the last values; /metrics must answer anyway.
      } finally {
        inflight = undefined;
      }
    })();
    await inflight;
  };
  const gauges = createGauges(options.registry, `${Math.round(windowMs / 3_600_000)}h`, refresh);
  const ftGauges = options.followThrough
    ? createFollowThroughGauges(options.registry, `${Math.round(ftWindowMs / 86_400_000)}d`, refresh)
    : undefined;
}

type Gauges = ReturnType<typeof createGauges>;
type FollowThroughGauges = ReturnType<typeof createFollowThroughGauges>;

/** The gauges, each collecting through `refresh`. */
function createGauges(registry: Registry, windowLabel: string, refresh: () => Promise<void>) {
  const reg = { registers: [registry] };
  const g = (name: string, help: string, labels: string[]) =>
    new Gauge({
      name,
      help: `${help} (rolling ${windowLabel} window)`,
      labelNames: labels,
      collect: () => refresh(),
      ...reg,
    });
  const n = escalationGaugeNames;
  const tierLabels = ['instance', 'tier'];
  return {
    tickets: g(n.tierTickets, 'Tickets with a visit to the tier', tierLabels),
    escalated: g(n.tierEscalated, 'Tickets we moved up out of the tier', tierLabels),
    rate: g(n.tierEscalationRate, 'Escalated / tickets per tier', tierLabels),
    reRate: g(n.tierReEscalationRate, 'Escalated tickets escalated again or moved down by a human', tierLabels),
    tte: g(n.tierTimeToEscalate, 'Median business minutes from tier entry to our move', tierLabels),
    handoff: g(n.tierHandoffDelay, "Median real minutes from our move to the new owner's first activity", tierLabels),
    near: g(n.tierNearMisses, 'Near misses per tier', tierLabels),
    proposed: g(n.tierProposed, 'Observe mode: tickets we would have moved up out of the tier', tierLabels),
    over: g(n.overEscalationRate, 'Share of T1 tickets escalated', ['instance']),
    overWarn: g(n.overEscalationWarn, '1 when the over-escalation rate is above 0.40', ['instance']),
    fcr: g(n.fcr, 'Tickets resolved without leaving T1 / tickets resolved', ['instance']),
    mttr: g(n.mttr, 'Mean real minutes from creation to resolution', ['instance']),
    sla: g(n.slaAttainment, 'SLA clocks stopped within target / clocks stopped', ['instance', 'clock']),
    t3: g(n.tier3Audit, 'Tickets escalated into T3 and resolved within 30 minutes', ['instance']),
  };
}

/** The review and RCA gauges (a longer window: an RCA is due days after its request). */
function createFollowThroughGauges(registry: Registry, windowLabel: string, refresh: () => Promise<void>) {
  const reg = { registers: [registry] };
  const g = (name: string, help: string) =>
    new Gauge({
      name,
      help: `${help} (rolling ${windowLabel} window)`,
      labelNames: ['instance'],
      collect: () => refresh(),
      ...reg,
    });
  const n = escalationGaugeNames;
  return {
    appropriate: g(
      n.reviewAppropriate,
      'Reviewed escalations judged appropriate / reviewed (no series before the first review)',
    ),
    reviewed: g(n.reviewed, 'Escalations given a review verdict'),
    rcaRequired: g(n.rcaRequired, 'RCAs requested after emergencies'),
    rcaOverdue: g(n.rcaOverdue, 'RCAs past their deadline without the RCA note'),
    rcaCompletion: g(n.rcaCompletion, 'RCAs done / required (no series before the first request)'),
  };
}

/** Replaces the review and RCA series with the latest follow-through block. */
function publishFollowThrough(gauges: FollowThroughGauges, byInstance: Record<string, FollowThroughMetrics>): void {
  for (const gauge of Object.values(gauges)) gauge.reset();
  for (const [instance, f] of Object.entries(byInstance)) {
    if (f.reviews.share !== null) gauges.appropriate.set({ instance }, f.reviews.share);
    gauges.reviewed.set({ instance }, f.reviews.reviewed);
    gauges.rcaRequired.set({ instance }, f.rca.required);
    gauges.rcaOverdue.set({ instance }, f.rca.overdue);
    if (f.rca.completionRate !== null) gauges.rcaCompletion.set({ instance }, f.rca.completionRate);
  }
}

/** Replaces every series with the latest results (no series for a median or MTTR without a sample). */
function publish(gauges: Gauges, results: EscalationMetrics[]): void {
  for (const gauge of Object.values(gauges)) gauge.reset();
  for (const m of results) {
    const instance = m.instance;
    for (const [tier, t] of Object.entries(m.tiers)) {
      const l = { instance, tier };
      gauges.tickets.set(l, t.tickets);
      gauges.escalated.set(l, t.escalated);
      gauges.rate.set(l, t.escalationRate);
      gauges.reRate.set(l, t.reEscalationRate);
      if (t.timeToEscalateMedianMin !== null) gauges.tte.set(l, t.timeToEscalateMedianMin);
      if (t.handoffDelayMedianMin !== null) gauges.handoff.set(l, t.handoffDelayMedianMin);
      gauges.near.set(l, t.nearMisses);
      gauges.proposed.set(l, t.proposed);
    }
    gauges.over.set({ instance }, m.overEscalation.rate);
    gauges.overWarn.set({ instance }, m.overEscalation.warn ? 1 : 0);
    gauges.fcr.set({ instance }, m.fcr);
    if (m.mttrMin !== null) gauges.mttr.set({ instance }, m.mttrMin);
    gauges.sla.set({ instance, clock: 'firstResponse' }, m.slaAttainment.firstResponse);
    gauges.sla.set({ instance, clock: 'resolution' }, m.slaAttainment.resolution);
    gauges.t3.set({ instance }, m.tier3Audit.length);
  }
}
