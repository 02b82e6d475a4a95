import type { Location, LocationKeySpec, Ticket } from '../contract/index.js';

/**
 * Location matching compiled once (the contract's `locationMatches` re-reads the key spec and normalizes both sides
 * on every call). Same rule: every key the location names equals the ticket's value (Halo names
 * case-insensitively); a key the connector does not know never matches.
 */

interface KeyCheck {
  readonly field: 'queue' | 'team';
  readonly byName: boolean;
  readonly ci: boolean;
  readonly value: string;
}

export type LocationMatcher = readonly KeyCheck[] | null;

export function compileLocation(location: Location, spec: LocationKeySpec): LocationMatcher {
  const checks: KeyCheck[] = [];
  for (const [key, want] of Object.entries(location)) {
    const rule = spec[key];
    if (!rule) return null;
    const ci = rule.caseInsensitive ?? false;
    const value = String(want).trim();
    checks.push({ field: rule.field, byName: rule.by === 'name', ci, value: ci ? value.toLowerCase() : value });
  }
  return checks;
}

export function matchesLocation(ticket: Pick<Ticket, 'location'>, matcher: LocationMatcher): boolean {
  if (matcher === null) return false;
  for (const check of matcher) {
    const ref = ticket.location[check.field];
    const have = check.byName ? ref?.name : ref?.id;
    if (have === undefined || have === null) return false;
    const norm = String(have).trim();
    if ((check.ci ? norm.toLowerCase() : norm) !== check.value) return false;
  }
  return true;
}
