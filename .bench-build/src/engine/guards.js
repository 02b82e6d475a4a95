import { clockNames } from './compiled.js';
import { instant } from './context.js';
/**
 * Guards of SPEC §2 "When rules fire": once per rule per tier visit (slaUsed rules: once per ticket per clock), the
 * manual-change hold and the rolling 24 h limit of our reassigns. Read from stored state once per evaluation.
 */
export const DAY_MS = 86_400_000;
const allClocks = clockNames;
const noClocks = new Set();
const noRules = new Set();
const noUsed = new Map();
function addClocks(map, rule, clocks) {
    let set = map.get(rule);
    if (!set)
        map.set(rule, (set = new Set()));
    for (const c of clocks)
        set.add(c);
}
function readFired(ctx, firedInVisit, usedClocks) {
    const slaRules = ctx.policy.engine.slaRules;
    const slaFired = new Set();
    for (const f of ctx.state.fired ?? []) {
        // The tier test first: most recorded firings belong to earlier visits, and then `at` need not be parsed.
        const inVisit = (f.tier === undefined || f.tier === ctx.tier) && instant(f.at, Number.NaN) >= ctx.tierSince;
        if (slaRules.has(f.rule)) {
            slaFired.add(f.rule);
            // No `clocks` recorded (older state): assume every clock was used rather than fire again after a move.
            addClocks(usedClocks, f.rule, f.clocks ?? allClocks);
            if (inVisit && f.clocks !== undefined && f.clocks.length === 0)
                firedInVisit.add(f.rule);
        }
        else if (inVisit)
            firedInVisit.add(f.rule);
    }
    for (const e of ctx.state.escalations ?? []) {
        // Strictly after the visit began: the reassign that started this visit belongs to the previous one.
        if (!slaRules.has(e.rule)) {
            if (instant(e.at, Number.NaN) > ctx.tierSince)
                firedInVisit.add(e.rule);
        }
        else if (!slaFired.has(e.rule)) {
            // An slaUsed rule known only from its reassign: treat its clocks as used (never cascade up the tiers).
            addClocks(usedClocks, e.rule, allClocks);
        }
    }
}
/** When the rolling 24 h count of our reassigns falls below the limit again (null: not reached; Infinity: never). */
function dailyDrop(ctx) {
    const limit = ctx.policy.policy.limits.maxAutoEscalationsPerDay;
    const escalations = ctx.state.escalations;
    if (limit === 0)
        return Infinity;
    if (!escalations || escalations.length < limit)
        return null;
    const recent = [];
    for (const e of escalations) {
        const at = instant(e.at, Number.NaN);
        if (at > ctx.now - DAY_MS)
            recent.push(at);
    }
    if (recent.length < limit)
        return null;
    recent.sort((a, b) => a - b);
    // The count falls below the limit once the (count − limit + 1) oldest reassigns have left the 24 h window.
    return recent[recent.length - limit] + DAY_MS;
}
export function readGuards(ctx) {
    const { state } = ctx;
    let firedInVisit = noRules;
    let usedClocks = noUsed;
    if ((state.fired?.length ?? 0) > 0 || (state.escalations?.length ?? 0) > 0) {
        const visit = new Set();
        const used = new Map();
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
export function mayFire(guards, rule) {
    return !guards.firedInVisit.has(rule.id);
}
/** Clocks the rule may no longer fire on. */
export function usedClocksOf(guards, rule) {
    return guards.usedClocks.get(rule.id) ?? noClocks;
}
//# sourceMappingURL=guards.js.map