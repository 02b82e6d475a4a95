import type { FetchedTicket, ReassignAction, Ticket } from '../../contract/index.js';
import type { LastReassign, PendingWrite, TicketRecord } from '../../store/ticket-store.js';

import type { InstanceRuntime } from '../outbound/instance-runtime.js';
import type { ProcessorDeps } from './processor-deps.js';
import { appliedIdsOf, applyDecision, observeTicket } from '../../store/ticket-state.js';
import { writeBack } from './write-back.js';
import type { WriteBackOutput } from './write-back.js';
import { LockLostError, guardedRuntime } from './write-guard.js';
import type { WriteGuard } from './write-guard.js';
import { MAX_DOUBT_ROUNDS, SettleWait, deferredWriteFailure, interimRows, noteInDoubt } from './write-retry.js';

export interface CompletePendingArgs {
  deps: ProcessorDeps;
  rt: InstanceRuntime;
  prev: TicketRecord;
  pending: PendingWrite;
  ticket: Ticket;
  fetched: FetchedTicket;
  now: number;
  /** No job attempt is left: transient failures are dead-lettered instead of retried. */
  finalAttempt: boolean;
  /** The job's ticket lock, checked before each PSA write. */
  guard?: WriteGuard;
}

export interface PendingOutcome {
  record: TicketRecord;
  /** The recorded decision was completed (true) or dropped because the ticket no longer qualifies (false). */
  completed: boolean;
  /** Completing it failed for good: its remaining actions are a dead letter now. */
  deadLettered?: boolean;
}

function reassignOf(rt: InstanceRuntime, pending: PendingWrite): LastReassign | undefined {
  const move = pending.actions.find((a): a is ReassignAction => a.type === 'reassign');
  if (!move) return undefined;
  const identity =
    move.owner === undefined
      ? undefined
      : (rt.loaded.info.mapping.members[move.owner] ?? (rt.connector.membersRequireMapping ? undefined : move.owner));
  const owner =
    move.owner !== undefined && identity !== undefined ? { owner: move.owner, ownerIdentity: identity } : {};
  return { rule: move.rule, at: pending.at, tier: move.tier, location: move.location, ...owner };
}

/** The ticket changed (closed, moved by a human or elsewhere) since the decision: its actions are skipped. */
async function dropSuperseded(args: CompletePendingArgs, record: TicketRecord): Promise<PendingOutcome> {
  const { deps, rt, pending, ticket } = args;
  deps.log.info(
    { instance: rt.loaded.info.id, ticket: ticket.ref.id, audit: pending.auditId },
    'pending decision no longer qualifies: dropped',
  );
  await deps.audit.updateResults(
    pending.auditId,
    pending.actions.map((a, i) => ({
      action: a.type,
      actionId: pending.actionIds[i]!,
      status: 'skipped',
      error: { code: 'superseded', message: 'the ticket changed before the write completed' },
    })),
  );
  const { pending: _dropped, ...rest } = record;
  return { record: rest, completed: false };
}

/** A note POST got no answer earlier: the marker scan that decides is the one after the PSA's commit delay. */
function waitForNoteSettle(doubt: PendingWrite['notesInDoubt'], settleMs: number): void {
  if (!doubt) return;
  const wait = doubt.since + settleMs - Date.now();
  if (wait > 0) throw new SettleWait(wait);
}

/** A note is still in doubt: store one more doubt round (under the lock), record the interim results, retry later. */
async function parkNotesInDoubt(
  args: CompletePendingArgs,
  record: TicketRecord,
  out: WriteBackOutput,
  rounds: number,
  settleMs: number,
): Promise<never> {
  const { deps, pending } = args;
  if (args.guard && !(await args.guard.check())) throw new LockLostError();
  await deps.tickets.put({
    ...record,
    pending: { ...pending, notesInDoubt: { since: Date.now(), rounds: rounds + 1 } },
  });
  await deps.audit.updateResults(pending.auditId, interimRows(out.results));
  throw new SettleWait(settleMs);
}

async function addDeadLetter(
  args: CompletePendingArgs,
  deadLetter: NonNullable<WriteBackOutput['deadLetter']>,
): Promise<void> {
  await args.deps.deadLetters.add({
    instanceId: args.rt.loaded.info.id,
    ticketId: args.ticket.ref.id,
    kind: deadLetter.kind,
    actions: deadLetter.actions,
    error: deadLetter.error,
    auditId: args.pending.auditId,
  });
}

/**
 * A decision was recorded but its writes never finished (the worker died mid-job). docs/spec.md §4: the retried job completes
 * the recorded decision's pending actions — after checking the ticket still qualifies — instead of deciding afresh.
 * Connectors are asked to verify (note markers, current field values) so nothing is written twice.
 */
export async function completePending(args: CompletePendingArgs): Promise<PendingOutcome> {
  const { deps, rt, prev, pending, ticket, fetched, now } = args;
  const move = pending.actions.find((a): a is ReassignAction => a.type === 'reassign');
  const ours = reassignOf(rt, pending);
  // Our move may have landed before the crash: attribute the tier change to it, not to a human.
  const landed = move !== undefined && ticket.tier === move.tier;
  const base = landed && ours ? { ...prev, lastReassign: ours } : prev;
  let record = observeTicket(base, { instanceId: rt.loaded.info.id, ticket, now });
  const closed = ticket.status.category === 'resolved' || ticket.status.category === 'closed';
  const stillThere = !move || ticket.tier === move.tier || ticket.tier === move.from.tier;
  if (closed || record.manualChange || !stillThere) return dropSuperseded(args, record);
  const settleMs = deps.noteSettleMs ?? 60_000;
  const doubt = pending.notesInDoubt;
  waitForNoteSettle(doubt, settleMs);
  const out = await writeBack({
    rt: guardedRuntime(rt, args.guard),
    ticket,
    fetched,
    decision: pending.decision,
    ids: pending.actionIds,
    alreadyApplied: new Set(appliedIdsOf(record)),
    verify: true,
    notify: deps.notify,
    ...(args.guard ? { guard: args.guard } : {}),
  });
  if (args.guard?.lost) throw new LockLostError();
  const rounds = doubt?.rounds ?? 0;
  if (noteInDoubt(out, pending.decision.actions) && rounds < MAX_DOUBT_ROUNDS) {
    return parkNotesInDoubt(args, record, out, rounds, settleMs);
  }
  const deferred = await deferredWriteFailure(rt, out, args.finalAttempt);
  if (deferred) {
    await deps.audit.updateResults(pending.auditId, interimRows(out.results));
    throw deferred;
  }
  await deps.audit.updateResults(pending.auditId, out.results);
  const reassign = out.reassign ?? (landed && ours ? ours : undefined);
  record = applyDecision(record, {
    decision: pending.decision,
    now: Date.parse(pending.at),
    appliedIds: out.appliedIds,
    slaRules: deps.facts(rt.loaded.info.id).slaRules,
    trigger: pending.trigger,
    ...(reassign ? { reassign } : {}),
    failedRules: new Set(out.deadLetter?.actions.map((a) => a.rule) ?? []),
  });
  if (out.deadLetter) await addDeadLetter(args, out.deadLetter);
  const { pending: _done, ...rest } = record;
  if (args.guard && !(await args.guard.check())) throw new LockLostError();
  await deps.tickets.put(rest);
  return { record: rest, completed: true, ...(out.deadLetter ? { deadLettered: true } : {}) };
}
