import { sameLocation } from '../contract/index.js';
import type { GroupConfig, Location, Then } from '../contract/index.js';
import type { MoveSpec, MoveTarget } from './compiled.js';
import type { EvalContext } from './context.js';
import { compileLocation, matchesLocation } from './location-match.js';
import type { CompiledInstance } from './types.js';

/**
 * Move targets (docs/spec.md §2 "Tiers, locations, groups" and "When rules fire"): with `group`, the group's location; with
 * only `escalateTo`, the tier's first location and the first group whose location equals it; a move must go to a
 * higher tier (or, `group` alone, to another location of the same or a higher tier) — never down, never to the
 * location the ticket already has. `escalateTo` a tier unmapped here, or `next` past the top, only notifies.
 */

export type MoveOutcome =
  | { readonly k: 'none' }
  | { readonly k: 'notifyOnly' }
  | { readonly k: 'impossible' }
  | { readonly k: 'move'; readonly target: MoveTarget };

/** The tier a location is listed under in this instance (null when none). */
function tierOfLocation(
  instance: CompiledInstance,
  tiers: readonly string[],
  loc: Location,
): { tier: string | null; index: number } {
  for (const [index, tier] of tiers.entries()) {
    for (const l of instance.tierLocations[tier] ?? [])
      if (sameLocation(l, loc, instance.locationKeys)) return { tier, index };
  }
  return { tier: null, index: -1 };
}

/** Group name → target, for groups mapped in this instance, in `groups:` order. */
export function buildGroupTargets(
  instance: CompiledInstance,
  tiers: readonly string[],
  groups: Readonly<Record<string, GroupConfig>>,
): Map<string, MoveTarget> {
  const out = new Map<string, MoveTarget>();
  const names = [
    ...Object.keys(groups),
    ...Object.keys(instance.groupLocations).filter((g) => !Object.hasOwn(groups, g)),
  ];
  for (const group of names) {
    const location = instance.groupLocations[group];
    if (!location) continue;
    const { tier, index } = tierOfLocation(instance, tiers, location);
    out.set(group, {
      tier,
      tierIndex: index,
      location,
      matcher: compileLocation(location, instance.locationKeys),
      group,
    });
  }
  return out;
}

/** Per tier: its first location and the first group whose location equals it (null when unmapped). */
export function buildTierTargets(
  instance: CompiledInstance,
  tiers: readonly string[],
  groupTargets: ReadonlyMap<string, MoveTarget>,
): (MoveTarget | null)[] {
  return tiers.map((tier, tierIndex) => {
    const location = instance.tierLocations[tier]?.[0];
    if (!location) return null;
    let group: string | undefined;
    for (const g of groupTargets.values()) {
      if (sameLocation(g.location, location, instance.locationKeys)) {
        group = g.group;
        break;
      }
    }
    const matcher = compileLocation(location, instance.locationKeys);
    return group === undefined ? { tier, tierIndex, location, matcher } : { tier, tierIndex, location, matcher, group };
  });
}

/** Resolves a rule's `then` against the instance; config problems are appended to `problems`. */
export function compileMove(args: {
  then: Then;
  path: string;
  tiers: readonly string[];
  groups: Readonly<Record<string, GroupConfig>>;
  tierTargets: readonly (MoveTarget | null)[];
  groupTargets: ReadonlyMap<string, MoveTarget>;
  problems: string[];
}): MoveSpec {
  const { then, path, tiers, groups, tierTargets, groupTargets, problems } = args;
  const { escalateTo, group } = then;
  if (group !== undefined && !Object.hasOwn(groups, group)) problems.push(`${path}.group: unknown group "${group}"`);
  if (escalateTo === undefined) {
    if (group === undefined) return { k: 'none' };
    return { k: 'fixed', target: groupTargets.get(group) ?? null, groupOnly: true };
  }
  if (escalateTo === 'next') return group === undefined ? { k: 'next' } : { k: 'next', group };
  const index = tiers.indexOf(escalateTo);
  if (index < 0) {
    problems.push(`${path}.escalateTo: unknown tier "${escalateTo}" (expected one of ${tiers.join(', ')} or next)`);
    return { k: 'none' };
  }
  const tierTarget = tierTargets[index] ?? null;
  const groupTarget = group === undefined ? undefined : groupTargets.get(group);
  if (tierTarget === null || groupTarget === undefined) return { k: 'fixed', target: tierTarget, groupOnly: false };
  if (groupTarget.tierIndex !== index) {
    problems.push(`${path}.group: the location of group "${group}" is not a location of tier ${escalateTo}`);
  }
  return { k: 'fixed', target: groupTarget, groupOnly: false };
}

/** What a rule's move means for this ticket now. */
export function resolveMove(move: MoveSpec, ctx: EvalContext): MoveOutcome {
  if (move.k === 'none') return move;
  let target: MoveTarget | null;
  let sameTierAllowed = false;
  if (move.k === 'next') {
    // `next` from tier null (or a tier the file does not list) never matches.
    if (ctx.tierIndex < 0) return { k: 'impossible' };
    target = ctx.policy.engine.tierTargets[ctx.tierIndex + 1] ?? null;
    const groupTarget = move.group === undefined ? undefined : ctx.policy.engine.groupTargets.get(move.group);
    if (target && groupTarget && groupTarget.tierIndex === target.tierIndex) target = groupTarget;
  } else {
    target = move.target;
    sameTierAllowed = move.groupOnly;
  }
  if (target === null) return { k: 'notifyOnly' };
  const higher = sameTierAllowed ? target.tierIndex >= ctx.tierIndex : target.tierIndex > ctx.tierIndex;
  if (!higher || matchesLocation(ctx.location, target.matcher)) return { k: 'impossible' };
  return { k: 'move', target };
}
