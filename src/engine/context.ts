import type { Ticket, TicketState } from '../contract/index.js';
import { categoryPath } from './category.js';
import type { ClockSet } from './clocks.js';
import { addBusinessSkipping, businessElapsed } from './clocks.js';
import type { ClockName, EnginePolicy, TextLeaf } from './compiled.js';
import type { LocationView } from './location-match.js';
import { joinFields } from './text.js';
import type { Phrase } from './text.js';
import { parseIsoFast } from './format.js';
import { parseInstant } from './time.js';
import type { BusinessCalendar, ClockValue } from './types.js';

/**
 * Everything one evaluation reads, computed at most once: the derived tier, the tier visit, the clocks, and (lazily)
 * the text tokens, the category path and the business-time values the duration conditions compare.
 */
export interface EvalContext {
  readonly policy: EnginePolicy;
  readonly ticket: Ticket;
  readonly state: TicketState;
  readonly now: number;
  readonly tier: string | null;
  /** The ticket's location values, read once (see location-match.ts). */
  readonly location: LocationView;
  /** Index of the derived tier in `tiers` (-1 for null or a tier name the file does not list). */
  readonly tierIndex: number;
  readonly createdAt: number;
  /** Start of the current tier visit (`state.tierSince`, default `createdAt`). */
  readonly tierSince: number;
  readonly clocks: ClockSet;
  /**
   * The ticket's clock calendar (the priority's `sla.<P>.calendar`, else the customer's/site's `calendarFor` entry,
   * else the policy's): business time for age, timeInTier and the follow-through conditions.
   */
  readonly calendar: BusinessCalendar;
  /** Name of the calendar that replaces the policy's `calendar` for this ticket (`calendarFor`, else the policy's). */
  readonly baseCalendar: string;
  /** Clocks the rule being evaluated has already fired on (its slaUsed conditions skip them). */
  usedClocks: ReadonlySet<ClockName>;
  /** Title, description and latest note, normalized (NFC, lower-case) and joined (see `joinFields`). */
  text: string | undefined;
  category: string[] | undefined;
  timeInTierMs: number | undefined;
  ageMs: number | undefined;
}

/**
 * The last fields normalized and their text: a ticket is evaluated again and again with the same title, description
 * and note (every scheduled check between two reads, every replayed step of a backtest), and normalizing them is most of a text condition.
 */
const lastText = {
  title: '',
  description: undefined as string | undefined,
  note: undefined as string | undefined,
  text: '',
};

function textOf(ctx: EvalContext): string {
  if (ctx.text !== undefined) return ctx.text;
  const { title, description, latestNote } = ctx.ticket;
  const last = lastText;
  if (last.text === '' || last.title !== title || last.description !== description || last.note !== latestNote) {
    last.text = joinFields([title, description, latestNote]);
    last.title = title;
    last.description = description;
    last.note = latestNote;
  }
  ctx.text = last.text;
  return ctx.text;
}

/** Whether any of the leaf's phrases occurs in the title, description or latest note. */
export function textMatches(ctx: EvalContext, leaf: TextLeaf): boolean {
  return leaf.any.test(textOf(ctx));
}

/** The first of the leaf's phrases (in list order) that occurs, or null. */
export function matchingPhrase(ctx: EvalContext, leaf: TextLeaf): Phrase | null {
  const text = textOf(ctx);
  const i = leaf.each.findIndex((re) => re.test(text));
  return i < 0 ? null : (leaf.phrases[i] ?? null);
}

export function categoryOf(ctx: EvalContext): string[] {
  ctx.category ??= categoryPath(ctx.ticket.category);
  return ctx.category;
}

/** Business ms in the current tier visit, paused stretches excluded. */
export function timeInTierMs(ctx: EvalContext): number {
  ctx.timeInTierMs ??= businessElapsed(ctx.calendar, ctx.tierSince, ctx.now, ctx.clocks.pauses);
  return ctx.timeInTierMs;
}

/** Business ms since `createdAt`, pauses included. */
export function ageMs(ctx: EvalContext): number {
  ctx.ageMs ??= ctx.calendar.businessBetween(ctx.createdAt, ctx.now);
  return ctx.ageMs;
}

/** The instant a duration condition starts to hold (it never stops: elapsed time only grows). */
export function durationReachedAt(ctx: EvalContext, k: 'age' | 'timeInTier', ms: number): number {
  if (k === 'age') return ctx.calendar.addBusiness(ctx.createdAt, ms);
  return addBusinessSkipping(ctx.calendar, ctx.tierSince, ms, ctx.clocks.pauses);
}

/** A clock that slaUsed may read: present and still running (not stopped). */
export function runningClock(ctx: EvalContext, name: ClockName): ClockValue | undefined {
  const clock = ctx.clocks[name];
  return clock && !clock.stopped ? clock : undefined;
}

/** Exact % of the clock's target used (the contract's `usedPct` is this, floored). */
export function exactPct(clock: ClockValue): number {
  const targetMs = clock.targetMinutes * 60_000;
  return targetMs > 0 ? (100 * clock.elapsedMs) / targetMs : 100;
}

/** The instant a running clock reaches `pct` % of its target (Infinity while an open-ended pause lasts). */
export function pctReachedAt(ctx: EvalContext, clock: ClockValue, pct: number): number {
  const ms = Math.ceil((clock.targetMinutes * 60_000 * pct) / 100);
  return addBusinessSkipping(ctx.calendar, ctx.createdAt, ms, ctx.clocks.pauses);
}

/** Parses an instant from state or the ticket (`fallback` when absent or unreadable). */
export function instant(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  let t = parseIsoFast(value);
  if (Number.isNaN(t)) t = parseInstant(value);
  return Number.isNaN(t) ? fallback : t;
}
