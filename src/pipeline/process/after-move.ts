import type { Action, Decision, LocationKeySpec, ReassignAction, Ticket } from '../../contract/index.js';
import type { LastReassign, TicketRecord } from '../../store/ticket-store.js';

import type { PolicyEngine } from '../policy/policy-engine.js';
import type { InstanceCounters } from '../../store/ticket-state.js';
import { actionId, appliedIdsOf, toEngineState } from '../../store/ticket-state.js';

/**
 * The ticket as our own write left it: the target location (read through the connector's location keys), the
 * target tier, the owner we assigned and the raised priority. Used only to compute when to look again — never
 * written anywhere and never stored as an observation (the next real fetch is the observation).
 */
export function ticketAfterMove(
  ticket: Ticket,
  move: ReassignAction,
  decision: Decision,
  spec: LocationKeySpec,
): Ticket {
  const location: Ticket['location'] = { ...ticket.location };
  for (const [key, value] of Object.entries(move.location)) {
    const rule = spec[key];
    if (!rule) continue;
    location[rule.field] = rule.by === 'id' ? { id: String(value) } : { id: String(value), name: String(value) };
  }
  const raised = decision.actions.find((a): a is Extract<Action, { type: 'priority' }> => a.type === 'priority');
  const level = raised ? (Number(raised.priority.slice(1)) as 1 | 2 | 3 | 4) : undefined;
  return {
    ...ticket,
    location,
    tier: move.tier,
    ...(move.owner !== undefined ? { owner: { id: move.owner, name: move.owner } } : {}),
    ...(raised && level ? { priority: { ...ticket.priority, name: raised.priority, level } } : {}),
  };
}

export interface NextCheckArgs {
  engine: PolicyEngine;
  instanceId: string;
  /** The record after `applyDecision` (fired rules and our reassign folded in). */
  record: TicketRecord;
  ticket: Ticket;
  decision: Decision;
  reassign: LastReassign;
  spec: LocationKeySpec;
  counters: InstanceCounters;
  now: number;
  /** `actionId`, or a memoized equivalent (the backtest hashes each action of a tier visit once). */
  actionIdOf?: (record: TicketRecord, action: Action) => string;
}

/**
 * When to check a ticket we just moved (engine engineer's note: `nextCheckAt` is computed for the ticket as it stood
 * before the move, so the new tier's timers — `t2-timeout` — would be scheduled late or never, since our own write
 * comes back as an ignored echo). Re-evaluates the post-move ticket with the new visit starting at our move: if
 * something would already act, the check is due now (a real fetch then decides); else the engine's `nextCheckAt`.
 */
export function nextCheckAfterMove(args: NextCheckArgs): string | null {
  const { record, reassign, now } = args;
  const move = args.decision.actions.find((a): a is ReassignAction => a.type === 'reassign');
  if (!move) return args.decision.nextCheckAt;
  const ticket = ticketAfterMove(args.ticket, move, args.decision, args.spec);
  const after: TicketRecord = { ...record, ticket, tier: move.tier, tierSince: reassign.at };
  delete after.manualChange;
  const whatIf = args.engine.evaluate(args.instanceId, ticket, toEngineState(after, args.counters), now);
  const applied = new Set(appliedIdsOf(after));
  const idOf = args.actionIdOf ?? actionId;
  const actsNow = whatIf.actions.some((a) => a.type !== 'tag' && !applied.has(idOf(after, a)));
  if (actsNow) return new Date(now).toISOString();
  return whatIf.nextCheckAt;
}
