import type { IdOrName, Mapping, StatusCategory } from '../../src/contract/index.js';

/** Picklists as fetched (`value` is a string, autotask.md §5.4). */
export type PicklistMap = Record<string, { value: string; label: string; isDefault?: boolean }[] | undefined>;

/** An id (number) or numeric string from the payload, as a string. */
export function idString(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return String(Number(v));
  return undefined;
}

/** The label of a picklist value (case-insensitive field name; Autotask's own casing varies). */
export function labelOf(
  picklists: PicklistMap | undefined,
  field: string,
  value: string | undefined,
): string | undefined {
  if (!picklists || value === undefined) return undefined;
  const key = Object.keys(picklists).find((k) => k.toLowerCase() === field.toLowerCase());
  const label = key === undefined ? undefined : picklists[key]?.find((p) => p.value === value)?.label;
  return label === undefined || label === '' ? undefined : label;
}

/** A mapping entry matches a PSA id (number or numeric string) or, for other strings, its name case-insensitively. */
export function entryMatches(entry: IdOrName, id: string, name: string | undefined): boolean {
  const asId = idString(entry);
  if (asId !== undefined) return asId === id;
  return name !== undefined && String(entry).trim().toLowerCase() === name.trim().toLowerCase();
}

/** docs/spec.md §3: mapped id or name → its category; an unmapped status reads as `open`. */
export function statusCategory(statuses: Mapping['statuses'], id: string, name: string | undefined): StatusCategory {
  for (const [category, entries] of Object.entries(statuses ?? {})) {
    if (entries?.some((e) => entryMatches(e, id, name))) return category as StatusCategory;
  }
  return 'open';
}

/** docs/spec.md §3: P1–P4 by mapped id or name; unmapped → null (no SLA clocks). */
export function priorityLevel(
  priorities: Mapping['priorities'],
  id: string,
  name: string | undefined,
): 1 | 2 | 3 | 4 | null {
  const levels = [1, 2, 3, 4] as const;
  for (const level of levels) {
    const entries = priorities?.[`P${level}`];
    if (entries?.some((e) => entryMatches(e, id, name))) return level;
  }
  return null;
}

/** The picklist value to write for a mapping entry: the id itself, or the value whose label matches the name. */
export function picklistValue(picklists: PicklistMap | undefined, field: string, entry: IdOrName): number | undefined {
  const asId = idString(entry);
  if (asId !== undefined) return Number(asId);
  const key = picklists ? Object.keys(picklists).find((k) => k.toLowerCase() === field.toLowerCase()) : undefined;
  const found =
    key === undefined
      ? undefined
      : picklists?.[key]?.find((p) => p.label.trim().toLowerCase() === String(entry).trim().toLowerCase());
  return found === undefined ? undefined : Number(found.value);
}

// ------------------------------------------------------------------ datetimes

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
