import { clockNames } from './compiled.js';
import type { EvalContext } from './context.js';
import type { Guards } from './guards.js';
import { isoInstant } from './format.js';

/**
 * nextCheckAt (docs/spec.md §2): the earliest instant after `now` at which the Decision could change with the ticket
 * unchanged — a threshold of a rule that can still fire (given by the caller), a running clock's `dueAt` (its
 * `breached` flips), the end of a manual-change hold, the instant the rolling daily count drops below the limit.
 * Null when there is none (everything paused, nothing left to fire). Rounded up to the whole second, so evaluating
 * at the returned instant never lands just before the threshold.
 */
export function nextCheckAt(ctx: EvalContext, ruleThresholds: readonly number[], guards: Guards): string | null {
  const now = ctx.now;
  // Plain loops and comparisons, no per-call closure: this runs on every evaluation.
  let best = Infinity;
  for (const t of ruleThresholds) if (t > now && t < best) best = t;
  for (const name of clockNames) {
    const clock = ctx.clocks[name];
    if (clock && !clock.stopped && !clock.paused && !clock.breached && clock.dueAt > now && clock.dueAt < best)
      best = clock.dueAt;
  }
  const hold = guards.holdUntil;
  if (hold !== null && hold !== undefined && hold > now && hold < best) best = hold;
  const drop = guards.dailyLimitReached ? guards.dailyDropAt : undefined;
  if (drop !== null && drop !== undefined && drop > now && drop < best) best = drop;
  return Number.isFinite(best) ? isoInstant(best, true) : null;
}
