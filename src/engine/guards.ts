import { clockNames } from './compiled.js';
import type { ClockName, CompiledRule } from './compiled.js';
import { instant } from './context.js';
import type { EvalContext } from './context.js';

/**
 * Guards of SPEC §2 "When rules fire": once per rule per tier visit (slaUsed rules: once per ticket per clock), the
 * manual-change hold and the rolling 24 h limit of our reassigns. Read from stored state once per evaluation.
 */

export const DAY_MS = 86_400_000;
const allClocks: ReadonlySet<ClockName> = new Set(clockNames);
const noClocks: ReadonlySet<ClockName> = new Set();

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

function readFired(ctx: EvalContext, slaRules: ReadonlySet<string>): Pick<Guards, 'firedInVisit' | 'usedClocks'> {
  const firedInVisit = new Set<string>();
  const usedClocks = new Map<string, Set<ClockName>>();
  const slaFired = new Set<string>();
  for (const f of ctx.state.fired ?? []) {
    const at = instant(f.at, Number.NaN);
    const inVisit = at >= ctx.tierSince && (f.tier === undefined || f.tier === ctx.tier);
    if (slaRules.has(f.rule)) {
      slaFired.add(f.rule);
      // No `clocks` recorded (older state): assume every clock was used rather than fire again after a move.
      addClocks(usedClocks, f.rule, f.clocks ?? allClocks);
      if (inVisit && f.clocks !== undefined && f.clocks.length === 0) firedInVisit.add(f.rule);
    } else if (inVisit) firedInVisit.add(f.rule);
  }
  for (const e of ctx.state.escalations ?? []) {
    // Strictly after the visit began: the reassign that started this visit belongs to the previous one.
    if (instant(e.at, Number.NaN) > ctx.tierSince && !slaRules.has(e.rule)) firedInVisit.add(e.rule);
    // An slaUsed rule known only from its reassign: treat its clocks as used (never cascade up the tiers).
    if (slaRules.has(e.rule) && !slaFired.has(e.rule)) addClocks(usedClocks, e.rule, allClocks);
  }
  return { firedInVisit, usedClocks };
}

function readDaily(ctx: EvalContext): Pick<Guards, 'dailyLimitReached' | 'dailyDropAt'> {
  const limit = ctx.policy.policy.limits.maxAutoEscalationsPerDay;
  const recent: number[] = [];
  for (const e of ctx.state.escalations ?? []) {
    const at = instant(e.at, Number.NaN);
    if (at > ctx.now - DAY_MS) recent.push(at);
  }
  if (recent.length < limit) return { dailyLimitReached: false, dailyDropAt: null };
  if (limit === 0) return { dailyLimitReached: true, dailyDropAt: null };
  recent.sort((a, b) => a - b);
  // The count falls below the limit once the (count − limit + 1) oldest reassigns have left the 24 h window.
  const drop = recent[recent.length - limit]! + DAY_MS;
  return { dailyLimitReached: true, dailyDropAt: drop };
}

export function readGuards(ctx: EvalContext): Guards {
  const slaRules = new Set(ctx.policy.engine.rules.filter((r) => r.usesSla).map((r) => r.id));
  const changedAt = instant(ctx.state.lastManualChangeAt, Number.NaN);
  const holdEnd = changedAt + ctx.policy.policy.limits.respectManualChangesFor;
  return {
    ...readFired(ctx, slaRules),
    ...readDaily(ctx),
    holdUntil: ctx.now < holdEnd ? holdEnd : null,
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
