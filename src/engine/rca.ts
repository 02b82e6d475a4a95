import type { Action, Decision, Reason, RuleKind } from '../contract/index.js';
import type { EnginePolicy, TemplatePart } from './compiled.js';
import { instant } from './context.js';
import type { EvalContext } from './context.js';
import { formatLocal } from './format.js';
import { renderTemplate } from './templates.js';
import { DAY_MS, localDay, zoneOffsets } from './time.js';
import type { BusinessCalendar } from './types.js';

/**
 * Root-cause analysis after emergencies (issue 17, `policy.rca`). Pure: on a resolved/closed ticket that qualifies,
 * the first evaluation asks for the RCA (internal note with the escalation timeline + notify); the pipeline then
 * stores `state.rca.requestedAt`. The RCA is done once a person's note (not ours) starting with `heading` is newer
 * than the request; past the deadline without one it is overdue, notified once (`state.rca.overdueNotifiedAt`).
 */

export const RCA_REQUIRED = 'rca-required';
export const RCA_OVERDUE = 'rca-overdue';

export interface CompiledRca {
  readonly kinds: ReadonlySet<string>;
  readonly tiers: ReadonlySet<string>;
  readonly within: number;
  readonly heading: string;
  readonly notify: readonly string[];
  readonly template?: readonly TemplatePart[];
}

/**
 * `n` business days after `from`: the close of the n-th calendar day after `from`'s local day that has open hours
 * (a 24×7 calendar: `from + n` days). Infinity when the calendar never opens again.
 */
export function addBusinessDays(cal: BusinessCalendar, from: number, n: number): number {
  if (cal.nextEdge(from) === Infinity && cal.isOpen(from)) return from + n * DAY_MS;
  const offset = zoneOffsets(cal.timezone);
  let day = localDay(offset, from);
  let counted = 0;
  let end = Number.NaN;
  for (let t = from, guard = 0; guard < 10_000; guard++) {
    const open = cal.nextOpen(t);
    if (open === Infinity) return counted === n && !Number.isNaN(end) ? end : Infinity;
    const d = localDay(offset, open);
    if (d !== day) {
      if (counted === n) return end;
      counted += 1;
      day = d;
    }
    end = cal.nextEdge(open);
    if (end === Infinity) return Infinity;
    t = end;
  }
  return Infinity;
}

/** The RCA deadline: whole days count business days, anything else business time. */
export function rcaDueAt(cal: BusinessCalendar, requestedAt: number, within: number): number {
  return within % DAY_MS === 0
    ? addBusinessDays(cal, requestedAt, within / DAY_MS)
    : cal.addBusiness(requestedAt, within);
}

/** The kind that makes the ticket qualify (e.g. `emergency`, or `tier T3`), null when it does not. */
function qualifies(ctx: EvalContext, rca: CompiledRca): string | null {
  const kindOf = new Map(ctx.policy.engine.rules.map((r) => [r.id, r.kind] as const));
  for (const f of ctx.state.fired ?? []) {
    const kind = kindOf.get(f.rule);
    if (kind !== undefined && rca.kinds.has(kind)) return kind;
  }
  for (const e of ctx.state.escalations ?? []) {
    const kind = e.kind ?? kindOf.get(e.rule);
    if (kind !== undefined && rca.kinds.has(kind)) return kind;
    if (e.tier !== null && e.tier !== undefined && rca.tiers.has(e.tier)) return `tier ${e.tier}`;
  }
  return null;
}

function timeline(ctx: EvalContext): string[] {
  const tz = ctx.calendar.timezone;
  const when = (iso: string): string => formatLocal(instant(iso, Number.NaN), tz);
  const lines = [`- created ${when(ctx.ticket.createdAt)}`];
  const fired = [...(ctx.state.fired ?? [])].sort((a, b) => instant(a.at, 0) - instant(b.at, 0));
  const first = fired[0];
  if (first) lines.push(`- detected ${when(first.at)} by rule ${first.rule}`);
  for (const e of ctx.state.escalations ?? [])
    lines.push(`- moved to ${e.tier ?? 'no tier'} ${when(e.at)} (rule ${e.rule})`);
  const owner = ctx.ticket.owner;
  lines.push(`- owner at resolution: ${owner ? (owner.name ?? owner.id) : 'none'}`);
  for (const [name, clock] of [
    ['first response', ctx.clocks.firstResponse],
    ['resolution', ctx.clocks.resolution],
  ] as const) {
    if (clock)
      lines.push(
        `- SLA ${name}: ${clock.breached ? 'breached' : 'met'} (due ${formatLocal(clock.dueAt, tz)}, ${clock.elapsedMinutes} of ${clock.targetMinutes} business minutes)`,
      );
  }
  if (ctx.ticket.resolvedAt) lines.push(`- resolved ${when(ctx.ticket.resolvedAt)}`);
  return lines;
}

function rcaDone(ctx: EvalContext, rca: CompiledRca, requestedAt: number): boolean {
  const heading = rca.heading.toLowerCase();
  return (ctx.ticket.recentNotes ?? []).some(
    (n) => !n.ours && instant(n.at, Number.NaN) >= requestedAt && n.text.trimStart().toLowerCase().startsWith(heading),
  );
}

/** RCA follow-ups are management follow-ups, not emergencies: a notifier's quiet hours hold them for the digest. */
const RCA_KIND: RuleKind = 'hierarchical';

/** The Decision of a resolved/closed ticket under `policy.rca` (null when the policy has none or it doesn't apply). */
export function rcaDecision(ctx: EvalContext, clocks: Decision['clocks']): Decision | null {
  const rca = (ctx.policy as EnginePolicy).engine.rca;
  if (rca === null) return null;
  const why = qualifies(ctx, rca);
  if (why === null) return null;
  const tz = ctx.calendar.timezone;
  const requested = ctx.state.rca;
  const requestedAt = requested ? instant(requested.requestedAt, Number.NaN) : ctx.now;
  const due = rcaDueAt(ctx.calendar, requestedAt, rca.within);
  const dueIso = Number.isFinite(due) ? new Date(due).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
  const notify = (rule: string): Action[] => rca.notify.map((notifier) => ({ type: 'notify', rule, notifier }));
  if (!requested) {
    const heading = `RCA required: this ticket was resolved after ${why === 'emergency' ? 'an emergency' : why}.`;
    const ask = `Write a note starting with "${rca.heading}" (cause, fix, prevention) by ${formatLocal(due, tz)}.`;
    const body = rca.template
      ? renderTemplate(rca.template, { ticket: ctx.ticket, dueAt: formatLocal(due, tz) })
      : `${heading}\n${ask}`;
    const text = [body, 'Escalation timeline:', ...timeline(ctx)].join('\n');
    const reason: Reason = {
      rule: RCA_REQUIRED,
      kind: RCA_KIND,
      text: `resolved after ${why}: RCA due ${dueIso ?? 'never'}`,
      matched: { rca: 'required', after: why, dueAt: dueIso },
    };
    const actions: Action[] = [
      { type: 'note', rule: RCA_REQUIRED, visibility: 'internal', template: 'rca', text },
      ...notify(RCA_REQUIRED),
    ];
    return { actions, reasons: [reason], nearMisses: [], clocks, nextCheckAt: dueIso };
  }
  if (rcaDone(ctx, rca, requestedAt) || requested.overdueNotifiedAt !== undefined)
    return { actions: [], reasons: [], nearMisses: [], clocks, nextCheckAt: null };
  if (ctx.now < due) return { actions: [], reasons: [], nearMisses: [], clocks, nextCheckAt: dueIso };
  const reason: Reason = {
    rule: RCA_OVERDUE,
    kind: RCA_KIND,
    text: `RCA overdue since ${dueIso ?? ''} (no note starting with "${rca.heading}")`,
    matched: { rca: 'overdue', dueAt: dueIso },
  };
  return { actions: notify(RCA_OVERDUE), reasons: [reason], nearMisses: [], clocks, nextCheckAt: null };
}
