import type {
  CalendarConfig,
  GroupConfig,
  IdOrName,
  Location,
  LocationKeySpec,
  Policy,
  PriorityName,
} from '../contract/index.js';

/**
 * Engine-internal types shared by calendar.ts, clocks.ts, rules.ts, evaluate.ts and notes.ts.
 * All instants are epoch milliseconds (numbers) inside the engine; ISO strings only at the edges.
 */

/** A business calendar precomputed as UTC open intervals (docs/spec.md §2 "Calendars and SLA clocks"). */
export interface BusinessCalendar {
  readonly name: string;
  /** IANA zone, used to render local times in notes. */
  readonly timezone: string;
  /** True when `t` lies in an open interval [start, end). */
  isOpen(t: number): boolean;
  /**
   * The instant at which `ms` business milliseconds have elapsed after `from`. When that is exactly the end of an
   * open period, returns that end (not the next opening). `ms = 0` returns `from`.
   */
  addBusiness(from: number, ms: number): number;
  /** Business milliseconds in [a, b) (0 when b <= a). */
  businessBetween(a: number, b: number): number;
  /** `t` itself when open, else the start of the next open interval (Infinity when none within the horizon). */
  nextOpen(t: number): number;
  /** The next instant strictly after `t` at which the open/closed state changes (Infinity when none). */
  nextEdge(t: number): number;
}

/** One paused stretch [from, to) of an SLA clock (to = Infinity while still paused). */
export interface PauseInterval {
  from: number;
  to: number;
}

/** Output of one SLA clock, before ISO formatting (see `Clock` in the contract for the JSON form). */
export interface ClockValue {
  targetMinutes: number;
  dueAt: number;
  /** Exact elapsed business ms (the contract floors minutes and percentages). */
  elapsedMs: number;
  elapsedMinutes: number;
  usedPct: number;
  breached: boolean;
  paused: boolean;
  stopped: boolean;
}

/** Everything the engine needs about one instance, compiled once from the config (cheap to reuse). */
export interface CompiledInstance {
  id: string;
  /** Ordered tier names (`tiers:`). */
  tiers: readonly string[];
  /** `mapping.tiers` with single locations turned into lists. */
  tierLocations: Readonly<Record<string, readonly Location[]>>;
  /** `mapping.groups`. */
  groupLocations: Readonly<Record<string, Location>>;
  /** `mapping.members`: group member name → PSA identity. */
  members: Readonly<Record<string, unknown>>;
  /** Autotask/Halo: members without a `mapping.members` entry can't be assigned. */
  membersRequireMapping: boolean;
  locationKeys: LocationKeySpec;
  /** `mapping.priorities` (first id listed is what a priority write uses). */
  priorities: Partial<Record<PriorityName, IdOrName[]>>;
}

export interface CompiledPolicy {
  name: string;
  policy: Policy;
  instance: CompiledInstance;
  /** Every calendar of the file (including built-in `always`), precomputed. */
  calendars: Readonly<Record<string, BusinessCalendar>>;
  groups: Readonly<Record<string, GroupConfig>>;
  notifiers: readonly string[];
  templates: Readonly<Record<string, string>>;
}

/** Input used to compile (plain config objects; `src/config` produces them). */
export interface CompileInput {
  policyName: string;
  policy: Policy;
  tiers: readonly string[];
  calendars: Readonly<Record<string, CalendarConfig>>;
  groups: Readonly<Record<string, GroupConfig>>;
  notifiers: readonly string[];
  templates: Readonly<Record<string, string>>;
  instance: Omit<CompiledInstance, 'tierLocations'> & {
    tierLocations: Readonly<Record<string, Location | readonly Location[]>>;
  };
}
