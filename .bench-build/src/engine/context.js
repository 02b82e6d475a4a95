import { categoryPath } from './category.js';
import { addBusinessSkipping, businessElapsed } from './clocks.js';
import { joinFields } from './text.js';
import { parseIsoFast } from './format.js';
import { parseInstant } from './time.js';
function textOf(ctx) {
    ctx.text ??= joinFields([ctx.ticket.title, ctx.ticket.description, ctx.ticket.latestNote]);
    return ctx.text;
}
/** Whether any of the leaf's phrases occurs in the title, description or latest note. */
export function textMatches(ctx, leaf) {
    return leaf.any.test(textOf(ctx));
}
/** The first of the leaf's phrases (in list order) that occurs, or null. */
export function matchingPhrase(ctx, leaf) {
    const text = textOf(ctx);
    const i = leaf.each.findIndex((re) => re.test(text));
    return i < 0 ? null : (leaf.phrases[i] ?? null);
}
export function categoryOf(ctx) {
    ctx.category ??= categoryPath(ctx.ticket.category);
    return ctx.category;
}
/** Business ms in the current tier visit, paused stretches excluded. */
export function timeInTierMs(ctx) {
    ctx.timeInTierMs ??= businessElapsed(ctx.calendar, ctx.tierSince, ctx.now, ctx.clocks.pauses);
    return ctx.timeInTierMs;
}
/** Business ms since `createdAt`, pauses included. */
export function ageMs(ctx) {
    ctx.ageMs ??= ctx.calendar.businessBetween(ctx.createdAt, ctx.now);
    return ctx.ageMs;
}
/** The instant a duration condition starts to hold (it never stops: elapsed time only grows). */
export function durationReachedAt(ctx, k, ms) {
    if (k === 'age')
        return ctx.calendar.addBusiness(ctx.createdAt, ms);
    return addBusinessSkipping(ctx.calendar, ctx.tierSince, ms, ctx.clocks.pauses);
}
/** A clock that slaUsed may read: present and still running (not stopped). */
export function runningClock(ctx, name) {
    const clock = ctx.clocks[name];
    return clock && !clock.stopped ? clock : undefined;
}
/** Exact % of the clock's target used (the contract's `usedPct` is this, floored). */
export function exactPct(clock) {
    const targetMs = clock.targetMinutes * 60_000;
    return targetMs > 0 ? (100 * clock.elapsedMs) / targetMs : 100;
}
/** The instant a running clock reaches `pct` % of its target (Infinity while an open-ended pause lasts). */
export function pctReachedAt(ctx, clock, pct) {
    const ms = Math.ceil((clock.targetMinutes * 60_000 * pct) / 100);
    return addBusinessSkipping(ctx.calendar, ctx.createdAt, ms, ctx.clocks.pauses);
}
/** Parses an instant from state or the ticket (`fallback` when absent or unreadable). */
export function instant(value, fallback) {
    if (value === undefined)
        return fallback;
    let t = parseIsoFast(value);
    if (Number.isNaN(t))
        t = parseInstant(value);
    return Number.isNaN(t) ? fallback : t;
}
//# sourceMappingURL=context.js.map