import { categoryMatches } from './category.js';
import { clockNames } from './compiled.js';
import type { ClockName, CondNode, Leaf, RecurringLeaf, SlaLeaf, StaticLeaf, TimeLeaf } from './compiled.js';
import {
  ageMs,
  categoryOf,
  durationReachedAt,
  exactPct,
  pctReachedAt,
  runningClock,
  textMatches,
  timeInTierMs,
} from './context.js';
import type { EvalContext } from './context.js';
import { openPromiseBy, pickupDeadline } from './follow.js';
import type { ClockValue } from './types.js';

/** The count of this condition's window: `state.recurringCounts[key]`, else the single `state.recurringCount`. */
export function recurringCountOf(state: EvalContext['state'], leaf: RecurringLeaf): number {
  return state.recurringCounts?.[leaf.key] ?? state.recurringCount ?? 0;
}

/**
 * Truth of a rule's `when` at `now`, and the earliest instant it can become true (for nextCheckAt). Static leaves
 * (tier, priority, status, text, category, usersAffected, vip, owner, recurring) depend on the ticket and state only;
 * duration and slaUsed leaves only grow with time; outsideCalendar alternates at calendar edges.
 */

export function isVip(ctx: EvalContext): boolean {
  return ctx.ticket.company.vip || ctx.ticket.contact?.vip === true;
}

function compare(value: number, cmp: StaticLeaf & { k: 'usersAffected' }): boolean {
  const c = cmp.cmp;
  return (
    (c.gte === undefined || value >= c.gte) &&
    (c.gt === undefined || value > c.gt) &&
    (c.lte === undefined || value <= c.lte) &&
    (c.lt === undefined || value < c.lt) &&
    (c.eq === undefined || value === c.eq)
  );
}

function staticHolds(leaf: StaticLeaf, ctx: EvalContext): boolean {
  const t = ctx.ticket;
  switch (leaf.k) {
    case 'tier':
      return ctx.tier !== null && leaf.tiers.includes(ctx.tier);
    case 'priority':
      return t.priority.level !== null && leaf.levels.includes(t.priority.level);
    case 'status':
      return leaf.categories.includes(t.status.category) !== leaf.not;
    case 'text':
      return textMatches(ctx, leaf);
    case 'category':
      return leaf.patterns.some((p) => categoryMatches(p, categoryOf(ctx)));
    case 'usersAffected':
      return typeof t.usersAffected === 'number' && compare(t.usersAffected, leaf);
    case 'vip':
      return isVip(ctx) === leaf.value;
    case 'owner':
      return t.owner === null;
    case 'recurring':
      // Tickets without the `same` fields never match (docs/spec.md §2): the count is only meaningful with them.
      // Only the fields `same` names are required (a category-only rule still counts a ticket with no company id).
      if (
        (leaf.needCompany && String(t.company.id).trim() === '') ||
        (leaf.needCategory && categoryOf(ctx).length === 0)
      )
        return false;
      return recurringCountOf(ctx.state, leaf) >= leaf.count;
  }
}

/** A clock the slaUsed leaf reads (running, not used by this rule), without allocating: undefined otherwise. */
export function slaClock(leaf: SlaLeaf, ctx: EvalContext, name: ClockName): ClockValue | undefined {
  if (leaf.clock !== 'any' && leaf.clock !== name) return undefined;
  const clock = runningClock(ctx, name);
  return clock && !ctx.usedClocks.has(name) ? clock : undefined;
}

function slaHolds(leaf: SlaLeaf, ctx: EvalContext): boolean {
  for (const name of clockNames) {
    const clock = slaClock(leaf, ctx, name);
    if (clock && exactPct(clock) >= leaf.pct) return true;
  }
  return false;
}

/** Exact value and threshold of a duration leaf (ms). */
export function durationValue(leaf: TimeLeaf & { k: 'age' | 'timeInTier' }, ctx: EvalContext): number {
  return leaf.k === 'age' ? ageMs(ctx) : timeInTierMs(ctx);
}

function leafHolds(leaf: Leaf, ctx: EvalContext): boolean {
  switch (leaf.k) {
    case 'age':
    case 'timeInTier':
      return durationValue(leaf, ctx) >= leaf.ms;
    case 'slaUsed':
      return slaHolds(leaf, ctx);
    case 'outsideCalendar':
      return !leaf.calendar.isOpen(ctx.now);
    case 'notPickedUp':
      return pickupDeadline(ctx, leaf.ms) <= ctx.now; // NaN (no handoff, or picked up) is never <=
    case 'updateOverdue':
      return openPromiseBy(ctx) <= ctx.now;
    default:
      return staticHolds(leaf, ctx);
  }
}

/** The instant a follow-through leaf holds (NaN: never, the ticket unchanged). */
function followAt(leaf: Leaf & { k: 'notPickedUp' | 'updateOverdue' }, ctx: EvalContext): number {
  return leaf.k === 'notPickedUp' ? pickupDeadline(ctx, leaf.ms) : openPromiseBy(ctx);
}

const isTimeDependent = (k: CondNode['k']): boolean =>
  k === 'age' || k === 'timeInTier' || k === 'slaUsed' || k === 'outsideCalendar';

/** Tri-state of a tree at `ctx.now`: never (with the ticket unchanged), not yet (time may make it hold), holds. */
export const NEVER = 0;
export const NOT_YET = 1;
export const HOLDS = 2;
export type Status = typeof NEVER | typeof NOT_YET | typeof HOLDS;

/**
 * One pass for "does it hold now, and if not, could it ever (the ticket unchanged)?": a false static leaf is NEVER,
 * a false time-dependent leaf NOT_YET; AND takes the minimum of its children, OR the maximum.
 */
export function status(node: CondNode, ctx: EvalContext): Status {
  if (node.k === 'all') {
    let s: Status = HOLDS;
    for (const child of node.items) {
      const c = status(child, ctx);
      if (c === NEVER) return NEVER;
      if (c < s) s = c;
    }
    return s;
  }
  if (node.k === 'any') {
    let s: Status = NEVER;
    for (const child of node.items) {
      const c = status(child, ctx);
      if (c === HOLDS) return HOLDS;
      if (c > s) s = c;
    }
    return s;
  }
  if (leafHolds(node, ctx)) return HOLDS;
  if (node.k === 'notPickedUp' || node.k === 'updateOverdue')
    return Number.isNaN(followAt(node, ctx)) ? NEVER : NOT_YET;
  return isTimeDependent(node.k) ? NOT_YET : NEVER;
}

/** Whether the tree holds at `ctx.now`; a `forced` leaf counts as true ("would it hold but for this leaf?"). */
export function holds(node: CondNode, ctx: EvalContext, forced: Leaf | null = null): boolean {
  if (node.k === 'all') {
    for (const child of node.items) if (!holds(child, ctx, forced)) return false;
    return true;
  }
  if (node.k === 'any') {
    for (const child of node.items) if (holds(child, ctx, forced)) return true;
    return false;
  }
  if (forced === node) return true;
  return leafHolds(node, ctx);
}

function leafEarliest(leaf: Leaf, ctx: EvalContext, from: number): number {
  switch (leaf.k) {
    case 'age':
    case 'timeInTier':
      return Math.max(from, durationReachedAt(ctx, leaf.k, leaf.ms));
    case 'slaUsed': {
      let best = Infinity;
      for (const name of clockNames) {
        const clock = slaClock(leaf, ctx, name);
        if (clock) best = Math.min(best, pctReachedAt(ctx, clock, leaf.pct));
      }
      return Math.max(from, best);
    }
    case 'outsideCalendar':
      return leaf.calendar.isOpen(from) ? leaf.calendar.nextEdge(from) : from;
    case 'notPickedUp':
    case 'updateOverdue': {
      const at = followAt(leaf, ctx);
      return Number.isNaN(at) ? Infinity : Math.max(from, at);
    }
    default:
      return staticHolds(leaf, ctx) ? from : Infinity;
  }
}

/**
 * The earliest instant ≥ `from` at which the tree holds, the ticket unchanged (Infinity when never). Duration and
 * slaUsed leaves are monotonic, so an AND is found by a fixed-point walk: jump to the latest child's instant until all
 * children agree (outsideCalendar may push it to the next closing edge).
 */
export function earliest(node: CondNode, ctx: EvalContext, from: number): number {
  if (node.k === 'any') {
    let best = Infinity;
    for (const child of node.items) best = Math.min(best, earliest(child, ctx, from));
    return best;
  }
  if (node.k !== 'all') return leafEarliest(node, ctx, from);
  let t = from;
  for (let round = 0; round < 64 && t !== Infinity; round++) {
    let next = t;
    for (const child of node.items) {
      next = Math.max(next, earliest(child, ctx, t));
      if (next === Infinity) return Infinity;
    }
    if (next === t) return t;
    t = next;
  }
  return t === Infinity ? Infinity : t;
}
