/**
 * Autotask datetimes (autotask.md §5.4): "The REST API stores and returns all time data in UTC", yet values often
 * come without a zone (`2020-10-05T10:59:57.537`) and with up to seven fraction digits (.NET). A zone-less value is
 * UTC, never local time. Anything unparseable reads as absent (normalizers never throw).
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch milliseconds of an Autotask datetime, or undefined when missing or malformed. */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = INSTANT.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (Number.isNaN(t)) return undefined;
  const check = new Date(t);
  // Date.UTC rolls 2026-02-31 over into March: refuse impossible dates instead of inventing one.
  if (check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!z) return undefined;
    const offset = (Number(z[2]) * 60 + Number(z[3] ?? '0')) * 60_000;
    t -= z[1] === '+' ? offset : -offset;
  }
  return t;
}

/** `YYYY-MM-DDTHH:mm:ssZ` (docs/spec.md §2: instants are written without a fraction). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Model instant of an Autotask datetime, or undefined. */
export function instant(value: unknown): string | undefined {
  const ms = parseInstant(value);
  return ms === undefined ? undefined : isoSeconds(ms);
}

/**
 * Version string of an Autotask datetime: fixed-width ISO with milliseconds, so that two versions compare the same
 * way as strings and as instants, and two edits within one second still differ.
 */
export function versionOf(value: unknown): string | undefined {
  const ms = parseInstant(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
