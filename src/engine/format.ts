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

const pad = (n: number): string => String(n).padStart(2, '0');

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
