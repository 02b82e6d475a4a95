import { priorityNames } from '../contract/index.js';
import type { Action, NotifyAction, ReassignAction, Reason, TagAction } from '../contract/index.js';
import type { CompiledRule } from './compiled.js';
import type { EvalContext } from './context.js';
import type { Guards } from './guards.js';
import type { Match } from './match.js';
import { noteDeadline, renderNotes } from './note-actions.js';
import type { NoteRequest, Transition } from './note-actions.js';
import { missingSections } from './notes.js';
import { pickOwner } from './ownership.js';

/**
 * Turns the matching rules into actions (docs/spec.md §2 "When rules fire"): the first matching move is the single reassign;
 * it and the rules without a move contribute priority (only raising), notes, customer note, notify and tag; rules
 * whose move lost contribute notify and tag; `next` at the top only notifies. Each notifier and tag appears once.
 */

interface Collector {
  readonly notify: NotifyAction[];
  readonly tags: TagAction[];
  readonly noteRequests: NoteRequest[];
  priority: { rule: string; level: number } | null;
}

function addNotify(c: Collector, rule: CompiledRule): void {
  for (const notifier of rule.notify) {
    if (!c.notify.some((n) => n.notifier === notifier)) c.notify.push({ type: 'notify', rule: rule.id, notifier });
  }
}

function addTag(c: Collector, rule: CompiledRule): void {
  const tag = rule.then.tag;
  if (tag !== undefined && !c.tags.some((t) => t.tag === tag)) c.tags.push({ type: 'tag', rule: rule.id, tag });
}

/** Priority, notes, customer note and tag of a rule that fully applies. */
function contribute(ctx: EvalContext, c: Collector, m: Match): void {
  const { then } = m.rule;
  if (then.priority !== undefined) {
    const level = priorityNames.indexOf(then.priority) + 1;
    const current = ctx.ticket.priority.level;
    const raises = current === null || level < current;
    if (raises && (c.priority === null || level < c.priority.level)) c.priority = { rule: m.rule.id, level };
  }
  if (then.note !== undefined) c.noteRequests.push({ kind: 'note', match: m });
  if (then.customerNote === true) c.noteRequests.push({ kind: 'customer', match: m });
  addTag(c, m.rule);
}

type WinnerResult = { reassign: ReassignAction; transition: Transition } | null;

/** The winning move: suppressed by a hold or the daily limit, blocked by an incomplete handoff, or applied. */
function applyWinner(ctx: EvalContext, c: Collector, m: Match, reason: Reason, guards: Guards): WinnerResult {
  if (m.move.k !== 'move') return null;
  if (guards.holdUntil !== null || guards.dailyLimitReached) {
    reason.suppressed = guards.holdUntil !== null ? 'manual_hold' : 'daily_limit';
    return null;
  }
  const target = m.move.target;
  const pick = target.group
    ? pickOwner({
        group: target.group,
        strategy: ctx.policy.engine.owners.get(target.group),
        instance: ctx.policy.instance,
        state: ctx.state,
        now: ctx.now,
      })
    : { ownerUnmapped: false };
  if (pick.ownerUnmapped) reason.ownerUnmapped = true;
  const owner = ctx.ticket.owner;
  const from = { tier: ctx.tier, owner: owner ? (owner.name ?? owner.id) : null };
  const to = {
    tier: target.tier,
    ...(pick.owner ? { owner: pick.owner } : {}),
    ...(target.group ? { group: target.group } : {}),
  };
  const transition: Transition = { from, to };
  const { handoff } = ctx.policy.policy;
  if (m.rule.then.note === 'handoff' && handoff.onMissing === 'block') {
    const missing = missingSections(ctx.ticket, noteDeadline(ctx).resolution, handoff.required);
    if (missing.length > 0) {
      reason.suppressed = 'handoff_incomplete';
      c.noteRequests.push({ kind: 'blocked', match: m, transition, missing });
      return null;
    }
  }
  const reassign: ReassignAction = {
    type: 'reassign',
    rule: m.rule.id,
    tier: target.tier,
    ...(target.group ? { group: target.group } : {}),
    ...(pick.owner ? { owner: pick.owner } : {}),
    location: target.location,
    from,
  };
  return { reassign, transition };
}

export function buildActions(
  ctx: EvalContext,
  matches: readonly Match[],
  guards: Guards,
  texts = true,
): { actions: Action[]; reasons: Reason[] } {
  const c: Collector = { notify: [], tags: [], noteRequests: [], priority: null };
  const reasons: Reason[] = [];
  const winner = matches.find((m) => m.move.k === 'move');
  let applied: WinnerResult = null;
  for (const m of matches) {
    const reason: Reason = { rule: m.rule.id, kind: m.rule.kind, text: m.why.text, matched: m.why.matched };
    if (m.rule.usesSla) reason.clocks = m.why.clocks;
    reasons.push(reason);
    addNotify(c, m.rule);
    if (m === winner) {
      applied = applyWinner(ctx, c, m, reason, guards);
      if (applied) contribute(ctx, c, m);
    } else if (m.move.k === 'move') addTag(c, m.rule);
    else if (m.move.k === 'none') contribute(ctx, c, m);
  }
  const actions: Action[] = [];
  if (applied) actions.push(applied.reassign);
  const raisedTo = c.priority ? priorityNames[c.priority.level - 1]! : null;
  if (c.priority && raisedTo) actions.push({ type: 'priority', rule: c.priority.rule, priority: raisedTo });
  const transition = applied?.transition ?? null;
  actions.push(...renderNotes({ ctx, requests: c.noteRequests, transition, raisedTo, texts }), ...c.notify, ...c.tags);
  return { actions, reasons };
}
