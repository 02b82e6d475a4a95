import { ConnectorError, isConnectorError } from '../contract/index.js';
import { newAuditId } from '../store/audit-store.js';
import { nextCheckAfterMove } from './after-move.js';
import { completePending } from './pending.js';
import { actionId, appliedIdsOf, applyDecision, isOlderVersion, observeTicket, toEngineState } from './state.js';
import { advanceRoundRobin, readCounters, updateOwnerLoad } from './ticket-counters.js';
import { writeBack } from './write-back.js';
import { deferredWriteFailure, interimRows } from './write-retry.js';
const emptyDecision = () => ({ actions: [], reasons: [], nearMisses: [], clocks: {}, nextCheckAt: null });
/** `deleted` event or 404/410 → state and scheduled check removed, audit `ticket_gone`, no retry (SPEC §4). */
async function gone(deps, rt, ticketId, trigger) {
    const { info } = rt.loaded;
    const at = deps.now();
    await deps.tickets.delete(info.id, ticketId);
    await deps.schedule.set(info.id, ticketId, null);
    await deps.counters.setTicketOwner(info.id, ticketId, null);
    await deps.audit.record({
        id: newAuditId(at), at: new Date(at).toISOString(), instanceId: info.id, psa: info.kind, ticketId,
        mode: info.mode, trigger, decision: emptyDecision(), results: [], event: 'ticket_gone',
    });
    await deps.escalationMetrics?.gone(info.id, ticketId, at);
    return { kind: 'gone' };
}
/** Fetch failures that retrying won't fix become a dead letter (re-queued from the API); others are thrown. */
async function fetchFailed(deps, rt, task, error) {
    const { info } = rt.loaded;
    const iso = new Date(deps.now()).toISOString();
    if (error.code === 'not_found')
        return gone(deps, rt, task.ticketId, task.trigger);
    if (error.retryable) {
        // Throttled is not unreachable: the job is only delayed until the instance's pause ends.
        if (error.code !== 'rate_limited')
            await deps.instances.setPsa(info.id, 'unreachable', iso, error.code);
        throw error;
    }
    if (error.code === 'psa_auth')
        await deps.instances.setPsa(info.id, 'auth_failed', iso, error.code);
    await deps.deadLetters.add({ instanceId: info.id, ticketId: task.ticketId, kind: 'evaluation', actions: [], error: { code: error.code, message: error.message } });
    deps.metrics?.deadLetters.inc({ instance: info.id, code: error.code });
    return { kind: 'dead_letter', code: error.code };
}
async function fetchAndNormalize(rt, ticketId) {
    const res = await rt.connector.fetchTicket(rt.ctx, ticketId).catch((e) => ({ ok: false, error: e }));
    if (!res.ok)
        return isConnectorError(res.error) ? res.error : new ConnectorError('internal', String(res.error), { cause: res.error });
    try {
        return { fetched: res.value, ticket: rt.connector.normalize(res.value, rt.loaded.info, rt.loaded.settings) };
    }
    catch (e) {
        return new ConnectorError('invalid_response', `normalize failed: ${e instanceof Error ? e.message : String(e)}`, { retryable: false });
    }
}
/**
 * One evaluation of one ticket (the `tickets` job), under the per-ticket lock held by the caller:
 * re-fetch → drop if older → state from the observation → complete a recorded pending write → engine → audit entry
 * BEFORE writes → write-back (observe: proposed) → state after → scheduled check at `nextCheckAt`.
 */
export async function processTicket(deps, task) {
    const rt = deps.runtimes.get(task.instanceId);
    if (!rt) {
        await deps.schedule.set(task.instanceId, task.ticketId, null);
        return { kind: 'unknown_instance' };
    }
    if (task.deleted)
        return gone(deps, rt, task.ticketId, task.trigger);
    const got = await fetchAndNormalize(rt, task.ticketId);
    if (got instanceof ConnectorError)
        return fetchFailed(deps, rt, task, got);
    const { info } = rt.loaded;
    const now = deps.now();
    await deps.instances.setPsa(info.id, 'ok', new Date(now).toISOString());
    const prev = await deps.tickets.get(info.id, task.ticketId);
    if (task.trigger === 'webhook' && isOlderVersion(got.ticket.version, prev?.version)) {
        deps.log.info({ instance: info.id, ticket: task.ticketId, fetched: got.ticket.version, stored: prev?.version }, 'fetched version is older than stored: dropped');
        return { kind: 'stale' };
    }
    await deps.timelines?.observe(info.id, got.ticket, now, prev?.ticket);
    if (prev?.pending) {
        const done = await completePending({ deps, rt, prev, pending: prev.pending, ...got, now, finalAttempt: task.finalAttempt ?? true });
        if (done.completed) {
            // The recorded decision was completed instead of deciding afresh (SPEC §4); the ticket in hand predates those
            // writes, so a scheduled check right away decides on a fresh read (and schedules the new tier's timers).
            // After a dead letter, the decision's own next check (as a first-attempt dead letter does): an immediate one
            // would re-decide and write again, bypassing the dead letter that waits for an operator.
            const next = done.deadLettered ? prev.pending.decision.nextCheckAt : new Date(now).toISOString();
            await deps.schedule.set(info.id, task.ticketId, next === null ? null : Date.parse(next));
            return { kind: 'evaluated', decision: prev.pending.decision, auditId: prev.pending.auditId };
        }
        return decideAndApply({ deps, rt, task, record: done.record, ...got, now });
    }
    return decideAndApply({ deps, rt, task, record: observeTicket(prev, { instanceId: info.id, ticket: got.ticket, now }), ...got, now });
}
async function decideAndApply(args) {
    const { deps, rt, task, ticket, fetched, now } = args;
    const { info } = rt.loaded;
    const facts = deps.facts(info.id);
    await updateOwnerLoad({ store: deps.counters, facts, info, ticket });
    const counters = await readCounters({ store: deps.counters, facts, instanceId: info.id, ticket, now });
    const decision = deps.engine.evaluate(info.id, ticket, toEngineState(args.record, counters), now);
    deps.metrics?.evaluations.inc({ instance: info.id, trigger: task.trigger });
    const ids = decision.actions.map((a) => actionId(args.record, a));
    const applied = new Set(appliedIdsOf(args.record));
    let record = args.record;
    let auditId;
    let out;
    if (ids.some((id) => !applied.has(id))) {
        auditId = newAuditId(now);
        const entry = {
            id: auditId, at: new Date(now).toISOString(), instanceId: info.id, psa: info.kind, ticketId: task.ticketId,
            mode: info.mode, trigger: task.trigger, decision, results: [],
        };
        // Recorded before the first write: a crash from here on is completed by the next run (pending.ts).
        record = { ...record, pending: { auditId, at: entry.at, trigger: task.trigger, decision, actions: decision.actions, actionIds: ids } };
        await deps.audit.record(entry);
        await deps.tickets.put(record);
        out = await writeBack({ rt, ticket, fetched, decision, ids, alreadyApplied: applied, verify: task.retry, notify: deps.notify });
        const deferred = await deferredWriteFailure(rt, out, task.finalAttempt ?? true);
        if (deferred) {
            await deps.audit.updateResults(auditId, interimRows(out.results));
            deps.log.warn({ instance: info.id, ticket: task.ticketId, code: deferred.code }, 'PSA write failed: the job retries and completes the recorded decision');
            throw deferred;
        }
        await deps.audit.updateResults(auditId, out.results);
    }
    record = applyDecision(record, {
        decision, now, appliedIds: out?.appliedIds ?? [], slaRules: facts.slaRules, trigger: task.trigger, failedRules: failedRules(out),
        ...(out?.reassign ? { reassign: out.reassign } : {}),
    });
    delete record.pending;
    if (out?.reassign) {
        record.nextCheckAt = nextCheckAfterMove({
            engine: deps.engine, instanceId: info.id, record, ticket, decision, reassign: out.reassign, spec: rt.connector.locationKeys, counters, now,
        });
    }
    await deps.tickets.put(record);
    await deps.escalationMetrics?.record({ instanceId: info.id, ticket, decision, ours: record, mode: info.mode, now });
    await deps.schedule.set(info.id, task.ticketId, record.nextCheckAt === null ? null : Date.parse(record.nextCheckAt));
    await afterWrite({ deps, rt, task, decision, out, prev: args.record, auditId });
    return { kind: 'evaluated', decision, ...(auditId ? { auditId } : {}) };
}
/** Rules with an action that went to a dead letter. */
function failedRules(out) {
    return new Set(out?.deadLetter?.actions.map((a) => a.rule) ?? []);
}
/** Counters, dead letters, instance health and metrics once the state is stored. */
async function afterWrite(args) {
    const { deps, rt, task, decision, out } = args;
    const { info } = rt.loaded;
    const move = decision.actions.find((a) => a.type === 'reassign');
    if (out?.reassign && move?.type === 'reassign') {
        await advanceRoundRobin({ store: deps.counters, facts: deps.facts(info.id), instanceId: info.id, ...(move.group ? { group: move.group } : {}), ...(move.owner ? { owner: move.owner } : {}) });
    }
    if (out?.deadLetter) {
        await deps.deadLetters.add({
            instanceId: info.id, ticketId: task.ticketId, kind: out.deadLetter.kind, actions: out.deadLetter.actions,
            error: out.deadLetter.error, ...(args.auditId ? { auditId: args.auditId } : {}),
        });
        deps.metrics?.deadLetters.inc({ instance: info.id, code: out.deadLetter.error.code });
    }
    if (out?.authFailed)
        await deps.instances.setPsa(info.id, 'auth_failed', new Date(deps.now()).toISOString(), 'psa_auth');
    for (const r of decision.reasons) {
        if (r.suppressed)
            continue;
        const tier = move?.type === 'reassign' && move.rule === r.rule ? move.tier : args.prev.tier;
        deps.metrics?.escalations.inc({ instance: info.id, rule: r.rule, kind: r.kind, tier: tier ?? 'none', mode: info.mode });
    }
    const before = args.prev.lastDecision?.clocks;
    for (const name of ['firstResponse', 'resolution']) {
        if (decision.clocks[name]?.breached && !before?.[name]?.breached)
            deps.metrics?.slaBreaches.inc({ instance: info.id, clock: name });
    }
}
//# sourceMappingURL=process-ticket.js.map