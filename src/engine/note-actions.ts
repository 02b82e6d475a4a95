import { priorityNames } from '../contract/index.js';
import type { HandoffSection, NoteAction, PriorityName } from '../contract/index.js';
import { computeClocks } from './clocks.js';
import type { ClockSet } from './clocks.js';
import type { Match } from './match.js';
import type { EvalContext } from './context.js';
import { formatLocal, isoInstant } from './format.js';
import { renderBlockedNote, renderCustomerNote, renderHandoffNote, renderInternalNote } from './notes.js';
import type { NoteClock } from './notes.js';
import { renderTemplate } from './templates.js';

/**
 * Note actions of one decision: at most one handoff note (the winning move's, else the first rule asking for it),
 * one internal or template note per rule, at most one customer note, and the "blocked" note of `onMissing: block`.
 */

export interface Transition {
  from: { tier: string | null; owner: string | null };
  to: { tier: string | null; owner?: string; group?: string };
}

export type NoteRequest =
  | { kind: 'note' | 'customer'; match: Match }
  | { kind: 'blocked'; match: Match; transition: Transition; missing: readonly HandoffSection[] };

/** The resolution clock as notes render it, and the zone of its calendar (deadlines are shown in local time). */
export interface NoteDeadline {
  resolution?: NoteClock;
  timezone: string;
}

/**
 * When this decision raises the priority, the deadline the next person works to is the new priority's, so it is
 * computed for that level (the Decision's `clocks` stay the current ones until the next evaluation).
 */
export function noteDeadline(ctx: EvalContext, raisedTo: PriorityName | null = null): NoteDeadline {
  let set: ClockSet = ctx.clocks;
  if (raisedTo !== null) {
    const level = (priorityNames.indexOf(raisedTo) + 1) as 1 | 2 | 3 | 4;
    const p = ctx.policy.policy;
    set = computeClocks({
      ticket: { ...ctx.ticket, priority: { ...ctx.ticket.priority, level } },
      statusHistory: ctx.state.statusHistory,
      pauseOn: p.pauseOn,
      sla: p.sla,
      vipFactor: p.vip.slaFactor,
      defaultCalendar: ctx.baseCalendar,
      calendars: ctx.policy.calendars,
      now: ctx.now,
    });
  }
  const r = set.resolution;
  const timezone = set.calendar.timezone;
  return r
    ? {
        resolution: { dueAt: r.dueAt, targetMinutes: r.targetMinutes, elapsedMs: r.elapsedMs, breached: r.breached },
        timezone,
      }
    : { timezone };
}

function handoffNote(
  ctx: EvalContext,
  requests: readonly NoteRequest[],
  transition: Transition | null,
  deadline: NoteDeadline | null,
  raisedTo: PriorityName | null,
): NoteAction | null {
  const asking = requests.filter((r) => r.kind === 'note' && r.match.rule.then.note === 'handoff');
  const chosen = asking.find((r) => r.match.move.k === 'move') ?? asking[0];
  if (!chosen) return null;
  if (!deadline)
    return { type: 'note', rule: chosen.match.rule.id, visibility: 'internal', template: 'handoff', text: '' };
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

function ruleNote(
  ctx: EvalContext,
  m: Match,
  transition: Transition | null,
  deadline: NoteDeadline | null,
): NoteAction | null {
  const { rule } = m;
  if (rule.then.note === 'internal') {
    return {
      type: 'note',
      rule: rule.id,
      visibility: 'internal',
      template: 'internal',
      text: deadline ? renderInternalNote(rule, m.why.text) : '',
    };
  }
  if (!rule.template || rule.then.note === undefined) return null;
  if (!deadline) return { type: 'note', rule: rule.id, visibility: 'internal', template: rule.then.note, text: '' };
  const due = deadline.resolution?.dueAt;
  const view = {
    ticket: ctx.ticket,
    rule: { id: rule.id, kind: rule.kind },
    reason: m.why.text,
    tier: ctx.tier,
    to: transition?.to ?? null,
    dueAt: due === undefined ? '' : formatLocal(due, deadline.timezone),
  };
  return {
    type: 'note',
    rule: rule.id,
    visibility: 'internal',
    template: rule.then.note,
    text: renderTemplate(rule.template, view),
  };
}

export function renderNotes(args: {
  ctx: EvalContext;
  requests: readonly NoteRequest[];
  transition: Transition | null;
  raisedTo: PriorityName | null;
  /** `false`: every note's text is left empty (see `EvaluateInput.noteTexts`). @defaultValue true */
  texts?: boolean;
}): NoteAction[] {
  const { ctx, requests, transition, raisedTo } = args;
  if (requests.length === 0) return [];
  const texts = args.texts !== false;
  // Without texts only a customer note needs the deadline (its promise); null stands for "do not render".
  const full = texts || requests.some((r) => r.kind === 'customer') ? noteDeadline(ctx, raisedTo) : null;
  const deadline = texts ? full : null;
  const out: NoteAction[] = [];
  const handoff = handoffNote(ctx, requests, transition, deadline, raisedTo);
  if (handoff) out.push(handoff);
  let customer: NoteAction | null = null;
  for (const r of requests) {
    const { rule } = r.match;
    if (r.kind === 'blocked') {
      const text = texts
        ? renderBlockedNote({ rule, reason: r.match.why.text, to: r.transition.to.tier, missing: r.missing })
        : '';
      out.push({ type: 'note', rule: rule.id, visibility: 'internal', template: 'blocked', text });
    } else if (r.kind === 'note') {
      const note = ruleNote(ctx, r.match, transition, deadline);
      if (note) out.push(note);
    } else if (!customer) {
      const due = full?.resolution?.dueAt;
      const text = texts
        ? renderCustomerNote({
            ...(due === undefined ? {} : { resolutionDueAt: due }),
            timezone: full!.timezone,
          })
        : '';
      customer = { type: 'note', rule: rule.id, visibility: 'customer', template: 'customer', text };
      // The note promises the next update at that instant: recorded as `state.updatePromise` (updateOverdue).
      if (due !== undefined && Number.isFinite(due)) customer.promisedUpdateBy = isoInstant(due);
    }
  }
  if (customer) out.push(customer);
  return out;
}
