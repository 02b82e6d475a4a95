import { ruleKinds, sameLocation } from '../contract/index.js';
import type { Location } from '../contract/index.js';
import { compileCalendars } from './calendar.js';
import { compileCondition, timeLeavesOf, usesLeaf } from './compile-conditions.js';
import type { ConditionCompiler } from './compile-conditions.js';
import type {
  CalendarRoute,
  CompiledRule,
  EngineData,
  EnginePolicy,
  MoveTarget,
  OwnerStrategy,
  TierMatcher,
} from './compiled.js';
import { buildGroupTargets, buildTierTargets, compileMove } from './moves.js';
import { compileLocation } from './location-match.js';
import { compileOwnerStrategy } from './ownership.js';
import type { CompiledRca } from './rca.js';
import { compileTemplate } from './templates.js';
import type { BusinessCalendar, CompiledInstance, CompileInput } from './types.js';

/**
 * `compilePolicy`: everything that does not depend on the ticket is done here, once per instance — calendars as UTC
 * intervals, phrases tokenized, category patterns split, move targets resolved, templates parsed. Cross-reference
 * errors (unknown tier, group, notifier, template or calendar; a group outside its `escalateTo` tier; one location
 * under two tiers) throw a `PolicyCompileError` listing every problem.
 */

export class PolicyCompileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid policy:\n  ${problems.join('\n  ')}`);
    this.name = 'PolicyCompileError';
  }
}

const builtInNotes = new Set(['handoff', 'internal']);

function normalizeInstance(input: CompileInput): CompiledInstance {
  const tierLocations: Record<string, readonly Location[]> = {};
  for (const [tier, value] of Object.entries(input.instance.tierLocations)) {
    tierLocations[tier] = Array.isArray(value) ? (value as readonly Location[]) : [value as Location];
  }
  return { ...input.instance, tiers: input.tiers, tierLocations };
}

function checkLocations(
  instance: CompiledInstance,
  tiers: readonly string[],
  problems: string[],
): EngineData['tierMatchers'] {
  const all: TierMatcher[] = [];
  for (const [tier, locations] of Object.entries(instance.tierLocations)) {
    if (!tiers.includes(tier)) problems.push(`instances.${instance.id}.mapping.tiers.${tier}: unknown tier "${tier}"`);
    for (const location of locations) {
      const dup = all.find((o) => o.tier !== tier && sameLocation(o.location, location, instance.locationKeys));
      if (dup)
        problems.push(
          `instances.${instance.id}.mapping.tiers.${tier}: location ${JSON.stringify(location)} is also listed under ${dup.tier}`,
        );
      all.push({
        tier,
        tierIndex: tiers.indexOf(tier),
        location,
        keys: Object.keys(location).length,
        matcher: compileLocation(location, instance.locationKeys),
      });
    }
  }
  // Derivation takes the matching location naming the most keys; the sort is stable, so ties keep file order.
  return all.sort((a, b) => b.keys - a.keys);
}

function checkCalendars(
  input: CompileInput,
  calendars: Record<string, BusinessCalendar>,
  problems: string[],
): BusinessCalendar {
  const base = `policies.${input.policyName}`;
  if (!Object.hasOwn(calendars, input.policy.calendar))
    problems.push(`${base}.calendar: unknown calendar "${input.policy.calendar}"`);
  for (const [p, target] of Object.entries(input.policy.sla)) {
    if (target?.calendar && !Object.hasOwn(calendars, target.calendar))
      problems.push(`${base}.sla.${p}.calendar: unknown calendar "${target.calendar}"`);
  }
  return calendars[input.policy.calendar] ?? (calendars.always as BusinessCalendar);
}

function compileRca(input: CompileInput, problems: string[]): CompiledRca | null {
  const rca = input.policy.rca;
  if (rca === undefined) return null;
  const base = `policies.${input.policyName}.rca`;
  const kinds = new Set<string>();
  const tiers = new Set<string>();
  rca.after.forEach((name, i) => {
    if ((ruleKinds as readonly string[]).includes(name)) kinds.add(name);
    else if (input.tiers.includes(name)) tiers.add(name);
    else problems.push(`${base}.after[${i}]: "${name}" is neither a rule kind (${ruleKinds.join(', ')}) nor a tier`);
  });
  for (const n of rca.notify)
    if (!input.notifiers.includes(n)) problems.push(`${base}.notify: unknown notifier "${n}"`);
  let template: CompiledRca['template'];
  if (rca.template !== undefined) {
    const text = Object.hasOwn(input.templates, rca.template) ? input.templates[rca.template] : undefined;
    if (text === undefined) problems.push(`${base}.template: unknown template "${rca.template}"`);
    else template = compileTemplate(text);
  }
  const out: CompiledRca = { kinds, tiers, within: rca.within, heading: rca.heading, notify: [...new Set(rca.notify)] };
  return template ? { ...out, template } : out;
}

function compileCalendarFor(
  input: CompileInput,
  calendars: Record<string, BusinessCalendar>,
  problems: string[],
): CalendarRoute[] {
  return input.policy.calendarFor.map((entry, i) => {
    if (!Object.hasOwn(calendars, entry.calendar))
      problems.push(`policies.${input.policyName}.calendarFor[${i}].calendar: unknown calendar "${entry.calendar}"`);
    const [key, list] = 'company' in entry ? (['company', entry.company] as const) : (['site', entry.site] as const);
    return { key, values: new Set(list.map((v) => String(v).trim().toLowerCase())), calendar: entry.calendar };
  });
}

function compileRules(
  input: CompileInput,
  cc: ConditionCompiler,
  targets: { tierTargets: (MoveTarget | null)[]; groupTargets: Map<string, MoveTarget> },
): CompiledRule[] {
  const notifiers = new Set(input.notifiers);
  return input.policy.rules.map((rule, index) => {
    const path = `policies.${input.policyName}.rules[${index}]`;
    const when = compileCondition(cc, `${path}.when`, rule.when);
    const then = rule.then;
    const move = compileMove({
      then,
      path: `${path}.then`,
      tiers: input.tiers,
      groups: input.groups,
      ...targets,
      problems: cc.problems,
    });
    const notify = [...new Set(then.notify ?? [])];
    for (const n of notify) if (!notifiers.has(n)) cc.problems.push(`${path}.then.notify: unknown notifier "${n}"`);
    let template: CompiledRule['template'];
    if (then.note !== undefined && !builtInNotes.has(then.note)) {
      const text = Object.hasOwn(input.templates, then.note) ? input.templates[then.note] : undefined;
      if (text === undefined)
        cc.problems.push(
          `${path}.then.note: unknown template "${then.note}" (expected handoff, internal or a templates name)`,
        );
      else template = compileTemplate(text);
    }
    const usesSla = usesLeaf(when, ['slaUsed']);
    const compiled: CompiledRule = {
      index,
      id: rule.id,
      kind: rule.kind,
      when,
      then,
      notify,
      move,
      usesSla,
      timeLeaves: timeLeavesOf(when),
    };
    return template ? { ...compiled, template } : compiled;
  });
}

/** Compiles one policy for one instance. Throws `PolicyCompileError` on cross-reference errors. */
export function compilePolicy(input: CompileInput): EnginePolicy {
  const problems: string[] = [];
  const calendars = compileCalendars(input.calendars);
  const instance = normalizeInstance(input);
  const tierMatchers = checkLocations(instance, input.tiers, problems);
  const defaultCalendar = checkCalendars(input, calendars, problems);
  const calendarFor = compileCalendarFor(input, calendars, problems);
  const rca = compileRca(input, problems);
  const groupTargets = buildGroupTargets(instance, input.tiers, input.groups);
  const tierTargets = buildTierTargets(instance, input.tiers, groupTargets);
  const owners = new Map<string, OwnerStrategy>();
  for (const [name, group] of Object.entries(input.groups)) owners.set(name, compileOwnerStrategy(group));
  const cc: ConditionCompiler = { nextLeafId: 0, tiers: input.tiers, calendars, problems };
  const rules = compileRules(input, cc, { tierTargets, groupTargets });
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) problems.push(`policies.${input.policyName}.rules: duplicate rule id "${r.id}"`);
    ids.add(r.id);
  }
  if (problems.length > 0) throw new PolicyCompileError(problems);
  const engine: EngineData = {
    rules,
    tierIndex: new Map(input.tiers.map((t, i) => [t, i])),
    tierTargets,
    groupTargets,
    owners,
    tierMatchers,
    defaultCalendar,
    calendarFor,
    rca,
    required: input.policy.handoff.required,
    slaRules: new Set(rules.filter((r) => r.usesSla).map((r) => r.id)),
    promiseRules: new Set(rules.filter((r) => usesLeaf(r.when, ['updateOverdue'])).map((r) => r.id)),
  };
  return {
    name: input.policyName,
    policy: input.policy,
    instance,
    calendars,
    groups: input.groups,
    notifiers: input.notifiers,
    templates: input.templates,
    engine,
  };
}
