import { ruleKinds } from '../contract/index.js';
import type { Rule } from '../contract/index.js';

import type { ProblemCollector } from './collector.js';
import { knownNames } from './problems.js';
import type { Path, PathSegment } from './problems.js';
import { builtinNotes } from './sections.js';
import type { ParsedPolicy, Sections } from './sections.js';

/**
 * Cross-reference checks inside the PSA-independent part (docs/spec.md §2): every tier, group, notifier, calendar and
 * template a policy names must exist. Checks that need an instance's mapping live in `check-instances.ts`.
 */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (s: string) => JSON.stringify(s);

/** Calls `fn` for each string of a one-or-many raw value, with the path of that string. */
function eachName(raw: unknown, path: Path, fn: (name: string, path: Path) => void): void {
  if (typeof raw === 'string') fn(raw, path);
  else if (Array.isArray(raw)) raw.forEach((v, i) => typeof v === 'string' && fn(v, [...path, i]));
}

function checkCondition(c: ProblemCollector, s: Sections, raw: unknown, path: PathSegment[]): void {
  if (!isRecord(raw)) return;
  eachName(raw['tier'], [...path, 'tier'], (tier, p) => {
    if (!s.defined.tiers.has(tier)) c.error(p, `unknown tier ${quote(tier)} ${knownNames(s.defined.tiers)}`);
  });
  const cal = raw['outsideCalendar'];
  if (typeof cal === 'string' && !s.defined.calendars.has(cal)) {
    c.error([...path, 'outsideCalendar'], `unknown calendar ${quote(cal)} ${knownNames(s.defined.calendars)}`);
  }
  for (const nest of ['any', 'all'] as const) {
    const list = raw[nest];
    if (Array.isArray(list)) list.forEach((sub, i) => checkCondition(c, s, sub, [...path, nest, i]));
  }
}

const usesSlaUsed = (raw: unknown): boolean =>
  isRecord(raw) &&
  ('slaUsed' in raw ||
    (['any', 'all'] as const).some((k) => Array.isArray(raw[k]) && (raw[k] as unknown[]).some(usesSlaUsed)));

function checkThen(c: ProblemCollector, s: Sections, rule: Rule, path: PathSegment[], raw: unknown): void {
  const then = rule.then;
  const thenPath = [...path, 'then'];
  if (then.escalateTo !== undefined && then.escalateTo !== 'next' && !s.defined.tiers.has(then.escalateTo)) {
    c.error(
      [...thenPath, 'escalateTo'],
      `unknown tier ${quote(then.escalateTo)} ${knownNames([...s.defined.tiers, 'next'])}`,
    );
  }
  if (then.group !== undefined && !s.defined.groups.has(then.group)) {
    c.error([...thenPath, 'group'], `unknown group ${quote(then.group)} ${knownNames(s.defined.groups)}`);
  }
  const rawThen = isRecord(raw) && isRecord(raw['then']) ? raw['then'] : {};
  eachName(rawThen['notify'], [...thenPath, 'notify'], (name, p) => {
    if (!s.defined.notifiers.has(name))
      c.error(p, `unknown notifier ${quote(name)} ${knownNames(s.defined.notifiers)}`);
  });
  if (
    then.note !== undefined &&
    !(builtinNotes as readonly string[]).includes(then.note) &&
    !s.defined.templates.has(then.note)
  ) {
    c.error(
      [...thenPath, 'note'],
      `unknown note ${quote(then.note)} ${knownNames(new Set([...builtinNotes, ...s.defined.templates]))}`,
    );
  }
  if (Object.keys(then).length === 0) c.warn(thenPath, 'the rule has no actions');
}

function checkPolicy(c: ProblemCollector, s: Sections, name: string, parsed: ParsedPolicy): void {
  const { policy } = parsed;
  const base: PathSegment[] = ['policies', name];
  if (!s.defined.calendars.has(policy.calendar)) {
    c.error([...base, 'calendar'], `unknown calendar ${quote(policy.calendar)} ${knownNames(s.defined.calendars)}`);
  }
  for (const [priority, target] of Object.entries(policy.sla)) {
    if (target?.calendar !== undefined && !s.defined.calendars.has(target.calendar)) {
      c.error(
        [...base, 'sla', priority, 'calendar'],
        `unknown calendar ${quote(target.calendar)} ${knownNames(s.defined.calendars)}`,
      );
    }
  }
  if (policy.rca) {
    policy.rca.after.forEach((name, i) => {
      if (!(ruleKinds as readonly string[]).includes(name) && !s.defined.tiers.has(name)) {
        c.error(
          [...base, 'rca', 'after', i],
          `${quote(name)} is neither a rule kind nor a tier ${knownNames([...ruleKinds, ...s.defined.tiers])}`,
        );
      }
    });
    policy.rca.notify.forEach((name, i) => {
      if (!s.defined.notifiers.has(name))
        c.error([...base, 'rca', 'notify', i], `unknown notifier ${quote(name)} ${knownNames(s.defined.notifiers)}`);
    });
    if (policy.rca.template !== undefined && !s.defined.templates.has(policy.rca.template)) {
      c.error(
        [...base, 'rca', 'template'],
        `unknown template ${quote(policy.rca.template)} ${knownNames(s.defined.templates)}`,
      );
    }
  }
  policy.calendarFor.forEach((entry, i) => {
    if (!s.defined.calendars.has(entry.calendar)) {
      c.error(
        [...base, 'calendarFor', i, 'calendar'],
        `unknown calendar ${quote(entry.calendar)} ${knownNames(s.defined.calendars)}`,
      );
    }
  });
  policy.rules.forEach((rule, k) => {
    const index = parsed.ruleIndex[k] ?? k;
    const raw = parsed.rawRules[index];
    const path: PathSegment[] = [...base, 'rules', index];
    checkCondition(c, s, isRecord(raw) ? raw['when'] : undefined, [...path, 'when']);
    checkThen(c, s, rule, path, raw);
    if (Object.keys(policy.sla).length === 0 && usesSlaUsed(isRecord(raw) ? raw['when'] : undefined)) {
      c.warn([...path, 'when'], 'uses slaUsed but the policy has no sla targets, so it never fires');
    }
  });
}

/** Runs every policy-level cross-reference check. */
export function checkPolicies(c: ProblemCollector, s: Sections): void {
  for (const [name, parsed] of Object.entries(s.policies)) checkPolicy(c, s, name, parsed);
  for (const [name, notifier] of Object.entries(s.notifiers)) {
    const cal = notifier.quietHours?.calendar;
    if (cal !== undefined && !s.defined.calendars.has(cal)) {
      c.error(
        ['notifiers', name, 'quietHours', 'calendar'],
        `unknown calendar ${quote(cal)} ${knownNames(s.defined.calendars)}`,
      );
    }
  }
}
