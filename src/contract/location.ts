import type { Location } from './config.js';
import type { Ticket } from './ticket.js';

/**
 * How a connector's location keys read the normalized ticket: ConnectWise `board` → `location.queue.id`,
 * `team` → `location.team.id`; Autotask `queueID` → `location.queue.id`; Halo `team` → `location.team.name`
 * (case-insensitive). Shared by every connector and by the engine, so it lives in the contract (a pure helper,
 * not a type: putting it anywhere else would make connectors import outside `src/contract/`).
 */
export type LocationKeySpec = Record<string, { field: 'queue' | 'team'; by: 'id' | 'name'; caseInsensitive?: boolean }>;

function norm(value: string | number, ci: boolean): string {
  const s = String(value).trim();
  return ci ? s.toLowerCase() : s;
}

/** True when every key the location names equals the ticket's value (omitted keys match anything). */
export function locationMatches(ticket: Pick<Ticket, 'location'>, location: Location, spec: LocationKeySpec): boolean {
  for (const [key, want] of Object.entries(location)) {
    const rule = spec[key];
    if (!rule) return false;
    const ref = ticket.location[rule.field];
    const have = rule.by === 'id' ? ref?.id : ref?.name;
    if (have === undefined || have === null) return false;
    if (norm(have, rule.caseInsensitive ?? false) !== norm(want, rule.caseInsensitive ?? false)) return false;
  }
  return true;
}

/** Two mapping locations name the same place (same keys, equal values). */
export function sameLocation(a: Location, b: Location, spec: LocationKeySpec): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every(
    (k) => norm(a[k]!, spec[k]?.caseInsensitive ?? false) === norm(b[k]!, spec[k]?.caseInsensitive ?? false),
  );
}

/**
 * Derives the tier of a ticket from `mapping.tiers` (docs/spec.md §2): among matching locations the one naming more keys
 * wins; no match → null.
 */
export function deriveTier(
  ticket: Pick<Ticket, 'location'>,
  tiers: Record<string, Location | Location[]>,
  spec: LocationKeySpec,
): string | null {
  let best: { tier: string; keys: number } | null = null;
  for (const [tier, value] of Object.entries(tiers)) {
    for (const loc of Array.isArray(value) ? value : [value]) {
      const keys = Object.keys(loc).length;
      if ((best === null || keys > best.keys) && locationMatches(ticket, loc, spec)) best = { tier, keys };
    }
  }
  return best?.tier ?? null;
}
