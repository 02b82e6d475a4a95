import { z } from 'zod';

import { InstantString } from './common.js';

// The Decision of docs/spec.md §4 as the API returns it. Fields the engine adds must be added here too (unknown keys are
// stripped from responses: nothing internal leaks by accident).

const LocationSchema = z.record(z.string(), z.union([z.number(), z.string()]));
const ruleAction = <L extends string, T extends z.ZodRawShape>(type: L, shape: T) =>
  z.object({ type: z.literal(type), rule: z.string(), ...shape });

export const ActionSchema = z.discriminatedUnion('type', [
  ruleAction('reassign', {
    tier: z.string().nullable(),
    group: z.string().optional(),
    owner: z.string().optional(),
    location: LocationSchema,
    from: z.object({ tier: z.string().nullable(), owner: z.string().nullable() }),
  }),
  ruleAction('priority', { priority: z.string() }),
  ruleAction('note', {
    visibility: z.enum(['internal', 'customer']),
    template: z.string(),
    text: z.string(),
    promisedUpdateBy: z.string().optional(),
  }),
  ruleAction('notify', { notifier: z.string() }),
  ruleAction('tag', { tag: z.string() }),
]);

export const ClockSchema = z.object({
  targetMinutes: z.number(),
  dueAt: InstantString,
  elapsedMinutes: z.number(),
  usedPct: z.number(),
  breached: z.boolean(),
  paused: z.boolean(),
  stopped: z.boolean(),
});

export const ClocksSchema = z.object({ firstResponse: ClockSchema.optional(), resolution: ClockSchema.optional() });

export const DecisionSchema = z.object({
  actions: z.array(ActionSchema),
  reasons: z.array(
    z.object({
      rule: z.string(),
      kind: z.string(),
      text: z.string(),
      matched: z.record(z.string(), z.unknown()).describe('The contract: the values that made the rule match'),
      suppressed: z.enum(['manual_hold', 'daily_limit', 'handoff_incomplete']).optional(),
      ownerUnmapped: z.boolean().optional(),
      clocks: z
        .array(z.enum(['firstResponse', 'resolution']))
        .optional()
        .describe('slaUsed rules: the clocks whose threshold was met'),
    }),
  ),
  nearMisses: z.array(z.object({ rule: z.string(), text: z.string(), matched: z.record(z.string(), z.unknown()) })),
  clocks: ClocksSchema,
  nextCheckAt: InstantString.nullable(),
});
