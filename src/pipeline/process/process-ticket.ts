import { ConnectorError, canonicalTicketId, isConnectorError } from '../../contract/index.js';
import type { Decision, FetchedTicket, ReassignAction, Ticket } from '../../contract/index.js';
import { newAuditId } from '../../store/audit-store.js';
import type { PendingWrite, TicketRecord } from '../../store/ticket-store.js';

import { nextCheckAfterMove, ticketAfterMove } from './after-move.js';
import type { InstanceRuntime } from '../outbound/instance-runtime.js';
import { completePending } from './complete-pending.js';
import { withOwnerActivity } from './owner-activity.js';
import type { ProcessorDeps, TicketTask } from './processor-deps.js';
import type { Trigger } from '../queue/queues.js';
import {
  actionId,
  appliedIdsOf,
  applyDecision,
  isOlderVersion,
  observeTicket,
  toEngineState,
} from '../../store/ticket-state.js';
import type { InstanceCounters } from '../../store/ticket-state.js';
import { ownerClaimOf, readCounters, updateOwnerLoad } from '../../store/ticket-counters.js';
import type { AuditEntry } from '../../store/models.js';
import { newDisagreements, slaDrift } from '../metrics/sla-drift.js';
import { writeBack } from './write-back.js';
import type { WriteBackOutput } from './write-back.js';
import { LockLostError, guardedRuntime } from './write-guard.js';
import { SettleWait, deferredWriteFailure, interimRows, noteInDoubt } from './write-retry.js';

export type Outcome =
  | { kind: 'evaluated'; auditId?: string; decision: Decision }
  | { kind: 'stale' }
  | { kind: 'gone' }
  | { kind: 'unknown_instance' }
  | { kind: 'dead_letter'; code: string };

const emptyDecision = (): Decision => ({ actions: [], reasons: [], nearMisses: [], clocks: {}, nextCheckAt: null });

/**
 * The PSA confirmed the ticket is gone (404/410, or a `deleted` event whose fetch shows the PSA's own deleted/merged
 * flag) → state and scheduled check removed, audit `ticket_gone`, no retry (docs/spec.md §4).
 */
async function gone(deps: ProcessorDeps, rt: InstanceRuntime, ticketId: string, trigger: Trigger): Promise<Outcome> {
  const { info } = rt.loaded;
  const at = deps.now();
  await deps.tickets.delete(info.id, ticketId);
  await deps.schedule.set(info.id, ticketId, null);
  await deps.counters.setTicketOwner(info.id, ticketId, null);
  await deps.audit.record({
    id: newAuditId(at),
    at: new Date(at).toISOString(),
    instanceId: info.id,
    psa: info.kind,
    ticketId,
    mode: info.mode,
    trigger,
    decision: emptyDecision(),
    results: [],
    event: 'ticket_gone',
  });
  await deps.escalationMetrics?.gone(info.id, ticketId, at);
  return { kind: 'gone' };
}

/** Fetch failures that retrying won't fix become a dead letter (re-queued from the API); others are thrown. */
async function fetchFailed(
  deps: ProcessorDeps,
  rt: InstanceRuntime,
  task: TicketTask,
  error: ConnectorError,
): Promise<Outcome> {
  const { info } = rt.loaded;
  const iso = new Date(deps.now()).toISOString();
  if (error.code === 'not_found') return gone(deps, rt, task.ticketId, task.trigger);
  if (error.retryable) {
    // Throttled is not unreachable: the job is only delayed until the instance's pause ends.
    if (error.code !== 'rate_limited') await deps.instances.setPsa(info.id, 'unreachable', iso, error.code);
    throw error;
  }
  if (error.code === 'psa_auth') await deps.instances.setPsa(info.id, 'auth_failed', iso, error.code);
  await deps.deadLetters.add({
    instanceId: info.id,
    ticketId: task.ticketId,
    kind: 'evaluation',
    actions: [],
    error: { code: error.code, message: error.message },
  });
  deps.metrics?.deadLetters.inc({ instance: info.id, code: error.code });
  return { kind: 'dead_letter', code: error.code };
}

async function fetchAndNormalize(
  rt: InstanceRuntime,
  ticketId: string,
): Promise<{ fetched: FetchedTicket; ticket: Ticket } | ConnectorError> {
  const res = await rt.connector
    .fetchTicket(rt.ctx, ticketId)
    .catch((e: unknown) => ({ ok: false as const, error: e }));
  if (!res.ok)
    return isConnectorError(res.error)
      ? res.error
      : new ConnectorError('internal', String(res.error), { cause: res.error });
  try {
    const ticket = rt.connector.normalize(res.value, rt.loaded.info, rt.loaded.settings);
    // The record key and the note markers hash `ref.id`: canonical like the job, lock and schedule keys (src/contract/ids.ts).
    const id = canonicalTicketId(ticket.ref.id);
    return {
      fetched: res.value,
      ticket: id === undefined || id === ticket.ref.id ? ticket : { ...ticket, ref: { ...ticket.ref, id } },
    };
  } catch (e) {
    return new ConnectorError('invalid_response', `normalize failed: ${e instanceof Error ? e.message : String(e)}`, {
      retryable: false,
    });
  }
}

/**
 * One evaluation of one ticket (the `tickets` job), under the per-ticket lock held by the caller:
 * re-fetch → drop if older → state from the observation → complete a recorded pending write → engine → audit entry
 * BEFORE writes → write-back (observe: proposed) → state after → scheduled check at `nextCheckAt`.
 */
export async function processTicket(deps: ProcessorDeps, task: TicketTask): Promise<Outcome> {
  const rt = deps.runtimes.get(task.instanceId);
  if (!rt) {
    await deps.schedule.set(task.instanceId, task.ticketId, null);
    return { kind: 'unknown_instance' };
  }
  // A `deleted` event is a claim (forged, or a Halo "note deleted" read as a delete): the fetch below decides. Only
  // the PSA's 404/410 or its own deleted/merged flag removes state; a ticket that is still there is an update.
  const got = await fetchAndNormalize(rt, task.ticketId);
  if (got instanceof ConnectorError) return fetchFailed(deps, rt, task, got);
  const { info } = rt.loaded;
  // The PSA's own deleted/merged flag is its word, whatever the trigger (a delete absorbed into a waiting update job
  // carries no `deleted` hint; a merged Halo ticket is not otherwise read as closed).
  if (got.fetched.gone) return gone(deps, rt, task.ticketId, task.trigger);
  if (task.deleted) {
    deps.log.info(
      { instance: info.id, ticket: task.ticketId },
      'delete event not confirmed by the PSA (the ticket is still there): evaluated as an update',
    );
  }
  const now = deps.now();
  await deps.instances.setPsa(info.id, 'ok', new Date(now).toISOString());
  const prev = await deps.tickets.get(info.id, task.ticketId);
  if (task.trigger === 'webhook' && isOlderVersion(got.ticket.version, prev?.version)) {
    deps.log.info(
      { instance: info.id, ticket: task.ticketId, fetched: got.ticket.version, stored: prev?.version },
      'fetched version is older than stored: dropped',
    );
    return { kind: 'stale' };
  }
  await deps.timelines?.observe(info.id, got.ticket, now, prev?.ticket);
  if (prev?.pending) return completeThenDecide({ deps, rt, task, ...got, now }, prev, prev.pending);
  const rebuilt = !prev && (await handledBefore(deps, info.id, got.ticket));
  if (rebuilt)
    deps.log.info(
      { instance: info.id, ticket: task.ticketId },
      'state expired or lost: rebuilt from the PSA read, notes verified by marker',
    );
  return decideAndApply({
    deps,
    rt,
    task,
    record: observeTicket(prev, { instanceId: info.id, ticket: got.ticket, now }),
    ...got,
    now,
    rebuilt,
  });
}

/**
 * The stored record carries a decision whose writes never finished: complete it (complete-pending.ts) before any new
 * decision; decide afresh only when it no longer qualifies.
 */
async function completeThenDecide(
  args: Omit<DecideArgs, 'record'>,
  prev: TicketRecord,
  pending: PendingWrite,
): Promise<Outcome> {
  const { deps, rt, task, now } = args;
  const done = await completePending({
    deps,
    rt,
    prev,
    pending,
    ticket: args.ticket,
    fetched: args.fetched,
    now,
    finalAttempt: task.finalAttempt ?? true,
    ...(task.guard ? { guard: task.guard } : {}),
  });
  if (done.completed) {
    // The recorded decision was completed instead of deciding afresh (docs/spec.md §4); the ticket in hand predates those
    // writes, so a scheduled check right away decides on a fresh read (and schedules the new tier's timers).
    // After a dead letter, the decision's own next check (as a first-attempt dead letter does): an immediate one
    // would re-decide and write again, bypassing the dead letter that waits for an operator.
    const next = done.deadLettered ? pending.decision.nextCheckAt : new Date(now).toISOString();
    await deps.schedule.set(rt.loaded.info.id, task.ticketId, next === null ? null : Date.parse(next));
    return { kind: 'evaluated', decision: pending.decision, auditId: pending.auditId };
  }
  return decideAndApply({ ...args, record: done.record });
}

/**
 * A ticket without a stored record that we acted on before: the record of a closed ticket expired (`retention.tickets`)
 * and it was reopened, or the state was lost. Our notes on it, or its audit entries (kept longer), tell.
 */
async function handledBefore(deps: ProcessorDeps, instanceId: string, ticket: Ticket): Promise<boolean> {
  if (ticket.recentNotes?.some((n) => n.ours)) return true;
  return deps.audit.hasTicket(instanceId, ticket.ref.id);
}

interface DecideArgs {
  deps: ProcessorDeps;
  rt: InstanceRuntime;
  task: TicketTask;
  record: TicketRecord;
  ticket: Ticket;
  fetched: FetchedTicket;
  now: number;
  /** The record was rebuilt from this read alone for a ticket we acted on before (see `handledBefore`). */
  rebuilt?: boolean;
}

/** The audit entry of a decision, written before its first PSA write (its results follow the writes). */
function auditEntryOf(args: DecideArgs, auditId: string, decision: Decision, mode: 'enforce' | 'observe'): AuditEntry {
  const { info } = args.rt.loaded;
  return {
    id: auditId,
    at: new Date(args.now).toISOString(),
    instanceId: info.id,
    psa: info.kind,
    ticketId: args.task.ticketId,
    mode,
    trigger: args.task.trigger,
    decision,
    results: [],
  };
}

/**
 * A note POST got no answer. Not a plain retry: the PSA may list the note only later. The pending decision is stored
 * with the note in doubt and the job waits out the PSA's commit delay, then scans for the marker and decides.
 */
async function waitForNoteSettle(
  args: DecideArgs,
  record: TicketRecord,
  auditId: string,
  out: WriteBackOutput,
): Promise<never> {
  const { deps, task } = args;
  // Real time, not the injected clock: the PSA's commit delay passes in real time even in the accelerated demo.
  const inDoubt = { ...record, pending: { ...record.pending!, notesInDoubt: { since: Date.now(), rounds: 1 } } };
  await deps.tickets.put(inDoubt);
  await deps.audit.updateResults(auditId, interimRows(out.results));
  deps.log.warn(
    { instance: args.rt.loaded.info.id, ticket: task.ticketId },
    'note POST got no answer: re-checking its marker after the PSA commit delay',
  );
  throw new SettleWait(deps.noteSettleMs ?? 60_000);
}

/**
 * Records the decision as `pending` (audit entry first), then writes it to the PSA. A note in doubt, a transient
 * write failure or a lost lock ends the job here with the decision still pending for the next run to complete.
 */
async function recordAndWrite(
  args: DecideArgs,
  d: { decision: Decision; ids: string[]; applied: ReadonlySet<string>; mode: 'enforce' | 'observe' },
): Promise<{ record: TicketRecord; auditId: string; out: Awaited<ReturnType<typeof writeBack>> }> {
  const { deps, rt, task, ticket, fetched, now } = args;
  const { decision, ids, applied, mode } = d;
  const { info } = rt.loaded;
  const auditId = newAuditId(now);
  const entry = auditEntryOf(args, auditId, decision, mode);
  // Recorded before the first write: a crash from here on is completed by the next run (complete-pending.ts).
  const record: TicketRecord = {
    ...args.record,
    pending: { auditId, at: entry.at, trigger: task.trigger, decision, actions: decision.actions, actionIds: ids },
  };
  if (task.guard && !(await task.guard.check())) throw new LockLostError();
  await deps.audit.record(entry);
  await deps.tickets.put(record);
  // State rebuilt for a ticket we acted on before (its closed record expired, then it was reopened): the tier-visit
  // guards went with the record, so our notes already in the PSA are looked for by marker before any is posted.
  const verify = task.retry || args.rebuilt === true;
  const out = await writeBack({
    rt: guardedRuntime(rt, task.guard),
    ticket,
    fetched,
    decision,
    ids,
    alreadyApplied: applied,
    verify,
    notify: deps.notify,
    mode,
    ...(task.guard ? { guard: task.guard } : {}),
  });
  if (task.guard?.lost) {
    deps.log.warn(
      { instance: info.id, ticket: task.ticketId, audit: auditId },
      'ticket lock lost mid-job: remaining writes left to the recorded pending decision',
    );
    throw new LockLostError();
  }
  if (noteInDoubt(out, decision.actions)) return waitForNoteSettle(args, record, auditId, out);
  const deferred = await deferredWriteFailure(rt, out, task.finalAttempt ?? true);
  if (deferred) {
    await deps.audit.updateResults(auditId, interimRows(out.results));
    deps.log.warn(
      { instance: info.id, ticket: task.ticketId, code: deferred.code },
      'PSA write failed: the job retries and completes the recorded decision',
    );
    throw deferred;
  }
  await deps.audit.updateResults(auditId, out.results);
  return { record, auditId, out };
}

/** A backfill evaluation in enforce mode with `backfill: observe` (the default): proposes, writes nothing. */
function isBackfillDry(rt: InstanceRuntime, task: TicketTask): boolean {
  return (
    task.trigger === 'backfill' && rt.loaded.info.mode === 'enforce' && (rt.loaded.backfill ?? 'observe') === 'observe'
  );
}

/** Adds our own applied move to the ticket's timeline (backtest `--from-history`, least-loaded owner loads). */
async function observeOwnMove(args: DecideArgs, decision: Decision): Promise<void> {
  const { deps, rt, ticket, now } = args;
  const move = decision.actions.find((a): a is ReassignAction => a.type === 'reassign');
  if (move)
    await deps.timelines?.observe(
      rt.loaded.info.id,
      ticketAfterMove(ticket, move, decision, rt.connector.locationKeys),
      now,
      ticket,
    );
}

async function decideAndApply(input: DecideArgs): Promise<Outcome> {
  // A due handoff-pickup check also sees the owner's time entries (owner-activity.ts).
  const args = {
    ...input,
    record: await withOwnerActivity({ ...input, facts: input.deps.facts(input.rt.loaded.info.id) }),
  };
  const { deps, rt, task, ticket, now } = args;
  const { info } = rt.loaded;
  // `backfill: observe` (the default) in enforce mode: the backfill's first wave is proposed, not written, and not
  // recorded as fired, so the ticket's next evaluation in enforce (webhook, scheduled check, a `--full` reconcile
  // after switching to `backfill: enforce`) decides it again and applies it.
  const backfillDry = isBackfillDry(rt, task);
  const mode = backfillDry ? 'observe' : info.mode;
  const facts = deps.facts(info.id);
  await updateOwnerLoad({ store: deps.counters, facts, info, ticket });
  const applied = new Set(appliedIdsOf(args.record));
  const { decision, counters } = await decideOwned(
    args,
    await readCounters({ store: deps.counters, facts, instanceId: info.id, ticket, now }),
    applied,
  );
  deps.metrics?.evaluations.inc({ instance: info.id, trigger: task.trigger });
  const ids = decision.actions.map((a) => actionId(args.record, a));
  const written = ids.some((id) => !applied.has(id))
    ? await recordAndWrite(args, { decision, ids, applied, mode })
    : undefined;
  let record = written?.record ?? args.record;
  const auditId = written?.auditId;
  const out = written?.out;
  record = applyDecision(record, {
    decision,
    now,
    appliedIds: backfillDry ? [] : (out?.appliedIds ?? []),
    slaRules: facts.slaRules,
    trigger: task.trigger,
    failedRules: backfillDry ? new Set(decision.actions.map((a) => a.rule)) : failedRules(out),
    ...(out?.reassign ? { reassign: out.reassign } : {}),
  });
  delete record.pending;
  // Writes done but the lock lapsed meanwhile: the next holder completes the pending decision (markers and read-back
  // make that a no-op) rather than this job overwriting a record it no longer owns.
  if (out && task.guard && !(await task.guard.check())) throw new LockLostError();
  // A proposal of the dry backfill leaves the ticket unseen at its version: a sweep that lists it again (it
  // changed, or the overlap) evaluates it afresh in enforce.
  if (backfillDry && out?.results.some((r) => r.status === 'proposed')) record.version = '';
  if (out?.reassign) {
    record.nextCheckAt = nextCheckAfterMove({
      engine: deps.engine,
      instanceId: info.id,
      record,
      ticket,
      decision,
      reassign: out.reassign,
      spec: rt.connector.locationKeys,
      counters,
      now,
    });
  }
  await deps.tickets.put(record);
  // Our own move is part of the ticket's history from this instant (backtest timelines, `--from-history`): the PSA's
  // read of it comes later, and other tickets' least-loaded picks in between must see the new owner's load.
  if (out?.reassign && mode === 'enforce') await observeOwnMove(args, decision);
  await deps.escalationMetrics?.record({ instanceId: info.id, ticket, decision, ours: record, mode, now });
  await deps.schedule.set(info.id, task.ticketId, record.nextCheckAt === null ? null : Date.parse(record.nextCheckAt));
  await afterWrite({ deps, rt, task, decision, out, prev: args.record, auditId, mode, ticket });
  return { kind: 'evaluated', decision, ...(auditId ? { auditId } : {}) };
}

/** Re-decisions allowed when concurrent evaluations keep changing the ownership counters first. */
const MAX_OWNER_CLAIMS = 50;

/**
 * Evaluates and, when the decision assigns an owner through a round-robin or least-loaded group, records that pick
 * atomically (compare-and-set on the counters it was made from). Another evaluation that recorded a pick in between
 * makes the claim fail: re-read the counters and decide again, so tickets escalated in the same instant spread over
 * the group. Observe mode writes nothing, and a move already applied in this visit claims nothing.
 */
async function decideOwned(
  args: DecideArgs,
  first: InstanceCounters,
  applied: ReadonlySet<string>,
): Promise<{ decision: Decision; counters: InstanceCounters }> {
  const { deps, rt, task, ticket, now, record } = args;
  const { info } = rt.loaded;
  const facts = deps.facts(info.id);
  let counters = first;
  for (let attempt = 1; ; attempt++) {
    const decision = deps.engine.evaluate(info.id, ticket, toEngineState(record, counters), now);
    const claim =
      info.mode === 'enforce' ? ownerClaimOf({ facts, ticketId: task.ticketId, decision, counters }) : undefined;
    const move = decision.actions.find((a) => a.type === 'reassign');
    if (!claim || !move || applied.has(actionId(record, move))) return { decision, counters };
    if (await deps.counters.claimOwner(info.id, claim)) return { decision, counters };
    if (attempt >= MAX_OWNER_CLAIMS)
      throw new ConnectorError('conflict', 'ownership counters kept changing under concurrent evaluations', {
        retryable: true,
      });
    counters = { ...counters, ...(await deps.counters.ownership(info.id)) };
  }
}

/** Rules with an action that went to a dead letter. */
function failedRules(out: Awaited<ReturnType<typeof writeBack>> | undefined): Set<string> {
  return new Set(out?.deadLetter?.actions.map((a) => a.rule) ?? []);
}

/** Counters, dead letters, instance health and metrics once the state is stored. */
async function afterWrite(args: {
  deps: ProcessorDeps;
  rt: InstanceRuntime;
  task: TicketTask;
  decision: Decision;
  out: Awaited<ReturnType<typeof writeBack>> | undefined;
  prev: TicketRecord;
  auditId: string | undefined;
  mode: 'enforce' | 'observe';
  ticket: Ticket;
}): Promise<void> {
  const { deps, rt, task, decision, out } = args;
  const { info } = rt.loaded;
  const move = decision.actions.find((a) => a.type === 'reassign');
  if (out?.deadLetter) {
    await deps.deadLetters.add({
      instanceId: info.id,
      ticketId: task.ticketId,
      kind: out.deadLetter.kind,
      actions: out.deadLetter.actions,
      error: out.deadLetter.error,
      ...(args.auditId ? { auditId: args.auditId } : {}),
    });
    deps.metrics?.deadLetters.inc({ instance: info.id, code: out.deadLetter.error.code });
  }
  if (out?.authFailed)
    await deps.instances.setPsa(info.id, 'auth_failed', new Date(deps.now()).toISOString(), 'psa_auth');
  for (const r of decision.reasons) {
    if (r.suppressed) continue;
    const tier = move?.type === 'reassign' && move.rule === r.rule ? move.tier : args.prev.tier;
    deps.metrics?.escalations.inc({
      instance: info.id,
      rule: r.rule,
      kind: r.kind,
      tier: tier ?? 'none',
      mode: args.mode,
    });
  }
  const drift = slaDrift(args.ticket, decision.clocks);
  for (const clock of ['firstResponse', 'resolution'] as const) {
    const d = drift[clock];
    if (d !== null) deps.metrics?.slaDrift.observe({ instance: info.id, clock }, Math.abs(d));
  }
  const tolerance = (rt.loaded.slaDriftToleranceMs ?? 5 * 60_000) / 60_000;
  for (const clock of newDisagreements(
    drift,
    args.prev.lastDecision ? slaDrift(args.prev.ticket, args.prev.lastDecision.clocks) : undefined,
    tolerance,
  )) {
    deps.metrics?.slaDisagreements.inc({ instance: info.id, clock });
  }
  const before = args.prev.lastDecision?.clocks;
  for (const name of ['firstResponse', 'resolution'] as const) {
    if (decision.clocks[name]?.breached && !before?.[name]?.breached)
      deps.metrics?.slaBreaches.inc({ instance: info.id, clock: name });
  }
}
