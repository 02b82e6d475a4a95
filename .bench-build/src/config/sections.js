import { IANAZone } from 'luxon';
import { RuleSchema } from '../contract/index.js';
import { CalendarSchema, DedupeTtlSchema, GroupSchema, NotifierSchema, PolicyShellSchema, RetentionSchema, TemplateSchema, TierNameSchema, advisedMinimums, } from './schema.js';
/** The built-in 24×7 UTC calendar (SPEC §2), present unless the file defines its own `always`. */
export const ALWAYS_CALENDAR = { timezone: 'UTC', hours: { 'mon-sun': '00:00-24:00' }, holidays: [] };
/** Reserved `note:` values; templates can't take these names. */
export const builtinNotes = ['handoff', 'internal'];
const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function parseRecord(raw, parse) {
    const out = {};
    for (const [name, value] of Object.entries(raw)) {
        const parsed = parse(value, name);
        if (parsed !== undefined)
            out[name] = parsed;
    }
    return out;
}
function parseTiers(c, raw) {
    const tiers = [];
    raw.forEach((value, i) => {
        const tier = c.parse(TierNameSchema, value, ['tiers', i]);
        if (tier === undefined)
            return;
        if (tiers.includes(tier))
            c.error(['tiers', i], `duplicate tier ${JSON.stringify(tier)}`);
        else
            tiers.push(tier);
    });
    return tiers;
}
function parseCalendar(c, value, name) {
    const calendar = c.parse(CalendarSchema, value, ['calendars', name]);
    if (calendar && !IANAZone.isValidZone(calendar.timezone)) {
        c.error(['calendars', name, 'timezone'], `unknown IANA time zone ${JSON.stringify(calendar.timezone)}`);
        return undefined;
    }
    return calendar;
}
function parseGroup(c, value, name) {
    const group = c.parse(GroupSchema, value, ['groups', name]);
    if (!group)
        return undefined;
    const path = ['groups', name];
    if (group.assign === 'oncall' && !group.oncall) {
        c.error([...path, 'assign'], 'assign "oncall" needs an oncall block {rotation, start, every}');
    }
    if ((group.assign === 'round-robin' || group.assign === 'least-loaded') && group.members.length === 0) {
        c.error([...path, 'members'], `assign "${group.assign}" needs at least one member`);
    }
    if (group.oncall && group.oncall.every <= 0)
        c.error([...path, 'oncall', 'every'], 'expected a duration above 0');
    return group;
}
function parsePolicy(c, value, name) {
    const shell = c.parse(PolicyShellSchema, value, ['policies', name]);
    if (!shell)
        return undefined;
    const rules = [];
    const ruleIndex = [];
    const seen = new Map();
    shell.rules.forEach((raw, i) => {
        const rule = c.parse(RuleSchema, raw, ['policies', name, 'rules', i]);
        // Duplicates are checked on the raw id too, so an invalid first rule doesn't hide its twin.
        const id = rule?.id ?? (isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : undefined);
        if (id === undefined)
            return;
        const first = seen.get(id);
        // Rule ids key the once-per-visit guards and the audit trail: two rules with one id would share them.
        if (first !== undefined) {
            c.error(['policies', name, 'rules', i, 'id'], `duplicate rule id ${JSON.stringify(id)} (also rules[${first}])`);
            return;
        }
        seen.set(id, i);
        if (!rule)
            return;
        rules.push(rule);
        ruleIndex.push(i);
    });
    return { policy: { ...shell, rules }, ruleIndex, rawRules: shell.rules };
}
function parseTemplate(c, value, name) {
    if (builtinNotes.includes(name)) {
        c.error(['templates', name], `"${name}" is a built-in note and can't be a template name`, 'key');
        return undefined;
    }
    return c.parse(TemplateSchema, value, ['templates', name]);
}
function parseDedupeTtl(c, raw) {
    const ms = c.parse(DedupeTtlSchema, raw, ['dedupeTtl']);
    if (ms !== undefined && ms < advisedMinimums.dedupeTtlMs) {
        c.warn(['dedupeTtl'], 'below 72h: a PSA redelivery after that would be processed again (the event id is the only replay defence)');
    }
    return ms ?? 0;
}
/** Validates every global section; `instances` are handled by `instances.ts`. */
export function parseSections(c, raw) {
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
        retention: retention
            ? { auditMs: retention.audit, deadLettersMs: retention.deadLetters }
            : { auditMs: 0, deadLettersMs: 0 },
        dedupeTtlMs: parseDedupeTtl(c, raw.dedupeTtl),
        defined: {
            tiers: new Set(raw.tiers.filter((t) => typeof t === 'string')),
            calendars: definedCalendars,
            notifiers: new Set(Object.keys(raw.notifiers)),
            groups: new Set(Object.keys(raw.groups)),
            templates: new Set(Object.keys(raw.templates)),
            policies: new Set(Object.keys(raw.policies)),
        },
    };
}
//# sourceMappingURL=sections.js.map