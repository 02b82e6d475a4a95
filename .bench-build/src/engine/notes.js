import { formatLocal, formatSpan } from './format.js';
const MESSY_SPACE = /\s{2,}|[\t\n\r\f\v]/;
/** Collapses runs of whitespace (the regex replace only runs when there is something to collapse). */
const clean = (s) => {
    if (!s)
        return '';
    const t = s.trim();
    return MESSY_SPACE.test(t) ? t.replace(/\s+/g, ' ') : t;
};
const clip = (s, max) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
function stepsTaken(ticket) {
    return (ticket.recentNotes ?? []).filter((n) => !n.ours && clean(n.text) !== '');
}
/** Which handoff sections the ticket (and its resolution clock) can fill. */
export function presentSections(ticket, resolution) {
    return {
        customer: clean(ticket.company.name) !== '',
        contact: clean(ticket.contact?.name) !== '' || clean(ticket.contact?.email) !== '',
        environment: clean(ticket.environment) !== '',
        summary: clean(ticket.title) !== '' || clean(ticket.description) !== '',
        stepsTaken: stepsTaken(ticket).length > 0,
        rootCause: ticket.category.some((c) => clean(c) !== ''),
        urgency: clean(ticket.urgency) !== '',
        slaDeadline: resolution !== undefined,
        impact: clean(ticket.affectedSystems) !== '' || typeof ticket.usersAffected === 'number' || clean(ticket.impact) !== '',
    };
}
/** Required sections the ticket cannot fill, in `required` order. */
export function missingSections(ticket, resolution, required) {
    const present = presentSections(ticket, resolution);
    return required.filter((key) => !present[key]);
}
function contactText(ticket) {
    const name = clean(ticket.contact?.name);
    const email = clean(ticket.contact?.email);
    return name && email ? `${name} <${email}>` : name || email;
}
function summaryText(ticket) {
    const title = clean(ticket.title);
    const description = clip(clean(ticket.description), 1500);
    return title && description ? `${title}\n  ${description}` : title || description;
}
function stepsText(ticket, timezone) {
    const notes = [...stepsTaken(ticket)].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return notes
        .map((n) => {
        const at = Date.parse(n.at);
        const when = Number.isFinite(at) ? formatLocal(at, timezone) : n.at;
        return `\n  - ${when}${n.author ? `, ${clean(n.author)}` : ''}: ${clip(clean(n.text), 400)}`;
    })
        .join('');
}
function deadlineText(input, missing) {
    const { ticket, resolution } = input;
    const current = clean(ticket.priority.name) || 'priority not set';
    const parts = [input.priorityRaisedTo ? `${current} → raised to ${input.priorityRaisedTo}` : current];
    const urgency = clean(ticket.urgency);
    const u = urgency ? `urgency ${urgency}` : missing('urgency');
    if (u)
        parts.push(u);
    if (resolution) {
        const leftMs = resolution.targetMinutes * 60_000 - resolution.elapsedMs;
        const left = resolution.breached || leftMs <= 0 ? 'resolution SLA breached' : `${formatSpan(leftMs)} business time left`;
        parts.push(`resolution due ${formatLocal(resolution.dueAt, input.timezone)} (${left})`);
    }
    else {
        parts.push(missing('slaDeadline') ?? 'no resolution SLA for this priority');
    }
    return parts.join('; ');
}
function impactText(ticket) {
    const parts = [];
    if (clean(ticket.affectedSystems))
        parts.push(clean(ticket.affectedSystems));
    if (typeof ticket.usersAffected === 'number')
        parts.push(`${ticket.usersAffected} user${ticket.usersAffected === 1 ? '' : 's'} affected`);
    if (clean(ticket.impact))
        parts.push(`impact ${clean(ticket.impact)}`);
    return parts.join('; ');
}
function transitionText(input) {
    const from = `${input.from.tier ?? 'no tier'} / ${input.from.owner ?? 'unassigned'}`;
    const to = input.to;
    if (!to)
        return `${from} (no move)`;
    const group = to.group ? ` (group ${to.group})` : '';
    return `${from} → ${to.tier ?? 'no tier'} / ${to.owner ?? `${input.from.owner ?? 'unassigned'} (owner unchanged)`}${group}`;
}
/** The handoff note: every section of SPEC §2, in order. */
export function renderHandoffNote(input) {
    const { ticket } = input;
    const present = presentSections(ticket, input.resolution);
    const required = new Set(input.required);
    const missing = (key) => present[key] ? null : required.has(key) ? `MISSING: ${key}` : null;
    const section = (key, text) => (present[key] ? text() : (missing(key) ?? 'not provided'));
    const why = [`${input.rule.id} (${input.rule.kind}): ${input.reason}`, ...(input.also ?? []).map((a) => `also ${a.rule} (${a.kind}): ${a.text}`)];
    const heading = input.to ? `${input.from.tier ?? 'no tier'} → ${input.to.tier ?? 'no tier'}` : `${input.from.tier ?? 'no tier'}`;
    return [
        `Escalation handoff: ${heading}`,
        `Customer: ${section('customer', () => clean(ticket.company.name))}`,
        `Contact: ${section('contact', () => contactText(ticket))}`,
        `Environment: ${section('environment', () => clean(ticket.environment))}`,
        `Summary & symptoms: ${section('summary', () => summaryText(ticket))}`,
        `Steps taken & results:${present.stepsTaken ? stepsText(ticket, input.timezone) : ` ${section('stepsTaken', () => '')}`}`,
        `Suspected root cause / category: ${section('rootCause', () => ticket.category.map(clean).filter(Boolean).join('/'))}`,
        `Urgency & SLA deadline: ${deadlineText(input, missing)}`,
        `Affected systems & users impacted: ${section('impact', () => impactText(ticket))}`,
        `Why escalated: ${why.join('; ')}`,
        `Transition: ${transitionText(input)}`,
    ].join('\n');
}
/** `note: internal`: rule id, kind and reason text. */
export function renderInternalNote(rule, reason) {
    return `Escalation rule ${rule.id} (${rule.kind}) matched: ${reason}`;
}
/** `onMissing: block`: the move is held back until the listed sections are filled in. */
export function renderBlockedNote(args) {
    const target = args.to ? ` to ${args.to}` : '';
    return [
        `Escalation${target} blocked: the handoff is incomplete (rule ${args.rule.id}, ${args.rule.kind}: ${args.reason}).`,
        `Missing: ${args.missing.join(', ')}.`,
        'Fill these in on the ticket; the escalation is retried at the next check.',
    ].join('\n');
}
/** The customer-visible note, with the resolution due time in the calendar's local time. */
export function renderCustomerNote(args) {
    const due = args.resolutionDueAt;
    const next = due !== undefined && Number.isFinite(due) ? `Next update by ${formatLocal(due, args.timezone)}.` : 'We will update you as soon as possible.';
    return `We have escalated your request to our senior team. ${next}`;
}
//# sourceMappingURL=notes.js.map