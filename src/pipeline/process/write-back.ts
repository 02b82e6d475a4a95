import { isConnectorError } from '../../contract/index.js';
import type {
  Action,
  ActionResult,
  Decision,
  FetchedTicket,
  NoteAction,
  Ticket,
  WritePlan,
} from '../../contract/index.js';
import type { LastReassign } from '../../store/ticket-store.js';

import type { InstanceRuntime } from '../outbound/instance-runtime.js';
import type { NotifyInput } from '../notify/notifiers.js';
import { markerOf } from '../../store/ticket-state.js';
import type { AuditEntry } from '../../store/models.js';
import type { WriteGuard } from './write-guard.js';

export type ResultRow = AuditEntry['results'][number];

export interface WriteBackInput {
  rt: InstanceRuntime;
  ticket: Ticket;
  fetched: FetchedTicket;
  decision: Decision;
  /** Deterministic id per action (same order as `decision.actions`). */
  ids: readonly string[];
  /** Ids applied by earlier evaluations in this visit: reported `skipped`, never repeated. */
  alreadyApplied: ReadonlySet<string>;
  /** An earlier attempt may have written: connectors look for note markers first. */
  verify: boolean;
  notify: (input: NotifyInput) => Promise<void>;
  /**
   * The job's ticket lock, checked before each notifier call (PSA writes are checked by the guarded runtime). A lost
   * lock stops the calls: the next holder completes the pending decision and notifies, so nobody is notified twice.
   */
  guard?: WriteGuard;
  /** @defaultValue the instance mode */
  mode?: 'enforce' | 'observe';
}

export interface WriteBackOutput {
  results: ResultRow[];
  /** Set when our reassign was applied (manual-change detection compares with it). */
  reassign?: LastReassign & { kind?: string };
  appliedIds: string[];
  /** Actions to dead-letter together, with the first failure (docs/spec.md §4 Write-back). */
  deadLetter?: { kind: 'actions' | 'notifier'; actions: Action[]; error: { code: string; message: string } };
  /** 401/403 from the PSA: the instance shows `auth_failed`. */
  authFailed?: boolean;
}

const errorOf = (e: unknown): { code: string; message: string } =>
  isConnectorError(e)
    ? { code: e.code, message: e.message }
    : { code: 'internal', message: e instanceof Error ? e.message : String(e) };

/** The connector's write plan for the PSA actions not applied yet; notes carry their marker. */
function buildPlan(input: WriteBackInput, pending: number[]): { plan: WritePlan; unmapped: Map<number, string> } {
  const { rt, ticket, fetched, decision, ids } = input;
  const { mapping } = rt.loaded.info;
  const plan: WritePlan = { ticketId: ticket.ref.id, current: ticket, fetched, notes: [], verify: input.verify };
  const unmapped = new Map<number, string>();
  for (const i of pending) {
    const a = decision.actions[i]!;
    const id = ids[i]!;
    if (a.type === 'reassign') {
      const identity =
        a.owner === undefined
          ? null
          : (mapping.members[a.owner] ?? (rt.connector.membersRequireMapping ? null : a.owner));
      plan.reassign = {
        actionId: id,
        location: a.location,
        tier: a.tier,
        owner: identity,
        ...(a.owner ? { ownerName: a.owner } : {}),
      };
    } else if (a.type === 'priority') {
      const psaId = mapping.priorities[a.priority]?.[0];
      if (psaId === undefined) unmapped.set(i, `priority ${a.priority} is not mapped in this instance`);
      else plan.priority = { actionId: id, id: psaId, name: a.priority };
    } else if (a.type === 'note') {
      const note = a as NoteAction;
      plan.notes.push({ actionId: id, marker: markerOf(id), visibility: note.visibility, text: note.text });
    }
  }
  return { plan, unmapped };
}

const isPsaAction = (a: Action) => a.type === 'reassign' || a.type === 'priority' || a.type === 'note';

/**
 * Write-back of one decision (docs/spec.md §4): reassign + priority + notes through `connector.applyActions` (one write,
 * read-back, marker-idempotent notes), then notifiers, then tags (state only). Observe mode proposes everything and
 * writes nothing. The first PSA failure dead-letters every action not yet applied, notifiers included.
 */
export async function writeBack(input: WriteBackInput): Promise<WriteBackOutput> {
  const { decision, ids, alreadyApplied } = input;
  const mode = input.mode ?? input.rt.loaded.info.mode;
  const rows: ResultRow[] = decision.actions.map((a, i) => ({ action: a.type, actionId: ids[i]!, status: 'skipped' }));
  const fresh = decision.actions.map((_, i) => i).filter((i) => !alreadyApplied.has(ids[i]!));
  if (mode === 'observe') {
    for (const i of fresh) rows[i]!.status = 'proposed';
    return { results: rows, appliedIds: fresh.map((i) => ids[i]!) };
  }
  const out: WriteBackOutput = { results: rows, appliedIds: [] };
  const psa = fresh.filter((i) => isPsaAction(decision.actions[i]!));
  const failed = psa.length > 0 ? await applyPsa(input, psa, out) : undefined;
  if (failed) {
    const done = new Set(out.appliedIds);
    const remaining = fresh.filter((i) => !done.has(ids[i]!) && rows[i]!.error?.code !== 'unmapped');
    for (const i of remaining) rows[i]!.status = 'dead_letter';
    rows[failed.index]!.error = failed.error;
    out.deadLetter = { kind: 'actions', actions: remaining.map((i) => decision.actions[i]!), error: failed.error };
    return out;
  }
  await applyLocal(input, fresh, out);
  return out;
}

/** Calls the connector; returns the first failure (index + error) or undefined. */
async function applyPsa(
  input: WriteBackInput,
  psa: number[],
  out: WriteBackOutput,
): Promise<{ index: number; error: { code: string; message: string } } | undefined> {
  const { rt, decision, ids } = input;
  const { plan, unmapped } = buildPlan(input, psa);
  for (const [i, message] of unmapped)
    out.results[i] = { ...out.results[i]!, status: 'skipped', error: { code: 'unmapped', message } };
  let results: ActionResult[];
  try {
    results =
      plan.reassign || plan.priority || plan.notes.length > 0 ? await rt.connector.applyActions(rt.ctx, plan) : [];
  } catch (e) {
    const error = errorOf(e);
    if (error.code === 'psa_auth') out.authFailed = true;
    return { index: psa[0]!, error };
  }
  const byId = new Map(results.map((r) => [r.actionId, r]));
  let failure: { index: number; error: { code: string; message: string } } | undefined;
  for (const i of psa) {
    if (unmapped.has(i)) continue;
    const r = byId.get(ids[i]!);
    const row = out.results[i]!;
    if (!r) continue; // not reported: treated as not applied (dead-lettered if anything failed)
    row.status = r.status;
    if (r.error) row.error = r.error;
    if (r.status === 'failed') {
      if (r.error?.code === 'psa_auth') out.authFailed = true;
      failure ??= { index: i, error: r.error ?? { code: 'internal', message: 'write failed' } };
      continue;
    }
    out.appliedIds.push(ids[i]!);
    const a = decision.actions[i]!;
    if (a.type === 'reassign' && r.status === 'applied') {
      const identity = a.owner === undefined ? undefined : plan.reassign?.owner;
      out.reassign = {
        rule: a.rule,
        at: rt.ctx.clock.now().toISOString(),
        tier: a.tier,
        location: a.location,
        ...(a.owner !== undefined && identity !== null ? { owner: a.owner, ownerIdentity: identity } : {}),
        ...(kindOf(decision, a.rule) ? { kind: kindOf(decision, a.rule)! } : {}),
      };
    }
  }
  return failure;
}

const kindOf = (decision: Decision, rule: string): string | undefined =>
  decision.reasons.find((r) => r.rule === rule)?.kind;

/** Notifiers (each at most once per evaluation) and tags (state only). */
async function applyLocal(input: WriteBackInput, fresh: number[], out: WriteBackOutput): Promise<void> {
  const { decision, ids } = input;
  for (const i of fresh) {
    const a = decision.actions[i]!;
    const row = out.results[i]!;
    if (a.type === 'tag') {
      row.status = 'applied';
      out.appliedIds.push(ids[i]!);
    } else if (a.type === 'notify') {
      // Lock lost (e.g. after the PSA writes): left to whoever completes the pending decision; the caller sees guard.lost.
      if (input.guard && !(await input.guard.check())) return;
      try {
        await input.notify({
          notifier: a.notifier,
          instanceId: input.rt.loaded.info.id,
          rule: a.rule,
          ticket: input.ticket,
          decision,
        });
        row.status = 'applied';
        out.appliedIds.push(ids[i]!);
      } catch (e) {
        row.status = 'dead_letter';
        row.error = errorOf(e);
        out.deadLetter ??= { kind: 'notifier', actions: [], error: row.error };
        out.deadLetter.actions.push(a);
      }
    }
  }
}
