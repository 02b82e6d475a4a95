import { z } from 'zod';
import { StatusCategorySchema, PriorityNameSchema } from './ticket.js';
/**
 * Stored per-ticket state handed to the engine (SPEC §4 "Evaluate input"). Every field is optional:
 * defaults are tier entered at `createdAt`, status unchanged since `createdAt`, nothing fired, counts 0.
 */
export const TicketStateSchema = z
    .object({
    /** When the ticket entered its current (derived) tier: the start of the current tier visit. */
    tierSince: z.string().optional(),
    statusHistory: z.array(z.object({ category: StatusCategorySchema, at: z.string() })).optional(),
    /** Our reassigns (counted for `maxAutoEscalationsPerDay`, rolling 24 h) — also count as fired rules. */
    escalations: z
        .array(z.object({ rule: z.string(), kind: z.string().optional(), tier: z.string().nullable().optional(), at: z.string() }))
        .optional(),
    /** Every rule that fired (or was proposed in observe mode), for once-per-visit / once-per-clock guards. */
    fired: z
        .array(z.object({
        rule: z.string(),
        at: z.string(),
        tier: z.string().nullable().optional(),
        clocks: z.array(z.enum(['firstResponse', 'resolution'])).optional(),
    }))
        .optional(),
    lastManualChangeAt: z.string().optional(),
    recurringCount: z.number().int().min(0).optional(),
    /**
     * Counts per `recurring` window (key: `recurringKey(within, same)`), for policies whose rules use more than one
     * window; a window missing here falls back to `recurringCount`.
     */
    recurringCounts: z.record(z.string(), z.number().int().min(0)).optional(),
    groupCursors: z.record(z.string(), z.number().int().min(0)).optional(),
    memberLoads: z.record(z.string(), z.number().min(0)).optional(),
});
export const PrioritySchema = PriorityNameSchema;
//# sourceMappingURL=decision.js.map