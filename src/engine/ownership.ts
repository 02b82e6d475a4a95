import type { GroupConfig, TicketState } from '../contract/index.js';
import type { OwnerStrategy } from './compiled.js';
import { parseInstant } from './time.js';
import type { CompiledInstance } from './types.js';

/**
 * Ownership (docs/spec.md §2): the receiving group's `assign` picks one specific member — never "the team". In Autotask and
 * Halo a member without a `mapping.members` entry can't be assigned and is skipped; when none remains the ticket
 * moves with its owner unchanged and the reason says `ownerUnmapped`.
 */

export interface OwnerPick {
  /** The member picked (a name from `groups`); absent → owner unchanged. */
  owner?: string;
  /** The strategy had members, but none is mapped in this instance. */
  ownerUnmapped: boolean;
}

/** Compiles a group's strategy once (the on-call `start` is parsed here, not per evaluation). */
export function compileOwnerStrategy(group: GroupConfig): OwnerStrategy {
  switch (group.assign) {
    case 'round-robin':
    case 'least-loaded':
      return { k: group.assign, members: group.members };
    case 'oncall': {
      const rotation = group.oncall?.rotation ?? group.members;
      const start = group.oncall ? parseInstant(group.oncall.start) : Number.NaN;
      const every = group.oncall?.every ?? 0;
      if (rotation.length === 0 || !Number.isFinite(start) || !(every > 0)) return { k: 'none' };
      return { k: 'oncall', members: rotation, start, every };
    }
    default:
      return { k: 'none' };
  }
}

/** A true modulo: -1 mod 3 = 2, so rotations count backwards correctly before `start`. */
export const mod = (a: number, n: number): number => ((a % n) + n) % n;

/** The on-call index at `now`: floor((now − start) / every) mod n. */
export function oncallIndex(
  strategy: { start: number; every: number; members: readonly string[] },
  now: number,
): number {
  return mod(Math.floor((now - strategy.start) / strategy.every), strategy.members.length);
}

/** The first assignable member at or after `from` in list order (wrapping), or undefined. */
function firstEligibleFrom(
  members: readonly string[],
  from: number,
  eligible: (m: string) => boolean,
): string | undefined {
  for (let k = 0; k < members.length; k++) {
    const m = members[mod(from + k, members.length)]!;
    if (eligible(m)) return m;
  }
  return undefined;
}

function leastLoaded(
  members: readonly string[],
  loads: TicketState['memberLoads'],
  eligible: (m: string) => boolean,
): string | undefined {
  let best: string | undefined;
  let bestLoad = Infinity;
  for (const m of members) {
    if (!eligible(m)) continue;
    const load = loads?.[m] ?? 0;
    // Strictly fewer: ties keep the member listed first.
    if (load < bestLoad) {
      best = m;
      bestLoad = load;
    }
  }
  return best;
}

/** Picks the owner for a move into `group` at `now`. */
export function pickOwner(args: {
  group: string;
  strategy: OwnerStrategy | undefined;
  instance: CompiledInstance;
  state: TicketState;
  now: number;
}): OwnerPick {
  const { group, strategy, instance, state, now } = args;
  if (!strategy || strategy.k === 'none' || strategy.members.length === 0) return { ownerUnmapped: false };
  const eligible = (m: string): boolean => !instance.membersRequireMapping || Object.hasOwn(instance.members, m);
  let owner: string | undefined;
  if (strategy.k === 'round-robin') {
    const cursor = state.groupCursors?.[group] ?? 0;
    owner = firstEligibleFrom(strategy.members, Number.isFinite(cursor) ? Math.floor(cursor) : 0, eligible);
  } else if (strategy.k === 'least-loaded') {
    owner = leastLoaded(strategy.members, state.memberLoads, eligible);
  } else if (strategy.k === 'oncall') {
    owner = firstEligibleFrom(strategy.members, oncallIndex(strategy, now), eligible);
  }
  return owner === undefined ? { ownerUnmapped: true } : { owner, ownerUnmapped: false };
}

/**
 * The round-robin cursor to store after a move that assigned `owner` from `members`: the index after the picked
 * member, so the next move starts with the following one (`state.groupCursors[group]`).
 */
export function nextCursor(members: readonly string[], owner: string): number {
  const i = members.indexOf(owner);
  return i < 0 ? 0 : (i + 1) % members.length;
}
