import type { Location, LocationKeySpec, Ticket } from '../contract/index.js';

/**
 * Location matching compiled once (the contract's `locationMatches` re-reads the key spec and normalizes both sides
 * on every call). Same rule: every key the location names equals the ticket's value (Halo names
 * case-insensitively); a key the connector does not know never matches.
 */

/** Slots of a ticket location: queue id, queue name, team id, team name. */
const slotOf = (field: 'queue' | 'team', byName: boolean): number => (field === 'queue' ? 0 : 2) + (byName ? 1 : 0);

interface KeyCheck {
  readonly slot: number;
  readonly ci: boolean;
  readonly value: string;
}

export type LocationMatcher = readonly KeyCheck[] | null;

/** The ticket's location values, trimmed, read once per evaluation (undefined when absent). */
export type LocationView = readonly (string | undefined)[];

export function compileLocation(location: Location, spec: LocationKeySpec): LocationMatcher {
  const checks: KeyCheck[] = [];
  for (const [key, want] of Object.entries(location)) {
    const rule = spec[key];
    if (!rule) return null;
    const ci = rule.caseInsensitive ?? false;
    const value = String(want).trim();
    checks.push({ slot: slotOf(rule.field, rule.by === 'name'), ci, value: ci ? value.toLowerCase() : value });
  }
  return checks;
}

const trimmed = (v: string | undefined): string | undefined =>
  v === undefined || v === null ? undefined : String(v).trim();

export function locationView(ticket: Pick<Ticket, 'location'>): LocationView {
  const { queue, team } = ticket.location;
  return [trimmed(queue?.id), trimmed(queue?.name), trimmed(team?.id), trimmed(team?.name)];
}

export function matchesLocation(view: LocationView, matcher: LocationMatcher): boolean {
  if (matcher === null) return false;
  for (const check of matcher) {
    const have = view[check.slot];
    if (have === undefined || (check.ci ? have.toLowerCase() : have) !== check.value) return false;
  }
  return true;
}
