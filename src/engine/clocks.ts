import type { Clock, Policy, StatusCategory, Ticket, TicketState } from '../contract/index.js';
import { ALWAYS_CALENDAR, compileCalendar } from './calendar.js';
import { MINUTE_MS, formatInstant, parseInstant } from './time.js';
import type { BusinessCalendar, ClockValue, PauseInterval } from './types.js';

/**
 * SLA clocks (docs/spec.md §2 "Calendars and SLA clocks"): first response and resolution per normalized priority, measured in
 * business time of the priority's calendar, paused while the status category is in `pauseOn`. Instants are epoch ms.
 */

/** One status-history entry: the ticket became `category` at `at`. */
export interface StatusChange {
  category: StatusCategory;
  at: number;
}

const terminal: ReadonlySet<StatusCategory> = new Set(['resolved', 'closed']);

/**
 * The paused stretches of a ticket's life, sorted and merged. Empty history = the current category since
 * `createdAt`; after the last entry the current category applies; before the first entry the clock runs (nothing
 * says it was paused). Entries after `now` are not known yet and are ignored; a pause still open at `now` ends at
 * Infinity.
 */
export function pauseIntervals(args: {
  history: readonly StatusChange[];
  current: StatusCategory;
  pauseOn: readonly StatusCategory[];
  createdAt: number;
  now: number;
}): PauseInterval[] {
  const { history, current, pauseOn, createdAt, now } = args;
  const out: PauseInterval[] = [];
  if (pauseOn.length === 0 || Number.isNaN(createdAt)) return out;
  if (history.length === 0) {
    if (pauseOn.includes(current) && now >= createdAt) out.push({ from: createdAt, to: Infinity });
    return out;
  }
  const sorted = isSorted(history) ? history : stableSortByAt(history);
  const last = sorted.length - 1;
  // Walk the segments [entry i, entry i+1) known at `now`; the stretch before the first entry runs.
  for (let i = 0; i <= last; i++) {
    const entry = sorted[i] as StatusChange;
    if (entry.at > now) break;
    const category = i === last ? current : entry.category;
    if (!pauseOn.includes(category)) continue;
    const next = sorted[i + 1];
    const to = next === undefined || next.at > now ? Infinity : next.at;
    const from = Math.max(entry.at, createdAt);
    if (!(to > from)) continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && from <= prev.to) prev.to = Math.max(prev.to, to);
    else out.push({ from, to });
  }
  return out;
}

function isSorted(history: readonly StatusChange[]): boolean {
  for (let i = 1; i < history.length; i++)
    if ((history[i] as StatusChange).at < (history[i - 1] as StatusChange).at) return false;
  return true;
}

/** Of two entries at the same instant the later-listed one wins (Array#sort is stable). */
function stableSortByAt(history: readonly StatusChange[]): StatusChange[] {
  return [...history].sort((a, b) => a.at - b.at);
}

/** Business ms in [from, to) outside the pauses (sorted by `from`, as `pauseIntervals` returns them). */
export function businessElapsed(
  cal: BusinessCalendar,
  from: number,
  to: number,
  pauses: readonly PauseInterval[],
): number {
  if (!(to > from)) return 0;
  let total = 0;
  let cursor = from;
  for (const p of pauses) {
    if (p.to <= cursor) continue;
    if (p.from >= to) break;
    if (p.from > cursor) total += cal.businessBetween(cursor, p.from);
    cursor = p.to;
    if (cursor >= to) return total;
  }
  return total + cal.businessBetween(cursor, to);
}

/**
 * The instant at which `ms` business ms outside the pauses have elapsed after `from`; Infinity when never (an
 * open-ended pause, or a calendar that is never open). Running out exactly at a pause's start or at the end of an
 * open period yields that instant.
 */
export function addBusinessSkipping(
  cal: BusinessCalendar,
  from: number,
  ms: number,
  pauses: readonly PauseInterval[],
): number {
  if (!(ms > 0)) return from;
  let cursor = from;
  let remaining = ms;
  for (const p of pauses) {
    if (p.to <= cursor) continue;
    if (p.from > cursor) {
      const due = cal.addBusiness(cursor, remaining);
      if (due <= p.from) return due;
      remaining -= cal.businessBetween(cursor, p.from);
    }
    cursor = p.to;
    if (cursor === Infinity) return Infinity;
  }
  return cal.addBusiness(cursor, remaining);
}

/**
 * One clock. Running: measured up to `now`; `breached` once elapsed reaches the target. Stopped (`stopAt <= now`):
 * values frozen at the stop; `breached` when it stopped after `dueAt`. `dueAt` assumes no further pause: a pause
 * open at the end of the measurement is taken to end there.
 */
export function computeClock(args: {
  calendar: BusinessCalendar;
  createdAt: number;
  stopAt?: number;
  targetMinutes: number;
  pauses: readonly PauseInterval[];
  now: number;
}): ClockValue {
  const { calendar, createdAt, stopAt, targetMinutes, pauses, now } = args;
  const targetMs = targetMinutes * MINUTE_MS;
  const stopped = stopAt !== undefined && stopAt <= now;
  const end = stopped ? stopAt : now;
  const elapsedMs = businessElapsed(calendar, createdAt, end, pauses);
  const dueAt = addBusinessSkipping(calendar, createdAt, targetMs, endPausesAt(pauses, end));
  return {
    targetMinutes,
    dueAt,
    elapsedMs,
    elapsedMinutes: Math.floor(elapsedMs / MINUTE_MS),
    usedPct: targetMs > 0 ? Math.floor((100 * elapsedMs) / targetMs) : 100,
    breached: stopped ? stopAt > dueAt : elapsedMs >= targetMs,
    paused: !stopped && pauses.some((p) => p.from <= now && now < p.to),
    stopped,
  };
}

/** "Assuming no further pause": pauses cut at `end` (the same array when none reaches past it). */
function endPausesAt(pauses: readonly PauseInterval[], end: number): readonly PauseInterval[] {
  const last = pauses[pauses.length - 1];
  if (last === undefined || last.to <= end) return pauses;
  const out: PauseInterval[] = [];
  for (const p of pauses) if (p.from < end) out.push({ from: p.from, to: Math.min(p.to, end) });
  return out;
}

/** Result of `computeClocks`: the clock calendar and pauses are returned even when there are no clocks. */
export interface ClockSet {
  calendar: BusinessCalendar;
  pauses: PauseInterval[];
  firstResponse?: ClockValue;
  resolution?: ClockValue;
}

let fallbackAlways: BusinessCalendar | undefined;

/** A calendar by name; a missing name (a config error caught at load) falls back to `always` rather than throwing. */
function pickCalendar(
  calendars: Readonly<Record<string, BusinessCalendar>>,
  override: string | undefined,
  defaultName: string,
): BusinessCalendar {
  if (override !== undefined && Object.hasOwn(calendars, override)) return calendars[override] as BusinessCalendar;
  if (Object.hasOwn(calendars, defaultName)) return calendars[defaultName] as BusinessCalendar;
  if (Object.hasOwn(calendars, 'always')) return calendars.always as BusinessCalendar;
  fallbackAlways ??= compileCalendar('always', ALWAYS_CALENDAR);
  return fallbackAlways;
}

/** Target minutes; VIP tickets get `max(1, floor(target × vipFactor))`. */
function vipTarget(ms: number, vip: boolean, vipFactor: number): number {
  return vip ? Math.max(1, Math.floor((ms / MINUTE_MS) * vipFactor)) : ms / MINUTE_MS;
}

function instantOrUndefined(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseInstant(value);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * When the resolution clock stops: `resolvedAt`; for a resolved/closed ticket without it, when it last entered
 * resolved/closed per the history, else its `updatedAt` (a closed ticket's clock must not keep running).
 */
function resolutionStop(ticket: Ticket, history: readonly StatusChange[]): number | undefined {
  const resolvedAt = instantOrUndefined(ticket.resolvedAt);
  if (resolvedAt !== undefined || !terminal.has(ticket.status.category)) return resolvedAt;
  let enteredAt: number | undefined;
  for (const h of [...history].sort((a, b) => a.at - b.at)) {
    if (!terminal.has(h.category)) enteredAt = undefined;
    else enteredAt ??= h.at;
  }
  return enteredAt ?? instantOrUndefined(ticket.updatedAt);
}

/** `sla` keys by priority level: a constant lookup instead of a template string built on every evaluation. */
const SLA_KEYS = [undefined, 'P1', 'P2', 'P3', 'P4'] as const;

/**
 * Both SLA clocks of a ticket. No mapped priority level (or no target for it) → no clocks. VIP (company or contact)
 * → target `max(1, floor(target × vipFactor))` minutes. First response stops at `firstRespondedAt` (else when the
 * resolution clock stops: a resolved ticket has been answered); resolution at `resolvedAt`.
 */
export function computeClocks(args: {
  ticket: Ticket;
  statusHistory?: TicketState['statusHistory'];
  pauseOn: readonly StatusCategory[];
  sla: Policy['sla'];
  vipFactor: number;
  defaultCalendar: string;
  calendars: Readonly<Record<string, BusinessCalendar>>;
  now: number;
}): ClockSet {
  const { ticket, sla, vipFactor, now } = args;
  const level = ticket.priority.level;
  const target = level === null ? undefined : sla[SLA_KEYS[level]];
  const calendar = pickCalendar(args.calendars, target?.calendar, args.defaultCalendar);
  const createdAt = parseInstant(ticket.createdAt);
  const history: StatusChange[] = [];
  for (const h of args.statusHistory ?? []) {
    const at = parseInstant(h.at);
    if (!Number.isNaN(at)) history.push({ category: h.category, at });
  }
  const current = ticket.status.category;
  const pauses = pauseIntervals({ history, current, pauseOn: args.pauseOn, createdAt, now });
  if (target === undefined || Number.isNaN(createdAt)) return { calendar, pauses };

  const vip = ticket.company.vip || ticket.contact?.vip === true;
  const resolvedStop = resolutionStop(ticket, history);
  const respondedStop = instantOrUndefined(ticket.firstRespondedAt) ?? resolvedStop;
  return {
    calendar,
    pauses,
    firstResponse: computeClock({
      calendar,
      createdAt,
      pauses,
      now,
      targetMinutes: vipTarget(target.firstResponse, vip, vipFactor),
      stopAt: respondedStop,
    }),
    resolution: computeClock({
      calendar,
      createdAt,
      pauses,
      now,
      targetMinutes: vipTarget(target.resolution, vip, vipFactor),
      stopAt: resolvedStop,
    }),
  };
}

/** Far-future stand-in for a due instant that never comes (a calendar with no hours): the contract needs a string. */
const NEVER = '9999-12-31T23:59:59Z';

/** The contract's JSON form of a clock (`dueAt` as `YYYY-MM-DDTHH:mm:ssZ`). */
export function clockToJson(value: ClockValue): Clock {
  return {
    targetMinutes: value.targetMinutes,
    dueAt: Number.isFinite(value.dueAt) ? formatInstant(value.dueAt) : NEVER,
    elapsedMinutes: value.elapsedMinutes,
    usedPct: value.usedPct,
    breached: value.breached,
    paused: value.paused,
    stopped: value.stopped,
  };
}
