import type { CalendarConfig } from '../contract/index.js';
import {
  DAY_MS,
  MINUTE_MS,
  dayNumber,
  localDay,
  localRangeToReal,
  mergeRanges,
  parseRanges,
  parseWeeklyHours,
  weekdayOf,
  zoneOffsets,
} from './time.js';
import type { DayRanges, OffsetFn } from './time.js';
import type { BusinessCalendar } from './types.js';

/**
 * Business calendars (docs/spec.md §2 "Calendars and SLA clocks"), compiled into sorted UTC open intervals.
 *
 * Intervals are generated lazily per fixed window of real time (a "chunk", ~50 days), clipped to it, merged, and
 * memoised with prefix sums inside the compiled calendar. Queries are a Map lookup plus a binary search: no luxon
 * call and no allocation on the hot path. Parsing `hours` and the local-time rules (DST gaps, repeats) live in `time.ts`.
 */

export { parseWeeklyHours };

/** The built-in 24×7 calendar, used unless the file defines its own `always`. */
export const ALWAYS_CALENDAR: CalendarConfig = {
  timezone: 'UTC',
  hours: { 'mon-sun': '00:00-24:00' },
  holidays: [],
};

const CHUNK_MS = 2 ** 32; // ≈ 49.7 days: a handful of chunks covers any ticket's life
/** Consecutive chunks without any open time after which a search gives up (≈ 10 years). */
const HORIZON_CHUNKS = 75;
/**
 * Supported window, 1970 to 2200: chunks outside it are closed and never generated, so a hostile or broken instant
 * (year 1 or 9999) costs nothing instead of generating millennia of intervals.
 */
const WINDOW_START = 0;
const WINDOW_END = Date.UTC(2200, 0, 1);
const lastChunkIndex = Math.floor(WINDOW_END / CHUNK_MS);
const inWindow = (t: number): number => Math.min(Math.max(t, WINDOW_START), WINDOW_END);

/** One window [lo, lo + CHUNK_MS) of open intervals with prefix sums. */
interface Chunk {
  lo: number;
  hi: number;
  n: number;
  starts: Float64Array;
  ends: Float64Array;
  /** Business ms in the chunk before interval i. */
  before: Float64Array;
  /** Business ms in the chunk up to the end of interval i. */
  after: Float64Array;
  total: number;
}

interface CalendarSpec {
  offset: OffsetFn;
  week: DayRanges[];
  holidays: ReadonlySet<number>;
  /** Local day number → that date's hours, replacing its weekday's (an empty list: closed all day). */
  overrides: ReadonlyMap<number, DayRanges>;
}

function buildChunk(spec: CalendarSpec, index: number): Chunk {
  const lo = index * CHUNK_MS;
  const hi = lo + CHUNK_MS;
  const raw: [number, number][] = [];
  // A range spans at most 48 h from its local midnight, so ranges starting 3 local days before `lo` can reach it.
  const lastDay = localDay(spec.offset, hi) + 1;
  for (let day = localDay(spec.offset, lo) - 3; day <= lastDay; day++) {
    // A date override replaces the weekday's ranges (it wins over a holiday on the same date: it is more specific).
    const override = spec.overrides.get(day);
    if (override === undefined && spec.holidays.has(day)) continue; // a holiday removes the ranges that start on it
    for (const [s, e] of override ?? spec.week[weekdayOf(day)] ?? []) {
      const base = day * DAY_MS;
      for (const [a, b] of localRangeToReal(spec.offset, base + s * MINUTE_MS, base + e * MINUTE_MS)) {
        const from = Math.max(a, lo);
        const to = Math.min(b, hi);
        if (to > from) raw.push([from, to]);
      }
    }
  }
  const merged = mergeRanges(raw);
  const n = merged.length;
  const chunk: Chunk = {
    lo,
    hi,
    n,
    starts: new Float64Array(n),
    ends: new Float64Array(n),
    before: new Float64Array(n),
    after: new Float64Array(n),
    total: 0,
  };
  merged.forEach(([s, e], i) => {
    chunk.starts[i] = s;
    chunk.ends[i] = e;
    chunk.before[i] = chunk.total;
    chunk.total += e - s;
    chunk.after[i] = chunk.total;
  });
  return chunk;
}

function emptyChunk(index: number): Chunk {
  const none = new Float64Array(0);
  const lo = index * CHUNK_MS;
  return { lo, hi: lo + CHUNK_MS, n: 0, starts: none, ends: none, before: none, after: none, total: 0 };
}

/** Index of the last interval starting at or before `t`, or -1. */
function lastStartAtOrBefore(c: Chunk, t: number): number {
  let lo = 0;
  let hi = c.n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((c.starts[mid] as number) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Business ms in [c.lo, t) for t within the chunk. */
function cumulativeAt(c: Chunk, t: number): number {
  const i = lastStartAtOrBefore(c, t);
  if (i < 0) return 0;
  return (c.before[i] as number) + Math.min(t, c.ends[i] as number) - (c.starts[i] as number);
}

/** The instant at which the chunk's cumulative business time reaches `target` (0 < target ≤ c.total). */
function instantOfCumulative(c: Chunk, target: number): number {
  let lo = 0;
  let hi = c.n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((c.after[mid] as number) >= target) hi = mid;
    else lo = mid + 1;
  }
  // `>=` above: running out exactly at the end of an open period yields that end, not the next opening.
  return (c.starts[lo] as number) + target - (c.before[lo] as number);
}

class IntervalCalendar implements BusinessCalendar {
  private readonly chunks = new Map<number, Chunk>();
  private last: Chunk | undefined;
  private readonly neverOpen: boolean;

  constructor(
    readonly name: string,
    readonly timezone: string,
    private readonly spec: CalendarSpec,
  ) {
    this.neverOpen =
      spec.week.every((d) => d.length === 0) && [...spec.overrides.values()].every((d) => d.length === 0);
  }

  private chunk(index: number): Chunk {
    if (this.last !== undefined && this.last.lo === index * CHUNK_MS) return this.last;
    if (index < 0 || index > lastChunkIndex) return emptyChunk(index);
    let c = this.chunks.get(index);
    if (c === undefined) {
      c = buildChunk(this.spec, index);
      this.chunks.set(index, c);
    }
    this.last = c;
    return c;
  }

  private chunkAt(t: number): Chunk {
    return this.chunk(Math.floor(t / CHUNK_MS));
  }

  isOpen(t: number): boolean {
    if (!Number.isFinite(t) || this.neverOpen) return false;
    const c = this.chunkAt(t);
    const i = lastStartAtOrBefore(c, t);
    return i >= 0 && t < (c.ends[i] as number);
  }

  addBusiness(start: number, ms: number): number {
    if (!(ms > 0) || !Number.isFinite(start)) return start;
    if (this.neverOpen || ms === Infinity || start >= WINDOW_END) return Infinity;
    const from = inWindow(start);
    let index = Math.floor(from / CHUNK_MS);
    let c = this.chunk(index);
    let target = cumulativeAt(c, from) + ms;
    for (let idle = 0; target > c.total;) {
      idle = c.total === 0 ? idle + 1 : 0;
      if (idle > HORIZON_CHUNKS) return Infinity;
      target -= c.total;
      c = this.chunk(++index);
    }
    return instantOfCumulative(c, target);
  }

  businessBetween(start: number, end: number): number {
    if (!(end > start) || this.neverOpen) return 0;
    if (!Number.isFinite(start) || !Number.isFinite(end)) return Infinity;
    const a = inWindow(start);
    const b = inWindow(end);
    const ka = Math.floor(a / CHUNK_MS);
    const kb = Math.floor(b / CHUNK_MS);
    if (ka === kb) {
      const c = this.chunk(ka);
      return cumulativeAt(c, b) - cumulativeAt(c, a);
    }
    const first = this.chunk(ka);
    let sum = first.total - cumulativeAt(first, a);
    for (let k = ka + 1; k < kb; k++) sum += this.chunk(k).total;
    return sum + cumulativeAt(this.chunk(kb), b);
  }

  nextOpen(at: number): number {
    if (Number.isNaN(at)) return at;
    if (this.neverOpen || at === Infinity) return Infinity;
    const t = Math.max(at, WINDOW_START);
    let index = Math.floor(t / CHUNK_MS);
    let c = this.chunk(index);
    const i = lastStartAtOrBefore(c, t);
    if (i >= 0 && t < (c.ends[i] as number)) return t;
    if (i + 1 < c.n) return c.starts[i + 1] as number;
    for (let idle = 0; idle <= HORIZON_CHUNKS; idle++) {
      c = this.chunk(++index);
      if (c.n > 0) return c.starts[0] as number;
    }
    return Infinity;
  }

  nextEdge(at: number): number {
    if (Number.isNaN(at)) return at;
    if (this.neverOpen || at === Infinity) return Infinity;
    const t = Math.max(at, WINDOW_START);
    let index = Math.floor(t / CHUNK_MS);
    let c = this.chunk(index);
    const i = lastStartAtOrBefore(c, t);
    if (!(i >= 0 && t < (c.ends[i] as number))) return this.nextOpen(t);
    let end = c.ends[i] as number;
    // Chunks clip intervals at their bounds: follow an open period across them to its real end.
    for (let hops = 0; end === c.hi; hops++) {
      if (hops > HORIZON_CHUNKS) return Infinity;
      c = this.chunk(++index);
      if (c.n === 0 || c.starts[0] !== end) break;
      end = c.ends[0] as number;
    }
    return end;
  }
}

/** 24×7 with no holidays, in any zone: business time is real elapsed time (also across DST changes). */
class AlwaysOpenCalendar implements BusinessCalendar {
  constructor(
    readonly name: string,
    readonly timezone: string,
  ) {}
  isOpen(t: number): boolean {
    return Number.isFinite(t);
  }
  addBusiness(from: number, ms: number): number {
    return ms > 0 ? from + ms : from;
  }
  businessBetween(a: number, b: number): number {
    return b > a ? b - a : 0;
  }
  nextOpen(t: number): number {
    return t;
  }
  nextEdge(): number {
    return Infinity;
  }
}

/**
 * Compiles one `calendars.<name>` entry. Throws an Error naming the calendar on an unknown time zone, a malformed
 * `hours` key/value or holiday date (the config loader reports those before the engine ever runs).
 */
export function compileCalendar(name: string, config: CalendarConfig): BusinessCalendar {
  try {
    const offset = zoneOffsets(config.timezone);
    const week = parseWeeklyHours(config.hours);
    const holidays = new Set<number>();
    for (const date of config.holidays ?? []) {
      const day = dayNumber(date);
      if (Number.isNaN(day)) throw new Error(`invalid holiday "${date}" (expected YYYY-MM-DD)`);
      holidays.add(day);
    }
    const overrides = new Map<number, DayRanges>();
    for (const [date, ranges] of Object.entries(config.overrides ?? {})) {
      const day = dayNumber(date);
      if (Number.isNaN(day)) throw new Error(`invalid override date "${date}" (expected YYYY-MM-DD)`);
      overrides.set(day, mergeRanges(ranges.flatMap((r) => parseRanges(r))));
    }
    const fullWeek = week.every((d) => d.some(([s, e]) => s === 0 && e >= 1440));
    if (fullWeek && holidays.size === 0 && overrides.size === 0) return new AlwaysOpenCalendar(name, config.timezone);
    return new IntervalCalendar(name, config.timezone, { offset, week, holidays, overrides });
  } catch (err) {
    throw new Error(`calendar "${name}": ${(err as Error).message}`, { cause: err });
  }
}

/** Compiles every calendar of the file and adds the built-in `always` unless the file defines it. */
export function compileCalendars(configs: Readonly<Record<string, CalendarConfig>>): Record<string, BusinessCalendar> {
  // fromEntries defines own properties, so a hostile key such as `__proto__` stays a plain entry.
  const entries = Object.entries(configs).map(([name, config]) => [name, compileCalendar(name, config)] as const);
  if (!Object.hasOwn(configs, 'always')) entries.push(['always', compileCalendar('always', ALWAYS_CALENDAR)]);
  return Object.fromEntries(entries);
}
