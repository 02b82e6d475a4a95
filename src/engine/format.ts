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
const slices = new Map<string, ZoneSlice>();

function sliceAt(ms: number, timeZone: string): ZoneSlice {
  const start = Math.floor(ms / SLICE_MS) * SLICE_MS;
  const key = `${timeZone}|${start}`;
  let slice = slices.get(key);
  if (!slice) {
    const parts: Record<string, string> = {};
    for (const p of formatterFor(timeZone).formatToParts(start)) parts[p.type] = p.value;
    const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
    slice = { offset: local - start, abbr: parts.timeZoneName ?? timeZone };
    if (slices.size >= 10_000) slices.clear();
    slices.set(key, slice);
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
