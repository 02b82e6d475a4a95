/**
 * The escalation engine's public entry point (docs/spec.md §2–§4). Pure and synchronous: `compilePolicy` once per instance,
 * then `evaluate` per ticket and instant.
 */
import { deriveTier } from '../contract/index.js';
import type { Decision, Location, Ticket, TicketState } from '../contract/index.js';
import type { CompiledInstance } from './types.js';

export { compilePolicy, PolicyCompileError } from './compile.js';
export { evaluate } from './evaluate.js';
export type { EvaluateInput } from './evaluate.js';
export { EvaluateTicketSchema, EvaluateRequestSchema } from './ticket-input.js';
export type { EvaluateRequest } from './ticket-input.js';
export { renderHandoffNote, renderCustomerNote, renderInternalNote, missingSections } from './notes.js';
export type { HandoffNoteInput, NoteClock } from './notes.js';
export { nextCursor, oncallIndex } from './ownership.js';
export { tokenize } from './text.js';
export { isoMillis } from './format.js';
export type { CompiledPolicy, CompileInput, CompiledInstance } from './types.js';

/** The ticket's tier: `ticket.tier` when given, else derived from its location and `mapping.tiers` (else null). */
export function deriveTicketTier(ticket: Ticket, instance: CompiledInstance): string | null {
  if (typeof ticket.tier === 'string') return ticket.tier;
  const tiers: Record<string, Location[]> = {};
  for (const [tier, locations] of Object.entries(instance.tierLocations)) tiers[tier] = [...locations];
  return deriveTier(ticket, tiers, instance.locationKeys);
}

type FiredEntry = NonNullable<TicketState['fired']>[number];

/**
 * The `state.fired` entries to record after a decision was applied (or proposed, in observe mode): every matching
 * rule except the suppressed winner (a hold, the daily limit or an incomplete handoff must not use up its visit).
 * `tier` is the tier the ticket was in when the rule fired (the visit it belongs to); slaUsed rules carry `clocks`.
 */
export function firedEntries(decision: Decision, args: { tier: string | null; at: string }): FiredEntry[] {
  return decision.reasons
    .filter((r) => r.suppressed === undefined)
    .map((r) => ({ rule: r.rule, at: args.at, tier: args.tier, ...(r.clocks ? { clocks: r.clocks } : {}) }));
}
