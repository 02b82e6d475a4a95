import { z } from 'zod';

import { InstantString } from './common.js';

// GET /api/metrics/escalations (docs/spec.md §5 "Escalation metrics"); mirrors src/pipeline/metrics/escalation-metrics.ts.

const Fraction = z.number().min(0).max(1).describe('Fraction 0..1 with 4 decimals (0 when the denominator is 0)');

export const TierMetricsSchema = z.object({
  tickets: z.number().int().describe('Tickets with a visit to the tier overlapping [from, to)'),
  escalated: z.number().int().describe('Tickets we moved up out of the tier in the window'),
  escalationRate: Fraction,
  reEscalationRate: Fraction.describe(
    'Escalated tickets escalated again by us or moved down by a human afterwards / escalated',
  ),
  timeToEscalateMedianMin: z
    .number()
    .nullable()
    .describe('Median business minutes from tier entry to our move (null: no escalation)'),
  handoffDelayMedianMin: z
    .number()
    .nullable()
    .describe(
      'Median real minutes from our move to the first note or version by the new owner (moves without one excluded)',
    ),
  nearMisses: z.number().int().describe('Near misses (first per rule and visit) while in the tier, in the window'),
  proposed: z
    .number()
    .int()
    .describe('Observe mode: tickets we would have moved up out of the tier in the window (not in `escalated`)'),
  proposedRate: Fraction.describe('proposed / tickets'),
});

const Share = z.number().min(0).max(1).describe('Fraction 0..1 with 3 decimals');

/** Issue 17: the follow-through block (src/pipeline/follow-through-metrics.ts), the same computation as `report --month`. */
export const FollowThroughMetricsSchema = z.object({
  reviews: z
    .object({
      reviewed: z.number().int().describe('Escalations (audit entries) given a verdict in the window'),
      appropriate: z.number().int(),
      share: Share.nullable().describe('appropriate / reviewed (null: none reviewed)'),
      byRule: z
        .record(z.string(), z.object({ reviewed: z.number().int(), appropriate: z.number().int(), share: Share }))
        .describe('Per rule (a review counts for every rule that acted in the reviewed decision)'),
    })
    .describe('Weekly review verdicts (`POST /api/escalations/:id/review`) made in the window'),
  rca: z
    .object({
      required: z.number().int().describe('RCAs requested in the window (emergencies resolved)'),
      done: z.number().int().describe("… completed by a note with the policy's `rca.heading`"),
      overdue: z.number().int().describe('… past `rca.within` without one (listed by `GET /api/escalations/rca`)'),
      open: z.number().int().describe('… neither yet'),
      completionRate: Share.nullable().describe('done / required (null: none required)'),
    })
    .describe('RCA after emergencies, for the requests made in the window'),
  breakdowns: z
    .object({
      byCompany: z.record(z.string(), z.number().int()).describe('Our moves in the window per company (name, else id)'),
      byCategory: z
        .record(z.string(), z.number().int())
        .describe('Our moves per top-level category (`(none)` without one)'),
      byHour: z
        .array(z.number().int())
        .length(24)
        .describe("Our moves per local hour 0..23 (the policy calendar's timezone)"),
      byWeekday: z.record(z.string(), z.number().int()).describe('Our moves per local weekday (mon..sun)'),
    })
    .describe('Our moves (escalations) in the window, broken down'),
  patterns: z
    .object({
      escalations: z.number().int().describe('Our moves in the window'),
      escalatedTickets: z.number().int().describe('Tickets with at least one'),
      tier3: z.object({
        fleetShare: Share.nullable().describe('Escalated tickets that reached Tier 3 / escalated tickets'),
        companiesAboveFleet: z
          .array(
            z.object({
              company: z.string(),
              escalatedTickets: z.number().int(),
              tier3Tickets: z.number().int(),
              share: Share,
            }),
          )
          .describe("Companies whose Tier 3 share is above the fleet's"),
        auditByCategory: z.record(z.string(), z.number().int()).describe('Tickets moved to Tier 3 per category'),
      }),
      functionalRuleCandidates: z
        .array(
          z.object({
            category: z.string(),
            tickets: z.number().int(),
            escalated: z.number().int(),
            rate: Share,
            suggestion: z.string(),
          }),
        )
        .describe('Categories escalating ≥ 80 % of the time (at least 3 tickets): candidates for a functional rule'),
    })
    .describe('The patterns the escalation guides ask managers to look for'),
});

const EscalationMetricsBaseSchema = z.object({
  instance: z.string(),
  from: InstantString,
  to: InstantString,
  tiers: z.record(z.string(), TierMetricsSchema),
  overEscalation: z.object({
    rate: Fraction.describe('escalated(T1) / tickets(T1)'),
    warn: z.boolean().describe('rate above 0.40'),
  }),
  fcr: Fraction.describe('Tickets resolved without ever leaving T1 / tickets resolved, in the window'),
  mttrMin: z
    .number()
    .nullable()
    .describe('Mean real minutes createdAt → resolvedAt of tickets resolved in the window (null: none)'),
  slaAttainment: z
    .object({ firstResponse: Fraction, resolution: Fraction })
    .describe('Clocks stopped in the window within target / clocks stopped'),
  slaDisagreements: z
    .object({
      firstResponse: z
        .number()
        .int()
        .describe('Tickets whose PSA first-response due date and ours differed by more than the tolerance'),
      resolution: z
        .number()
        .int()
        .describe('Tickets whose PSA resolution due date and ours differed by more than the tolerance'),
      tickets: z.number().int().describe('Distinct tickets with either'),
    })
    .describe(
      "Tickets whose PSA SLA due date and ours were further apart than the instance's `slaDriftTolerance` (default 5m) " +
        'at an evaluation in the window, or still were at its start',
    ),
  tier3Audit: z
    .array(z.object({ ticketId: z.string(), arrivedAt: InstantString, resolvedAt: InstantString }))
    .describe('Tickets escalated into T3 and resolved ≤ 30 real minutes after arriving (T1 runbook candidates)'),
});

export const EscalationMetricsSchema = EscalationMetricsBaseSchema.extend(FollowThroughMetricsSchema.shape);

export const AggregateEscalationMetricsSchema = EscalationMetricsSchema.extend({
  instance: z.null().describe('null: every configured instance together'),
  tier3Audit: z
    .array(
      z.object({ instance: z.string(), ticketId: z.string(), arrivedAt: InstantString, resolvedAt: InstantString }),
    )
    .describe('Tier 3 audit of every instance (each row names its instance)'),
  byInstance: z.record(z.string(), EscalationMetricsSchema).describe('The same metrics of each instance on its own'),
});

export const EscalationMetricsQuerySchema = z.object({
  instance: z
    .string()
    .min(1)
    .optional()
    .describe('Instance id; omitted: every instance together (`instance: null`) plus `byInstance`'),
  from: z.iso.datetime({ offset: true }).optional().describe('Window start, inclusive (default: 7 days before `to`)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Window end, exclusive (default: now)'),
});
