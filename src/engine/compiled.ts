import type { Comparison, HandoffSection, Location, RuleKind, StatusCategory, Then } from '../contract/index.js';
import type { CategoryPattern } from './category.js';
import type { LocationMatcher } from './location-match.js';
import type { CompiledRca } from './rca.js';
import type { Phrase } from './text.js';
import type { BusinessCalendar, CompiledPolicy } from './types.js';

/**
 * The engine's compiled form of a policy: condition trees with pre-tokenized phrases and pre-split category
 * patterns, move targets resolved against the instance mapping, templates pre-parsed. Built once by
 * `compilePolicy`; `evaluate` only walks it.
 */

export type ClockName = 'firstResponse' | 'resolution';
export const clockNames: readonly ClockName[] = ['firstResponse', 'resolution'];

/** Fields shared by every leaf: a global index into the per-evaluation leaf cache. */
interface LeafBase {
  readonly id: number;
}
export interface TierLeaf extends LeafBase {
  readonly k: 'tier';
  readonly tiers: readonly string[];
}
export interface PriorityLeaf extends LeafBase {
  readonly k: 'priority';
  readonly levels: readonly number[];
}
export interface StatusLeaf extends LeafBase {
  readonly k: 'status';
  readonly categories: readonly StatusCategory[];
  readonly not: boolean;
}
export interface TextLeaf extends LeafBase {
  readonly k: 'text';
  readonly phrases: readonly Phrase[];
  /** All phrases at once (does any match?). */
  readonly any: RegExp;
  /** One per phrase (which one matched first, for reasons). */
  readonly each: readonly RegExp[];
}
export interface CategoryLeaf extends LeafBase {
  readonly k: 'category';
  readonly patterns: readonly CategoryPattern[];
}
export interface UsersLeaf extends LeafBase {
  readonly k: 'usersAffected';
  readonly cmp: Comparison;
}
export interface VipLeaf extends LeafBase {
  readonly k: 'vip';
  readonly value: boolean;
}
export interface OwnerLeaf extends LeafBase {
  readonly k: 'owner';
}
export interface RecurringLeaf extends LeafBase {
  readonly k: 'recurring';
  readonly count: number;
  /** `recurringKey(within, same)`: which count of `state.recurringCounts` this condition reads. */
  readonly key: string;
  /** `same` names company: a ticket without a company id never matches. */
  readonly needCompany: boolean;
  /** `same` names category: a ticket without a category never matches. */
  readonly needCategory: boolean;
}
/** `age` / `timeInTier`: business time in the ticket's clock calendar, threshold in ms. */
export interface DurationLeaf extends LeafBase {
  readonly k: 'age' | 'timeInTier';
  readonly ms: number;
}
export interface SlaLeaf extends LeafBase {
  readonly k: 'slaUsed';
  readonly clock: ClockName | 'any';
  readonly pct: number;
}
export interface OutsideLeaf extends LeafBase {
  readonly k: 'outsideCalendar';
  readonly name: string;
  readonly calendar: BusinessCalendar;
}

/** `notPickedUpFor`: business ms after our latest move without owner activity. */
export interface PickupLeaf extends LeafBase {
  readonly k: 'notPickedUp';
  readonly ms: number;
}
/** `updateOverdue: true`: the open update promise's instant has passed. */
export interface PromiseLeaf extends LeafBase {
  readonly k: 'updateOverdue';
}

export type StaticLeaf =
  TierLeaf | PriorityLeaf | StatusLeaf | TextLeaf | CategoryLeaf | UsersLeaf | VipLeaf | OwnerLeaf | RecurringLeaf;
/** Leaves whose truth depends on `now` (the others depend on the ticket and state only). */
export type TimeLeaf = DurationLeaf | SlaLeaf;
/** Follow-through leaves (follow.ts): false for good once the owner acts / the update is written. */
export type FollowLeaf = PickupLeaf | PromiseLeaf;
export type Leaf = StaticLeaf | TimeLeaf | OutsideLeaf | FollowLeaf;
export type CondNode =
  | Leaf
  | { readonly k: 'all'; readonly items: readonly CondNode[] }
  | { readonly k: 'any'; readonly items: readonly CondNode[] };

/** Where a move sends the ticket in this instance. */
export interface MoveTarget {
  readonly tier: string | null;
  /** Index in `tiers` (-1 for a location under no tier). */
  readonly tierIndex: number;
  readonly location: Location;
  /** `location`, compiled for matching against tickets. */
  readonly matcher: LocationMatcher;
  /** The receiving group (its strategy picks the owner); absent → owner unchanged. */
  readonly group?: string;
}

/**
 * A rule's move, resolved at compile time where it does not depend on the ticket:
 * `fixed` (escalateTo a tier and/or group; target null = unmapped here → notify only), `next`, or none.
 */
export type MoveSpec =
  | { readonly k: 'none' }
  | { readonly k: 'fixed'; readonly target: MoveTarget | null; readonly groupOnly: boolean }
  | { readonly k: 'next'; readonly group?: string };

/** A group's `assign` strategy, with the on-call rotation's instants pre-parsed. */
export type OwnerStrategy =
  | { readonly k: 'none' }
  | { readonly k: 'round-robin' | 'least-loaded'; readonly members: readonly string[] }
  | { readonly k: 'oncall'; readonly members: readonly string[]; readonly start: number; readonly every: number };

export type TemplatePart = string | { readonly path: readonly string[] };

export interface CompiledRule {
  readonly index: number;
  readonly id: string;
  readonly kind: RuleKind;
  readonly when: CondNode;
  readonly then: Then;
  readonly notify: readonly string[];
  readonly move: MoveSpec;
  /** The rule's `when` uses `slaUsed`: guarded once per ticket per clock instead of once per visit. */
  readonly usesSla: boolean;
  readonly timeLeaves: readonly TimeLeaf[];
  /** Pre-parsed template when `note` names one of `templates`. */
  readonly template?: readonly TemplatePart[];
}

export interface EngineData {
  readonly rules: readonly CompiledRule[];
  readonly tierIndex: ReadonlyMap<string, number>;
  /** Per tier index: where `escalateTo: <tier>` / `next` lands (null when the tier is unmapped in this instance). */
  readonly tierTargets: readonly (MoveTarget | null)[];
  /** Group name → its target (only groups mapped in this instance). */
  readonly groupTargets: ReadonlyMap<string, MoveTarget>;
  /** Group name → how it picks an owner. */
  readonly owners: ReadonlyMap<string, OwnerStrategy>;
  /** Tier locations in derivation order: more keys first (the more specific location wins). */
  readonly tierMatchers: readonly TierMatcher[];
  /** Ids of the rules whose `when` uses slaUsed. */
  readonly slaRules: ReadonlySet<string>;
  /** `policy.rca`, compiled (null: no RCA follow-up). */
  readonly rca: CompiledRca | null;
  /** Ids of the rules whose `when` uses updateOverdue (they fire once per promise, not once per visit). */
  readonly promiseRules: ReadonlySet<string>;
  readonly defaultCalendar: BusinessCalendar;
  /** `calendarFor`, in file order: company or site ids/names (trimmed, lower-case) → calendar name. */
  readonly calendarFor: readonly CalendarRoute[];
  readonly required: readonly HandoffSection[];
}

export interface CalendarRoute {
  readonly key: 'company' | 'site';
  readonly values: ReadonlySet<string>;
  readonly calendar: string;
}

/** One mapped tier location, compiled for tier derivation. */
export interface TierMatcher {
  readonly tier: string;
  readonly tierIndex: number;
  readonly location: Location;
  readonly keys: number;
  readonly matcher: LocationMatcher;
}

/** What `compilePolicy` returns: the public `CompiledPolicy` plus the engine's compiled data. */
export interface EnginePolicy extends CompiledPolicy {
  readonly engine: EngineData;
}

/** Narrows a `CompiledPolicy` to one built by `compilePolicy` (objects assembled by hand lack the compiled rules). */
export function isEnginePolicy(policy: CompiledPolicy): policy is EnginePolicy {
  return typeof (policy as Partial<EnginePolicy>).engine === 'object';
}
