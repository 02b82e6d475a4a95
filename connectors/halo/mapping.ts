/**
 * Halo datetimes (pitfall 4): stored and returned in UTC, often without a zone (`2026-09-01T09:15:00`), webhook
 * timestamps with `Z` and 7 fractional digits. Empty dates come back as `1900-01-01T00:00:00` or
 * `0001-01-01T00:00:00`, everything before 1901 counts as absent (confirmed: a live ticket answer has
 * `targetdate: 1900-01-01T00:00:00`, `lastincomingemail: 0001-01-01T00:00:00` next to zoned `dateoccurred …4214387Z`,
 * patrickthibaudeau/moodle-local_cts_co README.md @d604002).
 */
const ZONED = /(?:[zZ]|[+-]\d{2}:?\d{2})$/;
const SHAPE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[zZ]|[+-]\d{2}:?\d{2})?$/;

/** ISO-8601 UTC (`…Z`, milliseconds only when non-zero), or undefined for missing, placeholder or invalid values. */
export function haloInstant(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (!SHAPE.test(s)) return undefined;
  let text = s.replace(' ', 'T');
  if (!text.includes('T')) text += 'T00:00:00';
  // JavaScript keeps milliseconds only; Halo sends up to 7 fractional digits.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(ZONED.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  if (iso < '1901-01-01') return undefined; // Halo's "no date" placeholder
  return iso.replace('.000Z', 'Z');
}

/** Later of two ISO instants (either may be undefined). */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
