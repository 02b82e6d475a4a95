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
export function labelOf(picklists: PicklistMap | undefined, field: string, value: string | undefined): string | undefined {
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
export function priorityLevel(priorities: Mapping['priorities'], id: string, name: string | undefined): 1 | 2 | 3 | 4 | null {
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
  const found = key === undefined ? undefined : picklists?.[key]?.find((p) => p.label.trim().toLowerCase() === String(entry).trim().toLowerCase());
  return found === undefined ? undefined : Number(found.value);
}
