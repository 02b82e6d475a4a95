import { z } from 'zod';

import { StatusCategorySchema } from './ticket.js';
import type { Location, RuleKind } from './config.js';
import type { PriorityName } from './ticket.js';

/**
 * The engine's output (docs/spec.md §4). An external contract: the API, the audit trail and users' tooling read it.
 * `text` fields are for humans; `matched` is the contract.
 */
export interface ReassignAction {
  type: 'reassign';
  rule: string;
  /** The tier of the target location (null when the location is under no tier). */
  tier: string | null;
  group?: string;
  /** The group member picked by the group's strategy (a name from `groups`); absent → owner unchanged. */
  owner?: string;
  /** Where the ticket goes in this PSA (the group's location, else the tier's first location). */
  location: Location;
  from: { tier: string | null; owner: string | null };
}
export interface PriorityAction {
  type: 'priority';
  rule: string;
  priority: PriorityName;
}
export interface NoteAction {
  type: 'note';
  rule: string;
  visibility: 'internal' | 'customer';
  /** `handoff` | `internal` | `customer` | `blocked` | a template name */
  template: string;
  text: string;
  /** Customer notes that promise the next update ("Next update by …"): the promised instant (`updateOverdue`). */
  promisedUpdateBy?: string;
}
export interface NotifyAction {
  type: 'notify';
  rule: string;
  notifier: string;
}
export interface TagAction {
  type: 'tag';
  rule: string;
  tag: string;
}
export type Action = ReassignAction | PriorityAction | NoteAction | NotifyAction | TagAction;

export type Suppression = 'manual_hold' | 'daily_limit' | 'handoff_incomplete';

export interface Reason {
  rule: string;
  kind: RuleKind;
  text: string;
  matched: Record<string, unknown>;
  suppressed?: Suppression;
  /** The group had no member mapped in this PSA: the ticket moves with its owner unchanged. */
  ownerUnmapped?: boolean;
  /**
   * Rules whose `when` uses `slaUsed`: the clocks whose threshold was met (empty when the rule held through another
   * branch). Recorded in `state.fired[].clocks`, since such a rule fires at most once per ticket per clock.
   */
  clocks?: ('firstResponse' | 'resolution')[];
}

export interface NearMiss {
  rule: string;
  text: string;
  matched: Record<string, unknown>;
}

export interface Clock {
  targetMinutes: number;
  dueAt: string;
  elapsedMinutes: number;
  usedPct: number;
  breached: boolean;
  paused: boolean;
  stopped: boolean;
}

export interface Decision {
  actions: Action[];
  reasons: Reason[];
  nearMisses: NearMiss[];
  clocks: { firstResponse?: Clock; resolution?: Clock };
  nextCheckAt: string | null;
}

/**
 * Stored per-ticket state handed to the engine (docs/spec.md §4 "Evaluate input"). Every field is optional:
 * defaults are tier entered at `createdAt`, status unchanged since `createdAt`, nothing fired, counts 0.
 */
export const TicketStateSchema = z.object({
  /** When the ticket entered its current (derived) tier: the start of the current tier visit. */
  tierSince: z.string().optional(),
  statusHistory: z.array(z.object({ category: StatusCategorySchema, at: z.string() })).optional(),
  /** Our reassigns (counted for `maxAutoEscalationsPerDay`, rolling 24 h) — also count as fired rules. */
  escalations: z
    .array(
      z.object({
        rule: z.string(),
        kind: z.string().optional(),
        tier: z.string().nullable().optional(),
        at: z.string(),
      }),
    )
    .optional(),
  /** Every rule that fired (or was proposed in observe mode), for once-per-visit / once-per-clock guards. */
  fired: z
    .array(
      z.object({
        rule: z.string(),
        at: z.string(),
        tier: z.string().nullable().optional(),
        clocks: z.array(z.enum(['firstResponse', 'resolution'])).optional(),
      }),
    )
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
  /** Latest instant the ticket's owner was seen working it (note, time entry, status change): ends a handoff. */
  ownerActivityAt: z.string().optional(),
  /** Our latest customer note's "Next update by" promise: when it was made and the promised instant. */
  updatePromise: z.object({ madeAt: z.string(), by: z.string() }).optional(),
  /** The RCA after an emergency / tier arrival (`policy.rca`): when it was requested, and when we flagged it overdue. */
  rca: z.object({ requestedAt: z.string(), overdueNotifiedAt: z.string().optional() }).optional(),
  /** Latest customer-visible note by a person (not us, not the contact): keeps a promise made before it. */
  customerUpdateAt: z.string().optional(),
});
// Not strict: unknown keys from API callers are dropped rather than refused (inputs are hints of stored state).
export type TicketState = z.infer<typeof TicketStateSchema>;
