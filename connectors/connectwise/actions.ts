import { ConnectorError } from '../../src/contract/index.js';
import type { ActionResult, NoteWrite, WritePlan } from '../../src/contract/index.js';

import { cwRequest, toConnectorError } from './client.js';
import type { CwContext } from './client.js';
import { priorityId, statusForMove } from './lookups.js';
import { idString } from './mapping.js';
import { isOurNote, markerText, parseNote, withMarker } from './notes.js';
import { parseTicket } from './normalize.js';
import { buildPatch, memberTarget, noteBody, notApplied } from './patch.js';
import type { WriteTarget } from './patch.js';
import { readAllNotes, readTicket } from './read.js';

/**
 * docs/spec.md §4 write-back: reassign + priority in one JSON-Patch write with only the fields that differ → read-back (the
 * documented false 200) → notes, each carrying its marker so a retried job never posts it twice. The first failure
 * stops the sequence: the remaining actions come back failed with the same code, to be dead-lettered together.
 */

type Failure = { code: string; message: string };
const failure = (e: ConnectorError): Failure => ({ code: e.code, message: e.message });

async function resolveTarget(ctx: CwContext, plan: WritePlan): Promise<WriteTarget> {
  const current = parseTicket(plan.fetched.ticket);
  const target: WriteTarget = {};
  const r = plan.reassign;
  if (r) {
    const board = r.location['board'];
    const team = r.location['team'];
    if (board !== undefined) {
      if (idString(board) === undefined) throw new ConnectorError('validation', `mapping board must be an id, got ${JSON.stringify(board)}`, { retryable: false });
      target.board = Number(idString(board));
    }
    if (team !== undefined) {
      if (idString(team) === undefined) throw new ConnectorError('validation', `mapping team must be an id, got ${JSON.stringify(team)}`, { retryable: false });
      target.team = Number(idString(team));
    }
    const boardChanges = target.board !== undefined && idString(current.board?.id) !== String(target.board);
    if (boardChanges && target.board !== undefined) {
      // Status and team are board-scoped: a move sends a status valid on the new board and drops a team it lacks.
      const status = await statusForMove(ctx, target.board, current.status?.name ?? undefined);
      if (status !== undefined) target.status = status;
      if (team === undefined) target.team = null;
    }
    const owner = memberTarget(r.owner);
    if (owner) target.owner = owner;
  }
  if (plan.priority) target.priority = await priorityId(ctx, plan.priority.id);
  return target;
}

const reassignFields: (keyof WriteTarget)[] = ['board', 'status', 'team', 'owner'];

/**
 * Results for the reassign and priority actions of one write: `failedFields` (from the read-back) fails only the
 * action owning a field that did not take; without it, `status` applies to both.
 */
function writeResults(plan: WritePlan, status: ActionResult['status'], error?: Failure, failedFields?: (keyof WriteTarget)[]): ActionResult[] {
  const out: ActionResult[] = [];
  const isFailed = (fields: (keyof WriteTarget)[]) => (failedFields === undefined ? status === 'failed' : fields.some((f) => failedFields.includes(f)));
  for (const [action, id, fields] of [
    ['reassign', plan.reassign?.actionId, reassignFields],
    ['priority', plan.priority?.actionId, ['priority']],
  ] as const) {
    if (id === undefined) continue;
    const bad = isFailed([...fields]);
    out.push(row(id, action, bad ? 'failed' : status, bad ? error : undefined));
  }
  return out;
}

/** The reassign + priority write, then its read-back. */
async function writeTicket(ctx: CwContext, plan: WritePlan): Promise<{ results: ActionResult[]; failed?: Failure }> {
  if (!plan.reassign && !plan.priority) return { results: [] };
  try {
    const target = await resolveTarget(ctx, plan);
    const ops = buildPatch(parseTicket(plan.fetched.ticket), target);
    if (ops.length === 0) return { results: writeResults(plan, 'skipped') };
    await cwRequest(ctx, { method: 'PATCH', path: `/service/tickets/${plan.ticketId}`, json: ops, idempotent: true });
    const missing = notApplied(parseTicket(await readTicket(ctx, plan.ticketId)), target);
    if (missing.length === 0) return { results: writeResults(plan, 'applied') };
    const e = new ConnectorError('write_not_applied', `ConnectWise answered 200 but the ticket does not show: ${missing.join(', ')}`, {
      retryable: true,
      details: { fields: missing },
    });
    ctx.log.warn({ instance: ctx.instance.id, ticketId: plan.ticketId, fields: missing }, 'ConnectWise write did not take (false 200)');
    return { results: writeResults(plan, 'applied', failure(e), missing), failed: failure(e) };
  } catch (e) {
    const f = failure(toConnectorError(e));
    return { results: writeResults(plan, 'failed', f), failed: f };
  }
}

function row(actionId: string, action: ActionResult['action'], status: ActionResult['status'], error?: Failure, remoteId?: string): ActionResult {
  return { actionId, action, status, ...(status === 'failed' && error ? { error } : {}), ...(remoteId ? { remoteId } : {}) };
}

/** The id of a note of ours (our API member wrote it) carrying `marker`, if any (fresh read of every page, newest first). */
async function findMarker(ctx: CwContext, ticketId: string, marker: string): Promise<string | undefined> {
  const tag = markerText(marker);
  const me = ctx.settings.connection.apiMember;
  const hit = (await readAllNotes(ctx, ticketId)).map(parseNote).find((n) => (n.text ?? '').includes(tag) && isOurNote(n, me));
  return hit ? (idString(hit.id) ?? 'unknown') : undefined;
}

const ambiguous = new Set(['timeout', 'network', 'psa_unavailable']);

async function postNote(ctx: CwContext, plan: WritePlan, note: NoteWrite): Promise<ActionResult> {
  if (plan.verify) {
    const existing = await findMarker(ctx, plan.ticketId, note.marker);
    if (existing) return row(note.actionId, 'note', 'skipped', undefined, existing);
  }
  const body = noteBody(withMarker(note.text, note.marker), note.visibility);
  try {
    const res = await cwRequest<{ id?: unknown }>(ctx, { method: 'POST', path: `/service/tickets/${plan.ticketId}/notes`, json: body });
    return row(note.actionId, 'note', 'applied', undefined, idString(res.data?.id));
  } catch (e) {
    const error = toConnectorError(e);
    if (!ambiguous.has(error.code)) throw error;
    // The note may have been created before the answer was lost: look for its marker before reporting a failure.
    const existing = await findMarker(ctx, plan.ticketId, note.marker).catch(() => undefined);
    if (existing) return row(note.actionId, 'note', 'applied', undefined, existing);
    throw error;
  }
}

/** Applies one decision's writes in docs/spec.md §4 order; one `ActionResult` per action. */
export async function applyActions(ctx: CwContext, plan: WritePlan): Promise<ActionResult[]> {
  const { results, failed: writeFailure } = await writeTicket(ctx, plan);
  let failed = writeFailure;
  for (const note of plan.notes) {
    if (failed) {
      results.push(row(note.actionId, 'note', 'failed', { code: failed.code, message: `not attempted after an earlier failure: ${failed.message}` }));
      continue;
    }
    try {
      results.push(await postNote(ctx, plan, note));
    } catch (e) {
      failed = failure(toConnectorError(e));
      results.push(row(note.actionId, 'note', 'failed', failed));
    }
  }
  return results;
}
