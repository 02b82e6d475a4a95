import { IANAZone } from 'luxon';

import { RuleSchema } from '../contract/index.js';
import type { CalendarConfig, GroupConfig, NotifierConfig, Policy, Rule } from '../contract/index.js';

import type { ProblemCollector } from './collector.js';
import {
  CalendarSchema,
  DedupeTtlSchema,
  GroupSchema,
  NotifierSchema,
  PolicyShellSchema,
  RetentionSchema,
  TemplateSchema,
  TierNameSchema,
  advisedMinimums,
} from './schema.js';

/** What the global (PSA-independent) sections parsed to; entries that failed are left out. */
export interface Sections {
  tiers: string[];
  calendars: Record<string, CalendarConfig>;
  notifiers: Record<string, NotifierConfig>;
  groups: Record<string, GroupConfig>;
  policies: Record<string, ParsedPolicy>;
  templates: Record<string, string>;
  retention: { auditMs: number; deadLettersMs: number; ticketsMs: number };
  dedupeTtlMs: number;
  /** Every name the file defines, valid or not: a reference to an invalid entry is reported once, at the entry. */
  defined: Record<'tiers' | 'calendars' | 'notifiers' | 'groups' | 'templates' | 'policies', Set<string>>;
}

/** The built-in 24×7 UTC calendar (docs/spec.md §2), present unless the file defines its own `always`. */
export const ALWAYS_CALENDAR: CalendarConfig = { timezone: 'UTC', hours: { 'mon-sun': '00:00-24:00' }, holidays: [] };

/** A policy plus where each of its valid rules sits (`rules[i]` in the source). */
export interface ParsedPolicy {
  policy: Policy;
  /** The source index of each entry of `policy.rules`. */
  ruleIndex: number[];
  /** The raw (pre-zod) rules, for paths that depend on how a value was written (one item or a list). */
  rawRules: unknown[];
}

/** The raw top level after the shell schema: known keys, each section still unvalidated. */
export interface RawTopLevel {
  calendars: Record<string, unknown>;
  tiers: unknown[];
  notifiers: Record<string, unknown>;
  groups: Record<string, unknown>;
  policies: Record<string, unknown>;
  templates: Record<string, unknown>;
  retention?: unknown;
  dedupeTtl?: unknown;
}

/** Reserved `note:` values; templates can't take these names. */
export const builtinNotes = ['handoff', 'internal'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseRecord<T>(
  raw: Record<string, unknown>,
  parse: (value: unknown, name: string) => T | undefined,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, value] of Object.entries(raw)) {
    const parsed = parse(value, name);
    if (parsed !== undefined) out[name] = parsed;
  }
  return out;
}

function parseTiers(c: ProblemCollector, raw: unknown[]): string[] {
  const tiers: string[] = [];
  raw.forEach((value, i) => {
    const tier = c.parse(TierNameSchema, value, ['tiers', i]);
    if (tier === undefined) return;
    if (tiers.includes(tier)) c.error(['tiers', i], `duplicate tier ${JSON.stringify(tier)}`);
    else tiers.push(tier);
  });
  return tiers;
}

function parseCalendar(c: ProblemCollector, value: unknown, name: string): CalendarConfig | undefined {
  const calendar = c.parse(CalendarSchema, value, ['calendars', name]);
  if (calendar && !IANAZone.isValidZone(calendar.timezone)) {
    c.error(['calendars', name, 'timezone'], `unknown IANA time zone ${JSON.stringify(calendar.timezone)}`);
    return undefined;
  }
  return calendar;
}

function parseGroup(c: ProblemCollector, value: unknown, name: string): GroupConfig | undefined {
  const group = c.parse(GroupSchema, value, ['groups', name]);
  if (!group) return undefined;
  const path = ['groups', name];
  if (group.assign === 'oncall' && !group.oncall) {
    c.error([...path, 'assign'], 'assign "oncall" needs an oncall block {rotation, start, every}');
  }
  if ((group.assign === 'round-robin' || group.assign === 'least-loaded') && group.members.length === 0) {
    c.error([...path, 'members'], `assign "${group.assign}" needs at least one member`);
  }
  if (group.oncall && group.oncall.every <= 0) c.error([...path, 'oncall', 'every'], 'expected a duration above 0');
  return group;
}

function parsePolicy(c: ProblemCollector, value: unknown, name: string): ParsedPolicy | undefined {
  const shell = c.parse(PolicyShellSchema, value, ['policies', name]);
  if (!shell) return undefined;
  const rules: Rule[] = [];
  const ruleIndex: number[] = [];
  const seen = new Map<string, number>();
  shell.rules.forEach((raw, i) => {
    const rule = c.parse(RuleSchema, raw, ['policies', name, 'rules', i]);
    // Duplicates are checked on the raw id too, so an invalid first rule doesn't hide its twin.
    const id = rule?.id ?? (isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : undefined);
    if (id === undefined) return;
    const first = seen.get(id);
    // Rule ids key the once-per-visit guards and the audit trail: two rules with one id would share them.
    if (first !== undefined) {
      c.error(['policies', name, 'rules', i, 'id'], `duplicate rule id ${JSON.stringify(id)} (also rules[${first}])`);
      return;
    }
    seen.set(id, i);
    if (!rule) return;
    rules.push(rule);
    ruleIndex.push(i);
  });
  return { policy: { ...shell, rules }, ruleIndex, rawRules: shell.rules };
}

function parseTemplate(c: ProblemCollector, value: unknown, name: string): string | undefined {
  if ((builtinNotes as readonly string[]).includes(name)) {
    c.error(['templates', name], `"${name}" is a built-in note and can't be a template name`, 'key');
    return undefined;
  }
  return c.parse(TemplateSchema, value, ['templates', name]);
}

function parseDedupeTtl(c: ProblemCollector, raw: unknown): number {
  const ms = c.parse(DedupeTtlSchema, raw, ['dedupeTtl']);
  if (ms !== undefined && ms < advisedMinimums.dedupeTtlMs) {
    c.warn(
      ['dedupeTtl'],
      'below 72h: a PSA redelivery after that would be processed again (the event id is the only replay defence)',
    );
  }
  return ms ?? 0;
}

/** Milliseconds per retention; a short `tickets` retention loads with a warning (tests use seconds on purpose). */
function parseRetention(
  c: ProblemCollector,
  r: { audit: number; deadLetters: number; tickets: number } | undefined,
): Sections['retention'] {
  if (!r) return { auditMs: 0, deadLettersMs: 0, ticketsMs: 0 };
  if (r.tickets < advisedMinimums.ticketsRetentionMs) {
    c.warn(
      ['retention', 'tickets'],
      'below 1d: a ticket reopened after its record expired starts over as if first seen (notes already posted are recognised by their marker)',
    );
  }
  return { auditMs: r.audit, deadLettersMs: r.deadLetters, ticketsMs: r.tickets };
}

/** Validates every global section; `instances` are handled by `instances.ts`. */
export function parseSections(c: ProblemCollector, raw: RawTopLevel): Sections {
  const retention = c.parse(RetentionSchema, raw.retention, ['retention']);
  const calendars = parseRecord(raw.calendars, (v, n) => parseCalendar(c, v, n));
  const definedCalendars = new Set(Object.keys(raw.calendars));
  if (!definedCalendars.has('always')) {
    calendars['always'] = ALWAYS_CALENDAR;
    definedCalendars.add('always');
  }
  return {
    tiers: parseTiers(c, raw.tiers),
    calendars,
    notifiers: parseRecord(raw.notifiers, (v, n) => c.parse(NotifierSchema, v, ['notifiers', n])),
    groups: parseRecord(raw.groups, (v, n) => parseGroup(c, v, n)),
    policies: parseRecord(raw.policies, (v, n) => parsePolicy(c, v, n)),
    templates: parseRecord(raw.templates, (v, n) => parseTemplate(c, v, n)),
    retention: parseRetention(c, retention),
    dedupeTtlMs: parseDedupeTtl(c, raw.dedupeTtl),
    defined: {
      tiers: new Set(raw.tiers.filter((t): t is string => typeof t === 'string')),
      calendars: definedCalendars,
      notifiers: new Set(Object.keys(raw.notifiers)),
      groups: new Set(Object.keys(raw.groups)),
      templates: new Set(Object.keys(raw.templates)),
      policies: new Set(Object.keys(raw.policies)),
    },
  };
}
