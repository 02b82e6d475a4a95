import type { Action, Decision, Reason, ReassignAction, Ticket } from '../contract/index.js';
import { deriveTicketTier, evaluate } from '../engine/index.js';
import type { CompiledPolicy } from '../engine/index.js';
import { nextCheckAfterMove, ticketAfterMove } from '../pipeline/process/after-move.js';
import type { PolicyEngine } from '../pipeline/policy/policy-engine.js';
import {
  actionId,
  actionIdInput,
  appliedIdsOf,
  applyDecision,
  observeTicket,
  toEngineState,
} from '../store/ticket-state.js';
import { policyFacts } from '../store/ticket-counters.js';
import type { PolicyFacts } from '../store/ticket-counters.js';
import type { InstanceCounters } from '../store/ticket-state.js';
import type { LastReassign, TicketRecord } from '../store/ticket-store.js';

import { countersAt } from './cross-ticket.js';
import type { CrossTicketData, RecurringLookup } from './cross-ticket.js';
import type { Timeline } from './timeline.js';

/**
 * The backtest's simulation of one ticket (docs/backtest.md). Pure and deterministic: the same timeline, policy and
 * cross-ticket index give the same decisions. It drives exactly the code the live worker runs (src/pipeline
 * `processTicket` → `decideAndApply`): `observeTicket` folds each observation into the record, the engine's
 * `evaluate` decides, `actionId`/`appliedIdsOf` drop what this tier visit already did, `applyDecision` records fired
 * rules and our move, and `nextCheckAfterMove` schedules the new tier's timers — only the PSA write is replaced by
 * its effect on the simulated ticket (`ticketAfterMove`), as an enforce-mode instance whose writes all succeed.
 */

export interface SimPolicy {
  instanceId: string;
  compiled: CompiledPolicy;
  facts: PolicyFacts;
}

export function simPolicy(instanceId: string, compiled: CompiledPolicy): SimPolicy {
  return { instanceId, compiled, facts: policyFacts(compiled.policy, compiled.groups) };
}

export interface SimDecision {
  instanceId: string;
  ticketId: string;
  at: string;
  /** The rule of the move when there is one, else of the first new action. */
  rule: string;
  kind: string;
  /** What the policy would have done now (actions this tier visit had not done yet). */
  actions: Action[];
  reasons: Reason[];
  trigger: 'snapshot' | 'scheduled';
}

export interface TicketOutcome {
  instanceId: string;
  ticketId: string;
  createdAt: string;
  decisions: SimDecision[];
  /** SLA clocks that really breached (from the real statuses and timestamps) and when. */
  breaches: { clock: 'firstResponse' | 'resolution'; dueAt: string }[];
  /** Tier of the first snapshot and of the last one (the real history). */
  realTiers: { first: string | null; last: string | null };
  resolvedAt: string | null;
  /** Real tier/owner changes between snapshots that differ from what the simulation had placed. */
  humanReassignments: number;
  evaluations: number;
}

/** Guards against a policy that keeps asking for a check at the same instant (never seen; bounded anyway). */
const MAX_EVALUATIONS = 5_000;
const MAX_SAME_INSTANT = 3;
const terminal = (t: Ticket) => t.status.category === 'resolved' || t.status.category === 'closed';

const placement = (t: Ticket) =>
  `${t.tier ?? ''}\n${t.owner?.id ?? ''}\n${t.location.queue?.id ?? ''}\n${t.location.team?.id ?? ''}`;

function kindOf(decision: Decision, rule: string): string {
  return decision.reasons.find((r) => r.rule === rule)?.kind ?? 'unknown';
}

/** A snapshot with its instant parsed and its tier derived when the producer left it null. */
interface Snap {
  at: number;
  ticket: Ticket;
}

/** Our last simulated move and the real placement it overrode (kept until a person changes the placement). */
interface Overlay {
  move: ReassignAction;
  decision: Decision;
  realPlacement: string;
}

/** Everything the replay of one ticket carries from one evaluation to the next. */
interface SimState {
  readonly sim: SimPolicy;
  readonly cross: CrossTicketData;
  readonly engine: PolicyEngine;
  readonly snaps: readonly Snap[];
  readonly out: TicketOutcome;
  /** Whether note actions get their texts (only the decisions the report shows need them; see `simulateTimeline`). */
  readonly texts: boolean;
  /** Round-robin cursors of this ticket's own moves (replaced, never mutated: counters handed out keep theirs). */
  cursors: Record<string, number>;
  /** actionId per hashed input: the same actions come back at every evaluation of a tier visit. */
  readonly idMemo: Map<string, string>;
  /** The recurring windows' lookups for the ticket object last evaluated (see `countersAt`). */
  readonly recurring: RecurringLookup;
  record: TicketRecord | undefined;
  overlay: Overlay | undefined;
  current: Ticket | undefined;
  nextCheck: number;
  /** Index of the next snapshot to observe. */
  i: number;
  lastAt: number;
  sameInstant: number;
}

function snapsOf(timeline: Timeline, compiled: CompiledPolicy): Snap[] {
  return timeline.snapshots.map((s) => {
    const t = s.ticket;
    return {
      at: Date.parse(s.at),
      ticket: t.tier === null ? { ...t, tier: deriveTicketTier(t, compiled.instance) } : t,
    };
  });
}

function startState(timeline: Timeline, sim: SimPolicy, cross: CrossTicketData, texts: boolean): SimState {
  const { compiled, instanceId } = sim;
  const snaps = snapsOf(timeline, compiled);
  const first = snaps[0]!.ticket;
  const out: TicketOutcome = {
    instanceId,
    ticketId: first.ref.id,
    createdAt: first.createdAt,
    decisions: [],
    breaches: [],
    realTiers: { first: first.tier, last: snaps[snaps.length - 1]!.ticket.tier },
    resolvedAt: null,
    humanReassignments: 0,
    evaluations: 0,
  };
  // nextCheckAfterMove reads only the ids, types and next check of this what-if decision: no note texts needed.
  const engine: PolicyEngine = {
    evaluate: (_id, ticket, state, now) => evaluate({ ticket, state, policy: compiled, now, noteTexts: false }),
  };
  return {
    sim,
    cross,
    engine,
    snaps,
    out,
    texts,
    cursors: {},
    idMemo: new Map(),
    recurring: { times: [] },
    record: undefined,
    overlay: undefined,
    current: undefined,
    nextCheck: Infinity,
    i: 0,
    lastAt: -Infinity,
    sameInstant: 0,
  };
}

/**
 * The next instant to evaluate: the next snapshot when it comes no later than the scheduled check (the observation
 * replaces the ticket, a person's move ending our overlay), else the scheduled check up to the horizon; null when done.
 */
function nextStep(st: SimState): { now: number; trigger: SimDecision['trigger'] } | null {
  const { snaps } = st;
  const snapAt = st.i < snaps.length ? snaps[st.i]!.at : Infinity;
  if (snapAt <= st.nextCheck && snapAt !== Infinity) {
    const real = snaps[st.i++]!.ticket;
    if (st.overlay && placement(real) !== st.overlay.realPlacement) {
      // A person moved the ticket after our (simulated) move: their placement wins, observeTicket sees a manual change.
      st.out.humanReassignments++;
      st.overlay = undefined;
    }
    st.current = st.overlay
      ? ticketAfterMove(real, st.overlay.move, st.overlay.decision, st.sim.compiled.instance.locationKeys)
      : real;
    return { now: snapAt, trigger: 'snapshot' };
  }
  if (st.nextCheck !== Infinity && st.nextCheck <= st.cross.horizon && st.current)
    return { now: st.nextCheck, trigger: 'scheduled' };
  return null;
}

/** `actionId`, memoized per hashed input (see `idMemo`). */
function idOf(st: SimState, record: TicketRecord, a: Action): string {
  const key = actionIdInput(record, a);
  let id = st.idMemo.get(key);
  if (id === undefined) st.idMemo.set(key, (id = actionId(record, a)));
  return id;
}

/** The ids of the decision's actions, memoized per tier visit. */
function idsOf(st: SimState, record: TicketRecord, actions: readonly Action[]): string[] {
  const ids: string[] = new Array<string>(actions.length);
  for (let k = 0; k < actions.length; k++) ids[k] = idOf(st, record, actions[k]!);
  return ids;
}

/** Our move as the live worker records it after the PSA accepted it (the owner's PSA identity when mapped). */
function reassignOf(
  compiled: CompiledPolicy,
  decision: Decision,
  move: ReassignAction,
  at: string,
): LastReassign & { kind?: string } {
  const identity =
    move.owner === undefined
      ? null
      : (compiled.instance.members[move.owner] ?? (compiled.instance.membersRequireMapping ? null : move.owner));
  return {
    rule: move.rule,
    at,
    tier: move.tier,
    location: move.location,
    ...(move.owner !== undefined && identity !== null ? { owner: move.owner, ownerIdentity: identity } : {}),
    kind: kindOf(decision, move.rule),
  };
}

/** Records the decision's actions this tier visit had not done yet; returns our move's record entry when it moves. */
function recordFresh(
  st: SimState,
  decision: Decision,
  fresh: Action[],
  now: number,
  trigger: SimDecision['trigger'],
): (LastReassign & { kind?: string }) | undefined {
  if (fresh.length === 0) return undefined;
  const move = fresh.find((a): a is ReassignAction => a.type === 'reassign');
  const rule = move?.rule ?? fresh[0]!.rule;
  const at = new Date(now).toISOString();
  const { out } = st;
  out.decisions.push({
    instanceId: out.instanceId,
    ticketId: out.ticketId,
    at,
    rule,
    kind: kindOf(decision, rule),
    actions: fresh,
    reasons: decision.reasons,
    trigger,
  });
  return move ? reassignOf(st.sim.compiled, decision, move, at) : undefined;
}

/** After our move: the new tier's timers, the overlay on later real snapshots, the round-robin cursor. */
function applyMove(
  st: SimState,
  args: { ticket: Ticket; decision: Decision; reassign: LastReassign; counters: InstanceCounters; now: number },
): void {
  const { compiled, instanceId } = st.sim;
  const spec = compiled.instance.locationKeys;
  const { ticket, decision, reassign, counters, now } = args;
  const record = st.record!;
  const move = decision.actions.find((a): a is ReassignAction => a.type === 'reassign')!;
  record.nextCheckAt = nextCheckAfterMove({
    engine: st.engine,
    instanceId,
    record,
    ticket,
    decision,
    reassign,
    spec,
    counters,
    now,
    actionIdOf: (r, a) => idOf(st, r, a),
  });
  const realNow = st.snaps[Math.max(0, st.i - 1)]!.ticket;
  st.overlay = { move, decision, realPlacement: placement(realNow) };
  st.current = ticketAfterMove(st.current!, move, decision, spec);
  const group = move.group ? compiled.groups[move.group] : undefined;
  if (group?.assign === 'round-robin' && move.owner && move.group) {
    const k = group.members.indexOf(move.owner);
    st.cursors = { ...st.cursors, [move.group]: k < 0 ? 0 : (k + 1) % group.members.length };
  }
}

/** One evaluation as the live worker runs it: observe, evaluate, drop what this visit did, record, schedule. */
function evaluateAt(st: SimState, now: number, trigger: SimDecision['trigger']): void {
  const { compiled, facts, instanceId } = st.sim;
  const ticket = st.current!;
  st.out.evaluations++;
  const observed = observeTicket(st.record, { instanceId, ticket, now });
  const counters = countersAt(st.cross, facts, ticket, now, st.cursors, st.recurring);
  const decision = evaluate({
    ticket,
    state: toEngineState(observed, counters),
    policy: compiled,
    now,
    noteTexts: st.texts,
  });
  const ids = idsOf(st, observed, decision.actions);
  const applied = appliedIdsOf(observed);
  const fresh: Action[] = [];
  const freshIds: string[] = [];
  for (let k = 0; k < ids.length; k++) {
    if (applied.includes(ids[k]!)) continue;
    fresh.push(decision.actions[k]!);
    freshIds.push(ids[k]!);
  }
  const reassign = recordFresh(st, decision, fresh, now, trigger);
  st.record = applyDecision(observed, {
    decision,
    now,
    appliedIds: freshIds,
    slaRules: facts.slaRules,
    trigger,
    ...(reassign ? { reassign } : {}),
  });
  if (reassign) applyMove(st, { ticket, decision, reassign, counters, now });
  st.nextCheck = st.record.nextCheckAt === null ? Infinity : Date.parse(st.record.nextCheckAt);
}

/** Resolution instant and the SLA breaches that really happened: the real last snapshot, at its end. */
function finish(st: SimState): void {
  const { snaps, out, record } = st;
  const { compiled } = st.sim;
  const lastSnap = snaps[snaps.length - 1]!;
  const last = lastSnap.ticket;
  out.resolvedAt = terminal(last) ? (last.resolvedAt ?? new Date(lastSnap.at).toISOString()) : null;
  // The real last snapshot's own priority, not one our move raised.
  const endAt = out.resolvedAt ? lastSnap.at : Math.max(lastSnap.at, st.cross.horizon);
  const real = record
    ? evaluate({
        ticket: last,
        state: toEngineState(record, { recurringCount: 0, groupCursors: {}, memberLoads: {} }),
        policy: compiled,
        now: endAt,
        noteTexts: false,
      })
    : undefined;
  for (const name of ['firstResponse', 'resolution'] as const) {
    const c = real?.clocks[name];
    if (c?.breached) out.breaches.push({ clock: name, dueAt: c.dueAt });
  }
}

/**
 * `texts: false` leaves the note actions of the decisions without their texts (`evaluate`'s `noteTexts`): everything
 * else — which actions, their ids, the state they leave — is the same, so a caller that will not show this ticket's
 * decisions or note samples (the report keeps only the first few) skips rendering them.
 */
export function simulateTimeline(
  timeline: Timeline,
  sim: SimPolicy,
  cross: CrossTicketData,
  texts = true,
): TicketOutcome {
  const st = startState(timeline, sim, cross, texts);
  while (st.out.evaluations < MAX_EVALUATIONS) {
    const step = nextStep(st);
    if (!step) break;
    const { now, trigger } = step;
    st.sameInstant = now === st.lastAt ? st.sameInstant + 1 : 0;
    st.lastAt = now;
    if (st.sameInstant >= MAX_SAME_INSTANT && trigger === 'scheduled') {
      st.nextCheck = Infinity;
      continue;
    }
    const ticket = st.current!;
    evaluateAt(st, now, trigger);
    if (terminal(ticket) && st.i >= st.snaps.length) break;
  }
  finish(st);
  return st.out;
}
