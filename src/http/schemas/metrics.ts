import { z } from 'zod';

import { InstantString } from './common.js';

// GET /api/metrics/escalations (docs/spec.md §5 "Escalation metrics"); mirrors src/pipeline/metrics/escalation-metrics.ts.

const Fraction = z.number().min(0).max(1).describe('Fraction 0..1 with 4 decimals (0 when the denominator is 0)');

export const TierMetricsSchema = z.object({
  tickets: z.number().int().describe('Tickets with a visit to the tier overlapping [from, to)'),
  escalated: z.number().int().describe('Tickets we moved up out of the tier in the window'),
  escalationRate: Fraction,
  reEscalationRate: Fraction.describe('Escalated tickets escalated again by us or moved down by a human afterwards / escalated'),
  timeToEscalateMedianMin: z.number().nullable().describe('Median business minutes from tier entry to our move (null: no escalation)'),
  handoffDelayMedianMin: z
    .number()
    .nullable()
    .describe('Median real minutes from our move to the first note or version by the new owner (moves without one excluded)'),
  nearMisses: z.number().int().describe('Near misses (first per rule and visit) while in the tier, in the window'),
  proposed: z.number().int().describe('Observe mode: tickets we would have moved up out of the tier in the window (not in `escalated`)'),
  proposedRate: Fraction.describe('proposed / tickets'),
});

export const EscalationMetricsSchema = z.object({
  instance: z.string(),
  from: InstantString,
  to: InstantString,
  tiers: z.record(z.string(), TierMetricsSchema),
  overEscalation: z.object({ rate: Fraction.describe('escalated(T1) / tickets(T1)'), warn: z.boolean().describe('rate above 0.40') }),
  fcr: Fraction.describe('Tickets resolved without ever leaving T1 / tickets resolved, in the window'),
  mttrMin: z.number().nullable().describe('Mean real minutes createdAt → resolvedAt of tickets resolved in the window (null: none)'),
  slaAttainment: z.object({ firstResponse: Fraction, resolution: Fraction }).describe('Clocks stopped in the window within target / clocks stopped'),
  slaDisagreements: z
    .object({
      firstResponse: z.number().int().describe('Tickets whose PSA first-response due date and ours differed by more than the tolerance'),
      resolution: z.number().int().describe('Tickets whose PSA resolution due date and ours differed by more than the tolerance'),
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

export const AggregateEscalationMetricsSchema = EscalationMetricsSchema.extend({
  instance: z.null().describe('null: every configured instance together'),
  tier3Audit: z
    .array(z.object({ instance: z.string(), ticketId: z.string(), arrivedAt: InstantString, resolvedAt: InstantString }))
    .describe('Tier 3 audit of every instance (each row names its instance)'),
  byInstance: z.record(z.string(), EscalationMetricsSchema).describe('The same metrics of each instance on its own'),
});

export const EscalationMetricsQuerySchema = z.object({
  instance: z.string().min(1).optional().describe('Instance id; omitted: every instance together (`instance: null`) plus `byInstance`'),
  from: z.iso.datetime({ offset: true }).optional().describe('Window start, inclusive (default: 7 days before `to`)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Window end, exclusive (default: now)'),
});
