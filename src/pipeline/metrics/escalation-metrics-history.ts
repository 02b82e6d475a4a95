import type { Decision, Ticket } from '../../contract/index.js';

import { newDisagreements, slaDrift } from './sla-drift.js';
import type { MetricsHistory } from '../../store/metrics-history-store.js';
import { ownerMatches } from '../../store/ticket-state.js';

/**
 * The per-ticket history that escalation metrics are computed from (docs/spec.md §5 "Escalation metrics"): every tier
 * change (ours or a human's), our moves with their business time in tier and the new owner's first activity, the
 * end of the ticket's life, stopped SLA clocks and near misses. Pure transitions only; `src/store/metrics-history-store`
 * keeps one JSON record per ticket.
 */

/** Our reassigns as the ticket state keeps them (`TicketRecord.escalations` and `lastReassign`). */
export interface OurMoves {
  escalations: readonly { rule: string; kind?: string; tier?: string | null; at: string }[];
  lastReassign?: { at: string; owner?: string; ownerIdentity?: unknown };
}

export interface RecordArgs {
  instanceId: string;
  /** The ticket as read before the decision's writes (tier derived). */
  ticket: Ticket;
  now: number;
  decision?: Decision;
  /**
   * The ticket state after the evaluation: reassigns newer than the last one recorded here are ours (whichever path
   * applied them: this decision, or a recorded decision completed by a retry).
   */
  ours?: OurMoves;
  /** The instance mode: in `observe` a decision's unsuppressed move is recorded as a proposal. */
  mode?: 'enforce' | 'observe';
  /** Business minutes between two instants in the ticket's clock calendar. */
  businessMinutes: (fromMs: number, toMs: number) => number;
  /** The instance's `slaDriftTolerance` in minutes. @defaultValue 5 */
  slaDriftToleranceMin?: number;
}

const MAX_MOVES = 100;
const MAX_NEAR = 100;
const MAX_DISAGREEMENT_RUNS = 20;
const terminal = new Set(['resolved', 'closed']);
const iso = (ms: number) => new Date(ms).toISOString();

/** The tier the ticket is in according to the history. */
export function currentTier(h: MetricsHistory): string | null {
  const last = h.moves[h.moves.length - 1];
  return last ? last.to : h.initialTier;
}

/** When the current visit began. */
export function currentVisitStart(h: MetricsHistory): string {
  return h.moves[h.moves.length - 1]?.at ?? h.createdAt;
}

/** The instant a change seen now most likely happened: the ticket's last modification, within [previous read, now]. */
function changeInstant(ticket: Ticket, prevObservedMs: number, now: number): number {
  const updated = Date.parse(ticket.updatedAt);
  if (Number.isNaN(updated)) return now;
  return Math.min(now, Math.max(prevObservedMs, updated));
}

function start(args: RecordArgs): MetricsHistory {
  const { ticket } = args;
  return {
    v: 1,
    instanceId: args.instanceId,
    ticketId: ticket.ref.id,
    createdAt: ticket.createdAt,
    initialTier: ticket.tier,
    moves: [],
    clockStops: [],
    nearMisses: [],
    observedAt: iso(args.now),
  };
}

/** First note or version by the new owner after our latest move (still the current visit). */
function detectHandoff(h: MetricsHistory, ticket: Ticket, changeAt: number): void {
  const move = h.moves[h.moves.length - 1];
  if (!move || move.by !== 'us' || move.handoffAt !== undefined) return;
  const moveMs = Date.parse(move.at);
  // PSAs stamp notes to the second: a note in the same second as our move is after it.
  const moveSecond = Math.floor(moveMs / 1000) * 1000;
  // Without an owner of ours, whoever takes the ticket after the move is its new owner (taking it is their first version).
  const pickedUp =
    move.owner === undefined && ticket.owner && ticket.owner.id !== move.previousOwnerId ? ticket.owner : undefined;
  const isNewOwner = (who: { id: string; name?: string }): boolean =>
    move.owner !== undefined
      ? ownerMatches(who, move.owner, move.ownerIdentity)
      : pickedUp !== undefined && ownerMatches(who, pickedUp.id, pickedUp.name);
  const notes = (ticket.recentNotes ?? [])
    .filter((n) => !n.ours && n.author !== undefined && Date.parse(n.at) >= moveSecond && isNewOwner({ id: n.author }))
    .map((n) => Date.parse(n.at));
  let first = notes.length > 0 ? Math.min(...notes) : Infinity;
  if (pickedUp && Date.parse(ticket.updatedAt) > moveMs) first = Math.min(first, changeAt);
  if (Number.isFinite(first)) move.handoffAt = iso(Math.max(first, moveMs));
}

function recordEnd(h: MetricsHistory, ticket: Ticket, changeAt: number): void {
  if (terminal.has(ticket.status.category)) {
    const resolved =
      ticket.resolvedAt && !Number.isNaN(Date.parse(ticket.resolvedAt)) ? ticket.resolvedAt : iso(changeAt);
    h.endedAt ??= resolved;
    h.resolvedAt ??= resolved;
  } else if (h.endedAt !== undefined) {
    // Reopened: the visit goes on; the next resolution counts instead.
    delete h.endedAt;
    delete h.resolvedAt;
  }
}

function recordClocks(h: MetricsHistory, ticket: Ticket, decision: Decision | undefined, now: number): void {
  for (const clock of ['firstResponse', 'resolution'] as const) {
    const c = decision?.clocks[clock];
    if (!c?.stopped || h.clockStops.some((s) => s.clock === clock)) continue;
    const at = clock === 'firstResponse' ? ticket.firstRespondedAt : ticket.resolvedAt;
    h.clockStops.push({ clock, at: at ?? iso(now), met: !c.breached });
  }
}

function recordProposal(h: MetricsHistory, args: RecordArgs): void {
  const move = args.decision?.actions.find((a) => a.type === 'reassign');
  if (args.mode !== 'observe' || move?.type !== 'reassign') return;
  if (args.decision?.reasons.some((r) => r.rule === move.rule && r.suppressed !== undefined)) return;
  const visitAt = Date.parse(currentVisitStart(h));
  const proposals = h.proposals ?? [];
  if (proposals.some((p) => p.rule === move.rule && Date.parse(p.at) >= visitAt)) return;
  h.proposals = [...proposals, { at: iso(args.now), from: currentTier(h), to: move.tier, rule: move.rule }].slice(
    -MAX_MOVES,
  );
}

function recordNearMisses(h: MetricsHistory, decision: Decision | undefined, now: number): void {
  const visitAt = currentVisitStart(h);
  const tier = currentTier(h);
  for (const n of decision?.nearMisses ?? []) {
    if (h.nearMisses.some((x) => x.rule === n.rule && x.visitAt === visitAt)) continue;
    h.nearMisses.push({ at: iso(now), tier, rule: n.rule, visitAt });
  }
  h.nearMisses = h.nearMisses.slice(-MAX_NEAR);
}

/**
 * Extends the clock's latest disagreement run when the previous evaluation (`prevObservedAt`) was part of it, else
 * starts a new run; an evaluation within the tolerance (or without both due dates) records nothing, closing the run.
 */
function recordDisagreements(h: MetricsHistory, args: RecordArgs, prevObservedAt: string | undefined): void {
  const drift = slaDrift(args.ticket, args.decision?.clocks);
  const beyond = newDisagreements(drift, undefined, args.slaDriftToleranceMin ?? 5);
  if (beyond.length === 0) return;
  const at = iso(args.now);
  const runs = (h.slaDisagreements ?? []).map((r) => ({ ...r }));
  for (const clock of beyond) {
    const last = runs.findLast((r) => r.clock === clock);
    if (last && prevObservedAt !== undefined && last.to === prevObservedAt) last.to = at;
    else runs.push({ clock, from: at, to: at });
  }
  h.slaDisagreements = runs.slice(-MAX_DISAGREEMENT_RUNS);
}

type Escalation = OurMoves['escalations'][number];

/** Our reassigns newer than the last one recorded in the history. */
function newMovesOfOurs(h: MetricsHistory, ours: OurMoves | undefined): Escalation[] {
  const lastOurs = [...h.moves].reverse().find((m) => m.by === 'us');
  const after = lastOurs ? Date.parse(lastOurs.at) : -Infinity;
  return (ours?.escalations ?? [])
    .filter((e) => Date.parse(e.at) > after)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function pushOurs(h: MetricsHistory, e: Escalation, args: RecordArgs): void {
  const last = args.ours?.lastReassign;
  const mine = last && last.at === e.at ? last : undefined;
  h.moves.push({
    at: e.at,
    from: currentTier(h),
    to: e.tier ?? null,
    by: 'us',
    rule: e.rule,
    ...(e.kind ? { kind: e.kind } : {}),
    businessMinutes: Math.max(0, args.businessMinutes(Date.parse(currentVisitStart(h)), Date.parse(e.at))),
    ...(mine?.owner !== undefined ? { owner: mine.owner, ownerIdentity: mine.ownerIdentity } : {}),
    previousOwnerId: h.lastOwnerId ?? null,
  });
}

/**
 * Folds one evaluation into the history: a tier change nobody of ours made (a human move), the new owner's first
 * activity, the end (or reopening) of the ticket, stopped clocks, near misses, then our applied move.
 */
export function recordEvaluation(prev: MetricsHistory | undefined, args: RecordArgs): MetricsHistory {
  const h: MetricsHistory = prev
    ? {
        ...prev,
        moves: prev.moves.map((m) => ({ ...m })),
        clockStops: [...prev.clockStops],
        nearMisses: [...prev.nearMisses],
      }
    : start(args);
  const { ticket, now } = args;
  const prevObserved = Date.parse(h.observedAt);
  const changeAt = changeInstant(ticket, Number.isNaN(prevObserved) ? now : prevObserved, now);
  const fresh = newMovesOfOurs(h, args.ours);
  // Moves of ours applied before this read (a recorded decision completed by a retry) come first, so reading their
  // result is no human move; moves of this evaluation (at or after the read) come last.
  for (const m of fresh.filter((e) => Date.parse(e.at) < now)) pushOurs(h, m, args);
  if (prev && ticket.tier !== currentTier(h))
    h.moves.push({ at: iso(changeAt), from: currentTier(h), to: ticket.tier, by: 'human' });
  detectHandoff(h, ticket, changeAt);
  recordEnd(h, ticket, changeAt);
  recordClocks(h, ticket, args.decision, now);
  recordNearMisses(h, args.decision, now);
  recordProposal(h, args);
  recordDisagreements(h, args, prev?.observedAt);
  h.lastOwnerId = ticket.owner?.id ?? null;
  for (const m of fresh.filter((e) => Date.parse(e.at) >= now)) pushOurs(h, m, args);
  h.moves = h.moves.slice(-MAX_MOVES);
  h.observedAt = iso(now);
  return h;
}

/** A `deleted` event or a 404: the ticket's last visit ends now. */
export function recordGone(prev: MetricsHistory, now: number): MetricsHistory {
  return prev.endedAt === undefined ? { ...prev, endedAt: iso(now), observedAt: iso(now) } : prev;
}
