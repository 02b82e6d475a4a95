import { IANAZone } from 'luxon';

/**
 * Instants and the local wall-clock model for the engine (docs/spec.md §2 "Time and durations", "Calendars and SLA clocks"):
 * ISO parsing/formatting, IANA zone offsets, local ranges → real intervals (DST rules) and weekly `hours` parsing.
 * Inside the engine every instant is epoch milliseconds; ISO strings appear only at the edges (`parseInstant`,
 * `formatInstant`). The zone helpers run only while a calendar window is generated, never on the hot path.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Parses an RFC 3339 instant (any offset; a date-time without a zone reads as UTC). NaN when it is not a date. */
export function parseInstant(value: string): number {
  const fast = parseCanonical(value);
  if (fast === fast) return fast; // not NaN
  // Date.parse reads a date-time without a zone as the process's local time; PSA datetimes without a zone are UTC.
  const last = value.charCodeAt(value.length - 1);
  if (last === 90 /* Z */ || last === 122 /* z */ || value.length <= 10) return Date.parse(value);
  if (/[+-]\d\d:?\d\d$/.test(value.slice(-6))) return Date.parse(value);
  return Date.parse(`${value.replace(' ', 'T')}Z`);
}

/** Digits of `s` at [from, from + n) as a number; NaN when one is not a digit. */
function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * `YYYY-MM-DDTHH:mm:ssZ` and `YYYY-MM-DDTHH:mm:ss.sssZ` (what our own JSON and most PSAs send) without Date.parse,
 * which is several times slower and runs several times per evaluation. NaN for any other shape.
 */
function parseCanonical(s: string): number {
  const n = s.length;
  if ((n !== 20 && n !== 24) || s.charCodeAt(n - 1) !== 90 /* Z */ || s[10] !== 'T') return Number.NaN;
  if (s[4] !== '-' || s[7] !== '-' || s[13] !== ':' || s[16] !== ':' || (n === 24 && s[19] !== '.')) return Number.NaN;
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) {
    return Number.NaN;
  }
  const year = digits(s, 0, 4);
  if (!(year >= 100)) return Number.NaN; // Date.UTC maps years 0-99 to 1900-1999
  // Date.UTC would roll 2026-02-30 over into March: leave such dates to Date.parse (the slow path decides).
  if (day > 28 && day > daysInMonth(year, month)) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, n === 24 ? digits(s, 20, 3) : 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Formats an instant as `YYYY-MM-DDTHH:mm:ssZ` (the contract's form: no fraction). Sub-second parts are truncated
 * (`'floor'`) or rounded up to the next whole second (`'ceil'`, for "check again at" instants that must not fall
 * before the event they wait for).
 */
export function formatInstant(ms: number, mode: 'floor' | 'ceil' = 'floor'): string {
  const whole = mode === 'ceil' ? Math.ceil(ms / SECOND_MS) * SECOND_MS : Math.floor(ms / SECOND_MS) * SECOND_MS;
  return new Date(whole).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Offset of `zone` from UTC at the real instant `t`, in milliseconds (local = t + offset). */
export type OffsetFn = (t: number) => number;

/** Builds the offset function of an IANA zone. Throws on an unknown zone (a config error, caught by check-config). */
export function zoneOffsets(name: string): OffsetFn {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new Error(`unknown IANA time zone "${name}"`);
  return (t) => zone.offset(t) * MINUTE_MS;
}

/** Local day number (days since 1970-01-01 in the zone's calendar) of the real instant `t`. */
export function localDay(offset: OffsetFn, t: number): number {
  return Math.floor((t + offset(t)) / DAY_MS);
}

/** Weekday of a local day number: 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** Day number of a `YYYY-MM-DD` date string (NaN when malformed). */
export function dayNumber(isoDate: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

/** The first real instant in (lo, hi] whose offset differs from offset(lo) (hi when there is none). */
function findTransition(offset: OffsetFn, lo: number, hi: number): number {
  const before = offset(lo);
  let a = lo;
  let b = hi;
  // Bisect down to the millisecond so the edge is exact (tz data changes offsets on whole seconds).
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (offset(mid) === before) a = mid;
    else b = mid;
  }
  return b;
}

/**
 * The real-time pieces of one local wall-clock range [localStart, localEnd) (local ms = UTC-equivalent of the wall
 * time). Rules (docs/spec.md §2): a local time skipped by DST moves forward by the gap; a repeated local time counts once per
 * real minute, i.e. every real instant whose wall-clock reading lies in the range belongs to it. Assumes at most one
 * offset change within the range (ranges are ≤ 48 h; tz data has no zone with two changes that close).
 */
export function localRangeToReal(offset: OffsetFn, localStart: number, localEnd: number): [number, number][] {
  const o1 = offset(localStart - DAY_MS);
  const o2 = offset(localEnd + DAY_MS);
  if (o1 === o2) return localEnd > localStart ? [[localStart - o1, localEnd - o1]] : [];
  const t = findTransition(offset, localStart - DAY_MS, localEnd + DAY_MS);
  // Spring forward (o2 > o1): wall times in [t + o1, t + o2) never occur; they are shifted forward by the gap.
  const inGap = (local: number): boolean => o2 > o1 && local >= t + o1 && local < t + o2;
  const pieces: [number, number][] = [];
  const preStart = localStart - o1;
  const preEnd = Math.min(localEnd - o1, t);
  if (preEnd > preStart) pieces.push([preStart, preEnd]);
  const postStart = Math.max(t, inGap(localStart) ? localStart - o1 : localStart - o2);
  const postEnd = inGap(localEnd) ? localEnd - o1 : localEnd - o2;
  if (postEnd > postStart) pieces.push([postStart, postEnd]);
  return pieces;
}

// ---------------------------------------------------------------- weekly hours (`calendars.<name>.hours`)

/** Ranges of one weekday in minutes from local midnight; an end past 1440 runs into the next day. */
export type DayRanges = readonly (readonly [number, number])[];

const dayIndex: ReadonlyMap<string, number> = new Map(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d, i) => [d, i]),
);

/** Days named by an `hours` key: `mon`, `mon-fri`, wrapping `fri-mon`, or a comma list of those. */
function parseDayKey(key: string): number[] {
  const days = new Set<number>();
  for (const part of key.toLowerCase().split(',')) {
    const [from, to = from] = part.split('-').map((d) => dayIndex.get(d.trim()));
    if (from === undefined || to === undefined) throw new Error(`invalid day key "${key}"`);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days];
}

function parseClock(hhmm: string, value: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm.trim());
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!(minutes >= 0 && minutes <= 1440) || Number(m?.[2]) > 59) throw new Error(`invalid hours "${value}"`);
  return minutes;
}

/** `08:00-12:00,13:00-17:00` → minute ranges; an end before its start runs into the next day (night shift). */
export function parseRanges(value: string): [number, number][] {
  const out: [number, number][] = [];
  for (const range of value.split(',')) {
    const [a, b, extra] = range.split('-');
    if (a === undefined || b === undefined || extra !== undefined) throw new Error(`invalid hours "${value}"`);
    const start = parseClock(a, value);
    let end = parseClock(b, value);
    if (end < start) end += 1440;
    if (end > start) out.push([start, end]);
  }
  return out;
}

/** Sorted union of overlapping or touching ranges. */
export function mergeRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** `hours` → per weekday (0 = Monday) merged ranges. Throws on a malformed key or value. */
export function parseWeeklyHours(hours: Readonly<Record<string, string>>): DayRanges[] {
  const week: [number, number][][] = [[], [], [], [], [], [], []];
  for (const [key, value] of Object.entries(hours)) {
    const ranges = parseRanges(value);
    for (const d of parseDayKey(key)) week[d]?.push(...ranges);
  }
  return week.map(mergeRanges);
}
