import { canonicalNumericTicketId } from '../../src/contract/index.js';
import type { IdOrName, Mapping, PriorityName, StatusCategory } from '../../src/contract/index.js';

import type { CwRef } from './schemas.js';

/**
 * Pure lookups from the PSA's values to the instance mapping (docs/spec.md §3 "Mapping values"): a mapping value matches a
 * ConnectWise id (number or numeric string) or, for strings, the name case-insensitively.
 */

/** A ConnectWise id as a string, or undefined for missing/placeholder ids (0 and negatives are never real records). */
export function idString(value: unknown): string | undefined {
  // Canonical (src/contract/ids.ts): "0001234" and " 1234 " are ticket 1234, one state key per ticket.
  return canonicalNumericTicketId(value);
}

/** True when the mapping value names this reference (by id, or by name case-insensitively). */
export function matchesIdOrName(value: IdOrName, ref: Pick<CwRef, 'id' | 'name'> | undefined | null): boolean {
  if (!ref) return false;
  const id = idString(ref.id);
  if (typeof value === 'number') return id !== undefined && String(value) === id;
  const v = value.trim();
  if (/^\d+$/.test(v) && id !== undefined && String(Number(v)) === String(Number(id))) return true;
  return typeof ref.name === 'string' && ref.name.trim().toLowerCase() === v.toLowerCase();
}

/**
 * Status → category. Mapped statuses win; an unmapped status reads as `open` (docs/spec.md §3) unless ConnectWise itself says
 * the ticket is closed (`closedFlag`) or merged into another ticket (docs/spec.md §4: merged tickets count as closed).
 */
export function statusCategory(
  status: CwRef | undefined | null,
  statuses: Mapping['statuses'],
  flags: { closed: boolean; merged: boolean },
): StatusCategory {
  if (flags.merged) return 'closed';
  for (const [category, values] of Object.entries(statuses) as [StatusCategory, IdOrName[] | undefined][]) {
    if (values?.some((v) => matchesIdOrName(v, status))) return category;
  }
  return flags.closed ? 'closed' : 'open';
}

const levels: Record<PriorityName, 1 | 2 | 3 | 4> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** Priority → level 1–4 via `mapping.priorities`; unmapped → null (no SLA clocks). */
export function priorityLevel(
  priority: CwRef | undefined | null,
  priorities: Mapping['priorities'],
): 1 | 2 | 3 | 4 | null {
  for (const [name, values] of Object.entries(priorities) as [PriorityName, IdOrName[] | undefined][]) {
    if (values?.some((v) => matchesIdOrName(v, priority))) return levels[name];
  }
  return null;
}

/** `vipCompanies` entries match the company id or, in ConnectWise, its identifier (case-insensitive). */
export function isVipCompany(company: CwRef | undefined | null, vipCompanies: IdOrName[]): boolean {
  if (!company) return false;
  const id = idString(company.id);
  const identifier = company.identifier?.trim().toLowerCase();
  return vipCompanies.some((v) => {
    const s = String(v).trim().toLowerCase();
    return (id !== undefined && s === id) || (identifier !== undefined && identifier !== '' && s === identifier);
  });
}

const zoned = /(?:[zZ]|[+-]\d{2}:?\d{2})$/;

/**
 * A PSA datetime as `YYYY-MM-DDTHH:mm:ssZ` (docs/spec.md §2 "Instants"). ConnectWise datetimes without a zone are UTC
 * (docs/spec.md §3); unparseable values → undefined, never a throw.
 */
export function toUtc(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const v = value.trim();
  const withZone = zoned.test(v) || !v.includes('T') ? v : `${v}Z`;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(withZone) ? `${withZone}T00:00:00Z` : withZone);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
