import type { Action, Decision, Reason, ReassignAction, Ticket } from '../contract/index.js';
import { deriveTicketTier, evaluate } from '../engine/index.js';
import type { CompiledPolicy } from '../engine/index.js';
import { nextCheckAfterMove, ticketAfterMove } from '../pipeline/process/after-move.js';
import type { PolicyEngine } from '../pipeline/policy/policy-engine.js';
import { actionId, actionIdInput, appliedIdsOf, applyDecision, observeTicket, toEngineState } from '../store/ticket-state.js';
import { policyFacts } from '../store/ticket-counters.js';
import type { PolicyFacts } from '../store/ticket-counters.js';
import type { LastReassign, TicketRecord } from '../store/ticket-store.js';

import { countersAt } from './cross-ticket.js';
import type { CrossTicketData } from './cross-ticket.js';
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

const placement = (t: Ticket) => `${t.tier ?? ''}\n${t.owner?.id ?? ''}\n${t.location.queue?.id ?? ''}\n${t.location.team?.id ?? ''}`;

function kindOf(decision: Decision, rule: string): string {
  return decision.reasons.find((r) => r.rule === rule)?.kind ?? 'unknown';
}

export function simulateTimeline(timeline: Timeline, sim: SimPolicy, cross: CrossTicketData): TicketOutcome {
  const { compiled, facts, instanceId } = sim;
  const spec = compiled.instance.locationKeys;
  const engine: PolicyEngine = { evaluate: (_id, ticket, state, now) => evaluate({ ticket, state, policy: compiled, now }) };
  const snaps = timeline.snapshots.map((s) => {
    const t = s.ticket;
    return { at: Date.parse(s.at), ticket: t.tier === null ? { ...t, tier: deriveTicketTier(t, compiled.instance) } : t };
  });
  const first = snaps[0]!.ticket;
  const out: TicketOutcome = {
    instanceId, ticketId: first.ref.id, createdAt: first.createdAt, decisions: [], breaches: [],
    realTiers: { first: first.tier, last: snaps[snaps.length - 1]!.ticket.tier }, resolvedAt: null, humanReassignments: 0, evaluations: 0,
  };
  const cursors: Record<string, number> = {};
  /** actionId per hashed input: the same actions come back at every evaluation of a tier visit. */
  const idMemo = new Map<string, string>();
  let record: TicketRecord | undefined;
  /** Our last simulated move and the real placement it overrode (kept until a person changes the placement). */
  let overlay: { move: ReassignAction; decision: Decision; realPlacement: string } | undefined;
  let current: Ticket | undefined;
  let nextCheck = Infinity;
  let i = 0;
  let lastAt = -Infinity;
  let sameInstant = 0;
  while (out.evaluations < MAX_EVALUATIONS) {
    const snapAt = i < snaps.length ? snaps[i]!.at : Infinity;
    let now: number;
    let trigger: SimDecision['trigger'];
    if (snapAt <= nextCheck && snapAt !== Infinity) {
      const real = snaps[i++]!.ticket;
      now = snapAt;
      trigger = 'snapshot';
      if (overlay && placement(real) !== overlay.realPlacement) {
        // A person moved the ticket after our (simulated) move: their placement wins, observeTicket sees a manual change.
        out.humanReassignments++;
        overlay = undefined;
      }
      current = overlay ? ticketAfterMove(real, overlay.move, overlay.decision, spec) : real;
    } else if (nextCheck !== Infinity && nextCheck <= cross.horizon && current) {
      now = nextCheck;
      trigger = 'scheduled';
    } else break;
    sameInstant = now === lastAt ? sameInstant + 1 : 0;
    lastAt = now;
    if (sameInstant >= MAX_SAME_INSTANT && trigger === 'scheduled') {
      nextCheck = Infinity;
      continue;
    }
    const ticket = current!;
    out.evaluations++;
    record = observeTicket(record, { instanceId, ticket, now });
    const counters = countersAt(cross, facts, ticket, now, { ...cursors });
    const decision = evaluate({ ticket, state: toEngineState(record, counters), policy: compiled, now });
    const ids = decision.actions.map((a) => {
      const key = actionIdInput(record!, a);
      let id = idMemo.get(key);
      if (id === undefined) idMemo.set(key, (id = actionId(record!, a)));
      return id;
    });
    const applied = new Set(appliedIdsOf(record));
    const freshIdx = decision.actions.map((_, k) => k).filter((k) => !applied.has(ids[k]!));
    let reassign: (LastReassign & { kind?: string }) | undefined;
    if (freshIdx.length > 0) {
      const actions = freshIdx.map((k) => decision.actions[k]!);
      const move = actions.find((a): a is ReassignAction => a.type === 'reassign');
      const rule = move?.rule ?? actions[0]!.rule;
      out.decisions.push({
        instanceId, ticketId: out.ticketId, at: new Date(now).toISOString(), rule, kind: kindOf(decision, rule), actions,
        reasons: decision.reasons, trigger,
      });
      if (move) {
        const identity = move.owner === undefined ? null : (compiled.instance.members[move.owner] ?? (compiled.instance.membersRequireMapping ? null : move.owner));
        reassign = {
          rule: move.rule, at: new Date(now).toISOString(), tier: move.tier, location: move.location,
          ...(move.owner !== undefined && identity !== null ? { owner: move.owner, ownerIdentity: identity } : {}),
          kind: kindOf(decision, move.rule),
        };
      }
    }
    record = applyDecision(record, {
      decision, now, appliedIds: freshIdx.map((k) => ids[k]!), slaRules: facts.slaRules, trigger, ...(reassign ? { reassign } : {}),
    });
    if (reassign) {
      const move = decision.actions.find((a): a is ReassignAction => a.type === 'reassign')!;
      record.nextCheckAt = nextCheckAfterMove({ engine, instanceId, record, ticket, decision, reassign, spec, counters, now });
      const realNow = snaps[Math.max(0, i - 1)]!.ticket;
      overlay = { move, decision, realPlacement: placement(realNow) };
      current = ticketAfterMove(current!, move, decision, spec);
      const group = move.group ? compiled.groups[move.group] : undefined;
      if (group?.assign === 'round-robin' && move.owner && move.group) {
        const k = group.members.indexOf(move.owner);
        cursors[move.group] = k < 0 ? 0 : (k + 1) % group.members.length;
      }
    }
    nextCheck = record.nextCheckAt === null ? Infinity : Date.parse(record.nextCheckAt);
    if (terminal(ticket) && i >= snaps.length) break;
  }
  const last = snaps[snaps.length - 1]!.ticket;
  out.resolvedAt = terminal(last) ? (last.resolvedAt ?? new Date(snaps[snaps.length - 1]!.at).toISOString()) : null;
  // Breaches that really happened: the real last snapshot (its own priority, not one our move raised), at its end.
  const endAt = out.resolvedAt ? snaps[snaps.length - 1]!.at : Math.max(snaps[snaps.length - 1]!.at, cross.horizon);
  const real = record ? evaluate({ ticket: last, state: toEngineState(record, { recurringCount: 0, groupCursors: {}, memberLoads: {} }), policy: compiled, now: endAt }) : undefined;
  for (const name of ['firstResponse', 'resolution'] as const) {
    const c = real?.clocks[name];
    if (c?.breached) out.breaches.push({ clock: name, dueAt: c.dueAt });
  }
  return out;
}
