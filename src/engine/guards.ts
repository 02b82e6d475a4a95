import { clockNames } from './compiled.js';
import type { ClockName, CompiledRule } from './compiled.js';
import { instant } from './context.js';
import type { EvalContext } from './context.js';
import { promiseMadeAt } from './follow.js';

/**
 * Guards of docs/spec.md §2 "When rules fire": once per rule per tier visit (slaUsed rules: once per ticket per clock), the
 * manual-change hold and the rolling 24 h limit of our reassigns. Read from stored state once per evaluation.
 */

export const DAY_MS = 86_400_000;
const allClocks: readonly ClockName[] = clockNames;
const noClocks: ReadonlySet<ClockName> = new Set();
const noRules: ReadonlySet<string> = new Set();
const noUsed: ReadonlyMap<string, ReadonlySet<ClockName>> = new Map();

export interface Guards {
  /** Rules that fired in the current tier visit (for slaUsed rules: fired there without naming a clock). */
  readonly firedInVisit: ReadonlySet<string>;
  /** slaUsed rules → clocks they already fired on (ticket-wide). */
  readonly usedClocks: ReadonlyMap<string, ReadonlySet<ClockName>>;
  /** End of an active manual-change hold, else null. */
  readonly holdUntil: number | null;
  /** `maxAutoEscalationsPerDay` reached. */
  readonly dailyLimitReached: boolean;
  /** When the rolling count drops below the limit again (null when it is not reached, or the limit is 0). */
  readonly dailyDropAt: number | null;
}

function addClocks(map: Map<string, Set<ClockName>>, rule: string, clocks: Iterable<ClockName>): void {
  let set = map.get(rule);
  if (!set) map.set(rule, (set = new Set()));
  for (const c of clocks) set.add(c);
}

function readFired(ctx: EvalContext, firedInVisit: Set<string>, usedClocks: Map<string, Set<ClockName>>): void {
  const slaRules = ctx.policy.engine.slaRules;
  const promiseRules = ctx.policy.engine.promiseRules;
  // updateOverdue rules fire once per promise: a firing before the open promise was made doesn't count.
  const madeAt = promiseRules.size > 0 ? promiseMadeAt(ctx) : Number.NaN;
  const beforePromise = (rule: string, at: string): boolean =>
    promiseRules.has(rule) && instant(at, Number.NaN) < madeAt;
  const slaFired = new Set<string>();
  for (const f of ctx.state.fired ?? []) {
    // The tier test first: most recorded firings belong to earlier visits, and then `at` need not be parsed.
    const inVisit = (f.tier === undefined || f.tier === ctx.tier) && instant(f.at, Number.NaN) >= ctx.tierSince;
    if (slaRules.has(f.rule)) {
      slaFired.add(f.rule);
      // No `clocks` recorded (older state): assume every clock was used rather than fire again after a move.
      addClocks(usedClocks, f.rule, f.clocks ?? allClocks);
      if (inVisit && f.clocks !== undefined && f.clocks.length === 0) firedInVisit.add(f.rule);
    } else if (inVisit && !beforePromise(f.rule, f.at)) firedInVisit.add(f.rule);
  }
  for (const e of ctx.state.escalations ?? []) {
    // Strictly after the visit began: the reassign that started this visit belongs to the previous one.
    if (!slaRules.has(e.rule)) {
      if (instant(e.at, Number.NaN) > ctx.tierSince && !beforePromise(e.rule, e.at)) firedInVisit.add(e.rule);
    } else if (!slaFired.has(e.rule)) {
      // An slaUsed rule known only from its reassign: treat its clocks as used (never cascade up the tiers).
      addClocks(usedClocks, e.rule, allClocks);
    }
  }
}

/** When the rolling 24 h count of our reassigns falls below the limit again (null: not reached; Infinity: never). */
function dailyDrop(ctx: EvalContext): number | null {
  const limit = ctx.policy.policy.limits.maxAutoEscalationsPerDay;
  const escalations = ctx.state.escalations;
  if (limit === 0) return Infinity;
  if (!escalations || escalations.length < limit) return null;
  const recent: number[] = [];
  for (const e of escalations) {
    const at = instant(e.at, Number.NaN);
    if (at > ctx.now - DAY_MS) recent.push(at);
  }
  if (recent.length < limit) return null;
  recent.sort((a, b) => a - b);
  // The count falls below the limit once the (count − limit + 1) oldest reassigns have left the 24 h window.
  return recent[recent.length - limit]! + DAY_MS;
}

export function readGuards(ctx: EvalContext): Guards {
  const { state } = ctx;
  let firedInVisit = noRules;
  let usedClocks = noUsed;
  if ((state.fired?.length ?? 0) > 0 || (state.escalations?.length ?? 0) > 0) {
    const visit = new Set<string>();
    const used = new Map<string, Set<ClockName>>();
    readFired(ctx, visit, used);
    firedInVisit = visit;
    usedClocks = used;
  }
  const holdEnd = instant(state.lastManualChangeAt, Number.NaN) + ctx.policy.policy.limits.respectManualChangesFor;
  const drop = dailyDrop(ctx);
  return {
    firedInVisit,
    usedClocks,
    holdUntil: ctx.now < holdEnd ? holdEnd : null,
    dailyLimitReached: drop !== null,
    dailyDropAt: drop === null || drop === Infinity ? null : drop,
  };
}

/** Whether the rule is still allowed to fire in this visit. */
export function mayFire(guards: Guards, rule: CompiledRule): boolean {
  return !guards.firedInVisit.has(rule.id);
}

/** Clocks the rule may no longer fire on. */
export function usedClocksOf(guards: Guards, rule: CompiledRule): ReadonlySet<ClockName> {
  return guards.usedClocks.get(rule.id) ?? noClocks;
}
