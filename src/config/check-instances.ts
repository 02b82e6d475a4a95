import { sameLocation } from '../contract/index.js';
import type { AnyConnector, InstanceInfo, Location } from '../contract/index.js';

import type { ProblemCollector } from './collector.js';
import type { ParsedInstance } from './instances.js';
import { knownNames } from './problems.js';
import type { PathSegment } from './problems.js';
import type { Sections } from './sections.js';

/**
 * Cross-reference checks that need an instance's mapping and its connector (docs/spec.md §2, §3): tiers and groups
 * named in `mapping`, location keys, one location per tier, one category per status, `group` + `escalateTo`
 * consistency, members without a PSA identity (a warning: "check-config warns"), and the connector's own warnings
 * about valid settings that weaken a guarantee (`settingsWarnings`).
 */

const quote = (s: string) => JSON.stringify(s);
const showLocation = (l: Location) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? quote(v) : v}`)
    .join(', ')}}`;

interface Placed {
  tier: string;
  location: Location;
  path: PathSegment[];
}

function checkLocation(c: ProblemCollector, location: Location, path: PathSegment[], connector: AnyConnector): void {
  const spec = connector.locationKeys;
  const expected = Object.keys(spec).join(', ');
  if (Object.keys(location).length === 0) c.error(path, `expected at least one of ${expected}`);
  for (const [key, value] of Object.entries(location)) {
    const rule = spec[key];
    if (!rule) c.error([...path, key], `unknown location key for ${connector.kind} (expected ${expected})`, 'key');
    else if (rule.by === 'id' && !/^\d+$/.test(String(value).trim())) {
      c.error([...path, key], `expected a numeric id, got ${quote(String(value))}`);
    }
  }
}

function checkTiers(
  c: ProblemCollector,
  s: Sections,
  p: ParsedInstance,
  info: InstanceInfo,
  connector: AnyConnector,
): void {
  const base: PathSegment[] = ['instances', p.index, 'mapping', 'tiers'];
  const placed: Placed[] = [];
  for (const [tier, value] of Object.entries(info.mapping.tiers)) {
    if (!s.defined.tiers.has(tier))
      c.error([...base, tier], `unknown tier ${quote(tier)} ${knownNames(s.defined.tiers)}`, 'key');
    const list = Array.isArray(value) ? value : [value];
    list.forEach((location, i) => {
      const path = Array.isArray(value) ? [...base, tier, i] : [...base, tier];
      checkLocation(c, location, path, connector);
      const clash = placed.find((q) => sameLocation(q.location, location, connector.locationKeys));
      if (clash) {
        const where = clash.tier === tier ? `listed twice under tier ${tier}` : `already under tier ${clash.tier}`;
        c.error(path, `location ${showLocation(location)} is ${where}; a location belongs to one tier`);
      } else placed.push({ tier, location, path });
    });
  }
  if (placed.length === 0) c.warn(base, 'no tier is mapped: every ticket of this instance has tier null');
}

function checkGroups(
  c: ProblemCollector,
  s: Sections,
  p: ParsedInstance,
  info: InstanceInfo,
  connector: AnyConnector,
): void {
  const base: PathSegment[] = ['instances', p.index, 'mapping', 'groups'];
  for (const [group, location] of Object.entries(info.mapping.groups)) {
    if (!s.defined.groups.has(group)) {
      c.error([...base, group], `unknown group ${quote(group)} ${knownNames(s.defined.groups)}`, 'key');
    }
    checkLocation(c, location, [...base, group], connector);
  }
}

/** A value (id or name) under two categories/priorities is ambiguous (docs/spec.md §3: a config error). */
function checkUnique(c: ProblemCollector, table: Record<string, unknown>, path: PathSegment[], what: string): void {
  const seen = new Map<string, string>();
  for (const [bucket, values] of Object.entries(table)) {
    if (!Array.isArray(values)) continue;
    values.forEach((value, i) => {
      const key = typeof value === 'string' ? value.trim().toLowerCase() : String(value);
      const first = seen.get(key);
      if (first !== undefined && first !== bucket) {
        c.error([...path, bucket, i], `${what} ${quote(String(value))} is already mapped to ${first}`);
      } else seen.set(key, bucket);
    });
  }
}

function tierLocations(info: InstanceInfo, tier: string): Location[] {
  const value = info.mapping.tiers[tier];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function checkRuleTargets(
  c: ProblemCollector,
  s: Sections,
  p: ParsedInstance,
  info: InstanceInfo,
  connector: AnyConnector,
): void {
  const parsed = s.policies[info.policy];
  if (!parsed) return;
  const groupsPath: PathSegment[] = ['instances', p.index, 'mapping', 'groups'];
  const reported = new Set<string>();
  for (const rule of parsed.policy.rules) {
    const { group, escalateTo } = rule.then;
    if (group === undefined || !s.groups[group]) continue;
    const location = info.mapping.groups[group];
    if (!location) {
      if (!reported.has(group))
        c.warn(
          groupsPath,
          `group ${quote(group)} (rule ${rule.id}) has no location in this instance, so that move can't happen here`,
        );
      reported.add(group);
      continue;
    }
    if (escalateTo === undefined || escalateTo === 'next' || !s.defined.tiers.has(escalateTo)) continue;
    if (!tierLocations(info, escalateTo).some((l) => sameLocation(l, location, connector.locationKeys))) {
      c.error(
        [...groupsPath, group],
        `location ${showLocation(location)} of group ${group} is not under tier ${escalateTo}, but rule ${rule.id} of policy ${info.policy} escalates to ${escalateTo} with group ${group}`,
      );
    }
  }
}

function checkMembers(
  c: ProblemCollector,
  s: Sections,
  p: ParsedInstance,
  info: InstanceInfo,
  connector: AnyConnector,
): void {
  const path: PathSegment[] = ['instances', p.index, 'mapping', 'members'];
  const mapped = new Set(p.memberNames);
  const everyMember = new Set<string>();
  for (const [name, group] of Object.entries(s.groups)) {
    const members = [...group.members, ...(group.oncall?.rotation ?? [])];
    members.forEach((m) => everyMember.add(m));
    if (!connector.membersRequireMapping || group.assign === 'none' || !info.mapping.groups[name]) continue;
    for (const member of new Set(members)) {
      if (!mapped.has(member)) {
        c.warn(
          path,
          `member ${quote(member)} of group ${name} has no entry, so it can't be assigned in this ${connector.kind} instance`,
        );
      }
    }
  }
  for (const member of mapped) {
    if (!everyMember.has(member)) c.warn([...path, member], 'is not a member of any group', 'key');
  }
}

/**
 * `handoff.required` sections the instance cannot fill from its PSA with its mapping: with `onMissing: block` every
 * escalation of that instance would be blocked, with `flag` every note says MISSING — warn, naming the fix.
 */
function checkHandoffFillable(
  c: ProblemCollector,
  s: Sections,
  p: ParsedInstance,
  info: InstanceInfo,
  connector: AnyConnector,
): void {
  const policy = s.policies[info.policy]?.policy;
  if (!policy || !connector.handoffFillable || !p.loaded) return;
  const fillable = new Set(connector.handoffFillable(info, p.loaded.settings));
  for (const section of policy.handoff.required) {
    if (fillable.has(section)) continue;
    const effect =
      policy.handoff.onMissing === 'block'
        ? 'every escalation of this instance would be blocked'
        : 'every handoff note would say MISSING';
    c.warn(
      ['instances', p.index, 'fields'],
      `policy ${info.policy} requires handoff section ${quote(section)}, which this ${connector.kind} instance cannot fill from its PSA: ${effect}; map it under fields.${section} (a standard field or a UDF)`,
    );
  }
}

/** Every instance-level cross-reference check, plus duplicate ids across instances. */
export function checkInstances(c: ProblemCollector, s: Sections, instances: readonly ParsedInstance[]): void {
  const ids = new Map<string, number>();
  for (const p of instances) {
    const { info, connector } = p;
    if (!info || !connector) continue;
    const first = ids.get(info.id);
    if (first !== undefined)
      c.error(['instances', p.index, 'id'], `duplicate instance id ${quote(info.id)} (also instances[${first}])`);
    else ids.set(info.id, p.index);
    if (!s.defined.policies.has(info.policy)) {
      c.error(
        ['instances', p.index, 'policy'],
        `unknown policy ${quote(info.policy)} ${knownNames(s.defined.policies)}`,
      );
    }
    checkTiers(c, s, p, info, connector);
    checkGroups(c, s, p, info, connector);
    checkUnique(c, info.mapping.statuses, ['instances', p.index, 'mapping', 'statuses'], 'status');
    checkUnique(c, info.mapping.priorities, ['instances', p.index, 'mapping', 'priorities'], 'priority');
    checkRuleTargets(c, s, p, info, connector);
    checkMembers(c, s, p, info, connector);
    checkHandoffFillable(c, s, p, info, connector);
    if (p.loaded)
      for (const w of connector.settingsWarnings?.(p.loaded.settings) ?? [])
        c.warn(['instances', p.index, ...w.path], w.message);
    p.loaded?.alerts?.forEach((name, i) => {
      if (!s.defined.notifiers.has(name))
        c.error(
          ['instances', p.index, 'alerts', i],
          `unknown notifier ${quote(name)} ${knownNames(s.defined.notifiers)}`,
        );
    });
  }
}
