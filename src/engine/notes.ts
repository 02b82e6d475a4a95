import type { HandoffSection, RuleKind, Ticket } from '../contract/index.js';
import { formatLocal, formatSpan } from './format.js';

/**
 * Note texts (docs/spec.md §2 "Handoff note and other actions"). Plain text that reads well inside any PSA's note field:
 * one labelled line per section, `MISSING: <key>` for a required section the ticket lacks.
 */

/** The resolution clock as notes need it (epoch ms; business ms). */
export interface NoteClock {
  dueAt: number;
  targetMinutes: number;
  elapsedMs: number;
  breached: boolean;
}

export interface HandoffNoteInput {
  ticket: Ticket;
  rule: { id: string; kind: RuleKind };
  /** The rule's reason text, e.g. `timeInTier 131 >= 120 business minutes`. */
  reason: string;
  /** Other rules that matched in the same evaluation (listed under "Why escalated"). */
  also?: readonly { rule: string; kind: RuleKind; text: string }[];
  from: { tier: string | null; owner: string | null };
  /** Where the ticket goes; null when the rule does not move it. */
  to: { tier: string | null; owner?: string; group?: string } | null;
  /** The resolution clock, when the ticket's priority has one. */
  resolution?: NoteClock;
  /** The priority this decision raises the ticket to (shown next to the current one). */
  priorityRaisedTo?: string;
  /** IANA zone of the ticket's clock calendar (deadlines are shown in it). */
  timezone: string;
  now: number;
  /** `handoff.required`: absent ones are written `MISSING: <key>`. */
  required: readonly HandoffSection[];
}

const MESSY_SPACE = /\s{2,}|[\t\n\r\f\v]/;
/** Collapses runs of whitespace (the regex replace only runs when there is something to collapse). */
const clean = (s: string | undefined): string => {
  if (!s) return '';
  const t = s.trim();
  return MESSY_SPACE.test(t) ? t.replace(/\s+/g, ' ') : t;
};
const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function stepsTaken(ticket: Ticket): NonNullable<Ticket['recentNotes']> {
  return (ticket.recentNotes ?? []).filter((n) => !n.ours && clean(n.text) !== '');
}

/** Which handoff sections the ticket (and its resolution clock) can fill. */
export function presentSections(ticket: Ticket, resolution: NoteClock | undefined): Record<HandoffSection, boolean> {
  return {
    customer: clean(ticket.company.name) !== '',
    contact: clean(ticket.contact?.name) !== '' || clean(ticket.contact?.email) !== '',
    environment: clean(ticket.environment) !== '',
    summary: clean(ticket.title) !== '' || clean(ticket.description) !== '',
    stepsTaken: stepsTaken(ticket).length > 0,
    rootCause: ticket.category.some((c) => clean(c) !== ''),
    urgency: clean(ticket.urgency) !== '',
    slaDeadline: resolution !== undefined,
    impact:
      clean(ticket.affectedSystems) !== '' || typeof ticket.usersAffected === 'number' || clean(ticket.impact) !== '',
  };
}

/** Required sections the ticket cannot fill, in `required` order. */
export function missingSections(
  ticket: Ticket,
  resolution: NoteClock | undefined,
  required: readonly HandoffSection[],
): HandoffSection[] {
  const present = presentSections(ticket, resolution);
  return required.filter((key) => !present[key]);
}

function contactText(ticket: Ticket): string {
  const name = clean(ticket.contact?.name);
  const email = clean(ticket.contact?.email);
  return name && email ? `${name} <${email}>` : name || email;
}

function summaryText(ticket: Ticket): string {
  const title = clean(ticket.title);
  const description = clip(clean(ticket.description), 1500);
  return title && description ? `${title}\n  ${description}` : title || description;
}

function stepsText(ticket: Ticket, timezone: string): string {
  const notes = [...stepsTaken(ticket)].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return notes
    .map((n) => {
      const at = Date.parse(n.at);
      const when = Number.isFinite(at) ? formatLocal(at, timezone) : n.at;
      return `\n  - ${when}${n.author ? `, ${clean(n.author)}` : ''}: ${clip(clean(n.text), 400)}`;
    })
    .join('');
}

function deadlineText(input: HandoffNoteInput, missing: (k: HandoffSection) => string | null): string {
  const { ticket, resolution } = input;
  const current = clean(ticket.priority.name) || 'priority not set';
  const parts: string[] = [input.priorityRaisedTo ? `${current} → raised to ${input.priorityRaisedTo}` : current];
  const urgency = clean(ticket.urgency);
  const u = urgency ? `urgency ${urgency}` : missing('urgency');
  if (u) parts.push(u);
  if (resolution) {
    const leftMs = resolution.targetMinutes * 60_000 - resolution.elapsedMs;
    const left =
      resolution.breached || leftMs <= 0 ? 'resolution SLA breached' : `${formatSpan(leftMs)} business time left`;
    parts.push(`resolution due ${formatLocal(resolution.dueAt, input.timezone)} (${left})`);
  } else {
    parts.push(missing('slaDeadline') ?? 'no resolution SLA for this priority');
  }
  return parts.join('; ');
}

function impactText(ticket: Ticket): string {
  const parts: string[] = [];
  if (clean(ticket.affectedSystems)) parts.push(clean(ticket.affectedSystems));
  if (typeof ticket.usersAffected === 'number')
    parts.push(`${ticket.usersAffected} user${ticket.usersAffected === 1 ? '' : 's'} affected`);
  if (clean(ticket.impact)) parts.push(`impact ${clean(ticket.impact)}`);
  return parts.join('; ');
}

function transitionText(input: HandoffNoteInput): string {
  const from = `${input.from.tier ?? 'no tier'} / ${input.from.owner ?? 'unassigned'}`;
  const to = input.to;
  if (!to) return `${from} (no move)`;
  const group = to.group ? ` (group ${to.group})` : '';
  return `${from} → ${to.tier ?? 'no tier'} / ${to.owner ?? `${input.from.owner ?? 'unassigned'} (owner unchanged)`}${group}`;
}

/** The handoff note: every section of docs/spec.md §2, in order. */
export function renderHandoffNote(input: HandoffNoteInput): string {
  const { ticket } = input;
  const present = presentSections(ticket, input.resolution);
  const required = new Set(input.required);
  const missing = (key: HandoffSection): string | null =>
    present[key] ? null : required.has(key) ? `MISSING: ${key}` : null;
  const section = (key: HandoffSection, text: () => string): string =>
    present[key] ? text() : (missing(key) ?? 'not provided');
  const why = [
    `${input.rule.id} (${input.rule.kind}): ${input.reason}`,
    ...(input.also ?? []).map((a) => `also ${a.rule} (${a.kind}): ${a.text}`),
  ];
  const heading = input.to
    ? `${input.from.tier ?? 'no tier'} → ${input.to.tier ?? 'no tier'}`
    : `${input.from.tier ?? 'no tier'}`;
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
export function renderInternalNote(rule: { id: string; kind: RuleKind }, reason: string): string {
  return `Escalation rule ${rule.id} (${rule.kind}) matched: ${reason}`;
}

/** `onMissing: block`: the move is held back until the listed sections are filled in. */
export function renderBlockedNote(args: {
  rule: { id: string; kind: RuleKind };
  reason: string;
  to: string | null;
  missing: readonly HandoffSection[];
}): string {
  const target = args.to ? ` to ${args.to}` : '';
  return [
    `Escalation${target} blocked: the handoff is incomplete (rule ${args.rule.id}, ${args.rule.kind}: ${args.reason}).`,
    `Missing: ${args.missing.join(', ')}.`,
    'Fill these in on the ticket; the escalation is retried at the next check.',
  ].join('\n');
}

/** The customer-visible note, with the resolution due time in the calendar's local time. */
export function renderCustomerNote(args: { resolutionDueAt?: number; timezone: string }): string {
  const due = args.resolutionDueAt;
  const next =
    due !== undefined && Number.isFinite(due)
      ? `Next update by ${formatLocal(due, args.timezone)}.`
      : 'We will update you as soon as possible.';
  return `We have escalated your request to our senior team. ${next}`;
}
