import { knownNames } from './problems.js';
import { builtinNotes } from './sections.js';
/**
 * Cross-reference checks inside the PSA-independent part (SPEC §2): every tier, group, notifier, calendar and
 * template a policy names must exist. Checks that need an instance's mapping live in `check-instances.ts`.
 */
const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (s) => JSON.stringify(s);
/** Calls `fn` for each string of a one-or-many raw value, with the path of that string. */
function eachName(raw, path, fn) {
    if (typeof raw === 'string')
        fn(raw, path);
    else if (Array.isArray(raw))
        raw.forEach((v, i) => typeof v === 'string' && fn(v, [...path, i]));
}
function checkCondition(c, s, raw, path) {
    if (!isRecord(raw))
        return;
    eachName(raw['tier'], [...path, 'tier'], (tier, p) => {
        if (!s.defined.tiers.has(tier))
            c.error(p, `unknown tier ${quote(tier)} ${knownNames(s.defined.tiers)}`);
    });
    const cal = raw['outsideCalendar'];
    if (typeof cal === 'string' && !s.defined.calendars.has(cal)) {
        c.error([...path, 'outsideCalendar'], `unknown calendar ${quote(cal)} ${knownNames(s.defined.calendars)}`);
    }
    for (const nest of ['any', 'all']) {
        const list = raw[nest];
        if (Array.isArray(list))
            list.forEach((sub, i) => checkCondition(c, s, sub, [...path, nest, i]));
    }
}
const usesSlaUsed = (raw) => isRecord(raw) &&
    ('slaUsed' in raw || ['any', 'all'].some((k) => Array.isArray(raw[k]) && raw[k].some(usesSlaUsed)));
function checkThen(c, s, rule, path, raw) {
    const then = rule.then;
    const thenPath = [...path, 'then'];
    if (then.escalateTo !== undefined && then.escalateTo !== 'next' && !s.defined.tiers.has(then.escalateTo)) {
        c.error([...thenPath, 'escalateTo'], `unknown tier ${quote(then.escalateTo)} ${knownNames([...s.defined.tiers, 'next'])}`);
    }
    if (then.group !== undefined && !s.defined.groups.has(then.group)) {
        c.error([...thenPath, 'group'], `unknown group ${quote(then.group)} ${knownNames(s.defined.groups)}`);
    }
    const rawThen = isRecord(raw) && isRecord(raw['then']) ? raw['then'] : {};
    eachName(rawThen['notify'], [...thenPath, 'notify'], (name, p) => {
        if (!s.defined.notifiers.has(name))
            c.error(p, `unknown notifier ${quote(name)} ${knownNames(s.defined.notifiers)}`);
    });
    if (then.note !== undefined && !builtinNotes.includes(then.note) && !s.defined.templates.has(then.note)) {
        c.error([...thenPath, 'note'], `unknown note ${quote(then.note)} ${knownNames(new Set([...builtinNotes, ...s.defined.templates]))}`);
    }
    if (Object.keys(then).length === 0)
        c.warn(thenPath, 'the rule has no actions');
}
function checkPolicy(c, s, name, parsed) {
    const { policy } = parsed;
    const base = ['policies', name];
    if (!s.defined.calendars.has(policy.calendar)) {
        c.error([...base, 'calendar'], `unknown calendar ${quote(policy.calendar)} ${knownNames(s.defined.calendars)}`);
    }
    for (const [priority, target] of Object.entries(policy.sla)) {
        if (target?.calendar !== undefined && !s.defined.calendars.has(target.calendar)) {
            c.error([...base, 'sla', priority, 'calendar'], `unknown calendar ${quote(target.calendar)} ${knownNames(s.defined.calendars)}`);
        }
    }
    policy.rules.forEach((rule, k) => {
        const index = parsed.ruleIndex[k] ?? k;
        const raw = parsed.rawRules[index];
        const path = [...base, 'rules', index];
        checkCondition(c, s, isRecord(raw) ? raw['when'] : undefined, [...path, 'when']);
        checkThen(c, s, rule, path, raw);
        if (Object.keys(policy.sla).length === 0 && usesSlaUsed(isRecord(raw) ? raw['when'] : undefined)) {
            c.warn([...path, 'when'], 'uses slaUsed but the policy has no sla targets, so it never fires');
        }
    });
}
/** Runs every policy-level cross-reference check. */
export function checkPolicies(c, s) {
    for (const [name, parsed] of Object.entries(s.policies))
        checkPolicy(c, s, name, parsed);
}
//# sourceMappingURL=check-policies.js.map