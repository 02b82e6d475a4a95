/**
 * Human formatting for notes: calendar-local times and business-time spans. `Intl.DateTimeFormat` objects are
 * built once per time zone and reused (building one costs far more than formatting with it).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface ZoneSlice {
  offset: number;
  abbr: string;
}

// Offsets only change at transitions, which tz data puts on whole quarter hours of UTC: one Intl call per zone and
// quarter hour is enough, the rest is arithmetic. Bounded so a long-running process does not grow without limit.
const SLICE_MS = 900_000;
const zones = new Map<string, Map<number, ZoneSlice>>();

function sliceAt(ms: number, timeZone: string): ZoneSlice {
  const start = Math.floor(ms / SLICE_MS) * SLICE_MS;
  let slices = zones.get(timeZone);
  if (!slices) zones.set(timeZone, (slices = new Map()));
  let slice = slices.get(start);
  if (!slice) {
    const parts: Record<string, string> = {};
    for (const p of formatterFor(timeZone).formatToParts(start)) parts[p.type] = p.value;
    const local = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
    );
    slice = { offset: local - start, abbr: parts.timeZoneName ?? timeZone };
    if (slices.size >= 10_000) slices.clear();
    slices.set(start, slice);
  }
  return slice;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const pad = (n: number): string => TWO_DIGITS[n] ?? String(n).padStart(2, '0');

/** `2026-11-24 11:00 EST`: the instant as a wall-clock time in the zone, with the zone's abbreviation. */
export function formatLocal(ms: number, timeZone: string): string {
  if (!Number.isFinite(ms)) return 'not scheduled (the clock is paused)';
  const { offset, abbr } = sliceAt(ms, timeZone);
  const d = new Date(ms + offset);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} ${abbr}`;
}

/** `2h 05m`, `45m`, `3d 4h`: a span of (business) time, rounded down to the minute. */
export function formatSpan(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 60_000));
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m`;
}

const pad4 = (n: number): string => (n < 1000 ? String(n).padStart(4, '0') : String(n));

/**
 * `YYYY-MM-DDTHH:mm:ssZ` (the contract's instant form) by integer arithmetic — several times faster than
 * `toISOString()` plus a regex, and called for every clock and every nextCheckAt. Sub-seconds are truncated, or
 * rounded up with `ceil` (a "check again at" instant must not fall before what it waits for).
 */
export function isoInstant(ms: number, ceil = false): string {
  const s = ceil ? Math.ceil(ms / 1000) : Math.floor(ms / 1000);
  const days = Math.floor(s / 86_400);
  const sod = s - days * 86_400;
  // Civil date from a day count (H. Hinnant's days_from_civil inverse), valid for the proleptic Gregorian calendar.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return new Date(s * 1000).toISOString().slice(0, 19) + 'Z';
  const h = Math.floor(sod / 3600);
  const mi = Math.floor((sod % 3600) / 60);
  return `${pad4(year)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(mi)}:${pad(sod % 60)}Z`;
}

/** Two ASCII digits at `i` as a number (NaN when not digits). */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of a canonical `YYYY-MM-DDTHH:mm:ssZ` / `YYYY-MM-DDTHH:mm:ss.sssZ` instant by integer arithmetic (the
 * inverse of `isoInstant`), NaN for any other shape — callers fall back to the general parser. State and ticket
 * instants are parsed several times per evaluation; this keeps that off the profile.
 */
export function parseIsoFast(s: string): number {
  const n = s.length;
  if ((n !== 20 && n !== 24) || s.charCodeAt(n - 1) !== 90 || s.charCodeAt(10) !== 84) return Number.NaN;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58)
    return Number.NaN;
  const year = two(s, 0) * 100 + two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59))
    return Number.NaN;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > DAYS_IN_MONTH[month - 1]! + (month === 2 && leap ? 1 : 0)) return Number.NaN;
  let ms = 0;
  if (n === 24) {
    const hundreds = s.charCodeAt(20) - 48;
    const rest = two(s, 21);
    if (s.charCodeAt(19) !== 46 || !(hundreds >= 0 && hundreds <= 9) || Number.isNaN(rest)) return Number.NaN;
    ms = hundreds * 100 + rest;
  }
  // Days from the civil date (H. Hinnant's days_from_civil).
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const days = era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
}
