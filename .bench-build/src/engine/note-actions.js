import { priorityNames } from '../contract/index.js';
import { computeClocks } from './clocks.js';
import { formatLocal } from './format.js';
import { renderBlockedNote, renderCustomerNote, renderHandoffNote, renderInternalNote } from './notes.js';
import { renderTemplate } from './templates.js';
/**
 * When this decision raises the priority, the deadline the next person works to is the new priority's, so it is
 * computed for that level (the Decision's `clocks` stay the current ones until the next evaluation).
 */
export function noteDeadline(ctx, raisedTo = null) {
    let set = ctx.clocks;
    if (raisedTo !== null) {
        const level = (priorityNames.indexOf(raisedTo) + 1);
        const p = ctx.policy.policy;
        set = computeClocks({
            ticket: { ...ctx.ticket, priority: { ...ctx.ticket.priority, level } },
            statusHistory: ctx.state.statusHistory,
            pauseOn: p.pauseOn,
            sla: p.sla,
            vipFactor: p.vip.slaFactor,
            defaultCalendar: p.calendar,
            calendars: ctx.policy.calendars,
            now: ctx.now,
        });
    }
    const r = set.resolution;
    const timezone = set.calendar.timezone;
    return r ? { resolution: { dueAt: r.dueAt, targetMinutes: r.targetMinutes, elapsedMs: r.elapsedMs, breached: r.breached }, timezone } : { timezone };
}
function handoffNote(ctx, requests, transition, deadline, raisedTo) {
    const asking = requests.filter((r) => r.kind === 'note' && r.match.rule.then.note === 'handoff');
    const chosen = asking.find((r) => r.match.move.k === 'move') ?? asking[0];
    if (!chosen)
        return null;
    const owner = ctx.ticket.owner;
    const { resolution, timezone } = deadline;
    const text = renderHandoffNote({
        ticket: ctx.ticket,
        rule: { id: chosen.match.rule.id, kind: chosen.match.rule.kind },
        reason: chosen.match.why.text,
        also: requests
            .filter((r) => r.kind === 'note' && r.match !== chosen.match)
            .map((r) => ({ rule: r.match.rule.id, kind: r.match.rule.kind, text: r.match.why.text })),
        from: transition?.from ?? { tier: ctx.tier, owner: owner ? (owner.name ?? owner.id) : null },
        to: transition?.to ?? null,
        ...(resolution ? { resolution } : {}),
        ...(raisedTo ? { priorityRaisedTo: raisedTo } : {}),
        timezone,
        now: ctx.now,
        required: ctx.policy.policy.handoff.required,
    });
    return { type: 'note', rule: chosen.match.rule.id, visibility: 'internal', template: 'handoff', text };
}
function ruleNote(ctx, m, transition, deadline) {
    const { rule } = m;
    if (rule.then.note === 'internal') {
        return { type: 'note', rule: rule.id, visibility: 'internal', template: 'internal', text: renderInternalNote(rule, m.why.text) };
    }
    if (!rule.template || rule.then.note === undefined)
        return null;
    const due = deadline.resolution?.dueAt;
    const view = {
        ticket: ctx.ticket,
        rule: { id: rule.id, kind: rule.kind },
        reason: m.why.text,
        tier: ctx.tier,
        to: transition?.to ?? null,
        dueAt: due === undefined ? '' : formatLocal(due, deadline.timezone),
    };
    return { type: 'note', rule: rule.id, visibility: 'internal', template: rule.then.note, text: renderTemplate(rule.template, view) };
}
export function renderNotes(args) {
    const { ctx, requests, transition, raisedTo } = args;
    if (requests.length === 0)
        return [];
    const deadline = noteDeadline(ctx, raisedTo);
    const out = [];
    const handoff = handoffNote(ctx, requests, transition, deadline, raisedTo);
    if (handoff)
        out.push(handoff);
    let customer = null;
    for (const r of requests) {
        const { rule } = r.match;
        if (r.kind === 'blocked') {
            const text = renderBlockedNote({ rule, reason: r.match.why.text, to: r.transition.to.tier, missing: r.missing });
            out.push({ type: 'note', rule: rule.id, visibility: 'internal', template: 'blocked', text });
        }
        else if (r.kind === 'note') {
            const note = ruleNote(ctx, r.match, transition, deadline);
            if (note)
                out.push(note);
        }
        else if (!customer) {
            const due = deadline.resolution?.dueAt;
            const text = renderCustomerNote({ ...(due === undefined ? {} : { resolutionDueAt: due }), timezone: deadline.timezone });
            customer = { type: 'note', rule: rule.id, visibility: 'customer', template: 'customer', text };
        }
    }
    if (customer)
        out.push(customer);
    return out;
}
//# sourceMappingURL=note-actions.js.map