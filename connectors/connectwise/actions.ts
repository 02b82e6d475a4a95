import { ConnectorError, markerText, toConnectorError, withMarker } from '../../src/contract/index.js';
import type { ActionResult, NoteWrite, WritePlan } from '../../src/contract/index.js';

import { cwRequest } from './client.js';
import type { CwContext } from './client.js';
import { priorityId, statusForMove } from './lookups.js';
import { idString } from './mapping.js';
import { isOurNote, parseNote } from './notes.js';
import { parseTicket } from './normalize.js';
import { readAllNotes, readTicket } from './read.js';
import type { CwTicket } from './schemas.js';

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
      if (idString(board) === undefined)
        throw new ConnectorError('validation', `mapping board must be an id, got ${JSON.stringify(board)}`, {
          retryable: false,
        });
      target.board = Number(idString(board));
    }
    if (team !== undefined) {
      if (idString(team) === undefined)
        throw new ConnectorError('validation', `mapping team must be an id, got ${JSON.stringify(team)}`, {
          retryable: false,
        });
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
function writeResults(
  plan: WritePlan,
  status: ActionResult['status'],
  error?: Failure,
  failedFields?: (keyof WriteTarget)[],
): ActionResult[] {
  const out: ActionResult[] = [];
  const isFailed = (fields: (keyof WriteTarget)[]) =>
    failedFields === undefined ? status === 'failed' : fields.some((f) => failedFields.includes(f));
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
    const e = new ConnectorError(
      'write_not_applied',
      `ConnectWise answered 200 but the ticket does not show: ${missing.join(', ')}`,
      {
        retryable: true,
        details: { fields: missing },
      },
    );
    ctx.log.warn(
      { instance: ctx.instance.id, ticketId: plan.ticketId, fields: missing },
      'ConnectWise write did not take (false 200)',
    );
    return { results: writeResults(plan, 'applied', failure(e), missing), failed: failure(e) };
  } catch (e) {
    const f = failure(toConnectorError(e));
    return { results: writeResults(plan, 'failed', f), failed: f };
  }
}

function row(
  actionId: string,
  action: ActionResult['action'],
  status: ActionResult['status'],
  error?: Failure,
  remoteId?: string,
): ActionResult {
  return {
    actionId,
    action,
    status,
    ...(status === 'failed' && error ? { error } : {}),
    ...(remoteId ? { remoteId } : {}),
  };
}

/** The id of a note of ours (our API member wrote it) carrying `marker`, if any (fresh read of every page, newest first). */
async function findMarker(ctx: CwContext, ticketId: string, marker: string): Promise<string | undefined> {
  const tag = markerText(marker);
  const me = ctx.settings.connection.apiMember;
  const hit = (await readAllNotes(ctx, ticketId))
    .map(parseNote)
    .find((n) => (n.text ?? '').includes(tag) && isOurNote(n, me));
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
    const res = await cwRequest<{ id?: unknown }>(ctx, {
      method: 'POST',
      path: `/service/tickets/${plan.ticketId}/notes`,
      json: body,
    });
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
      results.push(
        row(note.actionId, 'note', 'failed', {
          code: failed.code,
          message: `not attempted after an earlier failure: ${failed.message}`,
        }),
      );
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

// ------------------------------------------------------------------ the JSON-Patch body (pure)

/**
 * Pure JSON-Patch building for ticket writes (connectwise.md §4.4): one array, whole reference objects replaced
 * (`{"op":"replace","path":"owner","value":{"identifier":"…"}}`, never `owner/identifier`, which gives a false 200),
 * lower-camel paths, and only the fields that differ from the ticket as just re-read.
 */
export interface PatchOperation {
  op: 'replace' | 'remove';
  path: 'board' | 'status' | 'team' | 'owner' | 'priority';
  value?: { id: number } | { identifier: string };
}

/** A member reference as a write sends it: by identifier (what `mapping.members` holds) or by numeric id. */
export type MemberTarget = { identifier: string } | { id: number };

/** What the ticket should look like after the write; absent keys are left alone. */
export interface WriteTarget {
  board?: number;
  /** `null`: the ticket leaves its team (a move to a board location without a team: teams are board-scoped). */
  team?: number | null;
  status?: number;
  owner?: MemberTarget;
  priority?: number;
}

/** The owner value of a plan (`mapping.members` entry or member name): identifier string, numeric id or an object. */
export function memberTarget(owner: unknown): MemberTarget | undefined {
  if (typeof owner === 'string' && owner.trim() !== '') return { identifier: owner.trim() };
  if (typeof owner === 'number' && Number.isInteger(owner) && owner > 0) return { id: owner };
  if (typeof owner === 'object' && owner !== null) {
    const o = owner as { identifier?: unknown; id?: unknown };
    if (typeof o.identifier === 'string' && o.identifier.trim() !== '') return { identifier: o.identifier.trim() };
    const id = idString(o.id);
    if (id !== undefined) return { id: Number(id) };
  }
  return undefined;
}

function ownerIs(current: CwTicket, owner: MemberTarget): boolean {
  if ('identifier' in owner) return current.owner?.identifier?.toLowerCase() === owner.identifier.toLowerCase();
  return idString(current.owner?.id) === String(owner.id);
}

const refId = (r: { id?: unknown } | null | undefined): number | undefined => {
  const id = idString(r?.id);
  return id === undefined ? undefined : Number(id);
};

/** The operations that move `current` to `target`, in a stable order (board before its board-scoped fields). */
export function buildPatch(current: CwTicket, target: WriteTarget): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (target.board !== undefined && refId(current.board) !== target.board)
    ops.push({ op: 'replace', path: 'board', value: { id: target.board } });
  if (target.status !== undefined && refId(current.status) !== target.status)
    ops.push({ op: 'replace', path: 'status', value: { id: target.status } });
  if (target.team === null) {
    if (refId(current.team) !== undefined) ops.push({ op: 'remove', path: 'team' });
  } else if (target.team !== undefined && refId(current.team) !== target.team) {
    ops.push({ op: 'replace', path: 'team', value: { id: target.team } });
  }
  if (target.owner !== undefined && !ownerIs(current, target.owner))
    ops.push({ op: 'replace', path: 'owner', value: target.owner });
  if (target.priority !== undefined && refId(current.priority) !== target.priority)
    ops.push({ op: 'replace', path: 'priority', value: { id: target.priority } });
  return ops;
}

/** Fields of `target` that the re-read ticket does not show (the documented false 200). */
export function notApplied(readBack: CwTicket, target: WriteTarget): (keyof WriteTarget)[] {
  const missing: (keyof WriteTarget)[] = [];
  if (target.board !== undefined && refId(readBack.board) !== target.board) missing.push('board');
  if (target.status !== undefined && refId(readBack.status) !== target.status) missing.push('status');
  if (
    target.team === null
      ? refId(readBack.team) !== undefined
      : target.team !== undefined && refId(readBack.team) !== target.team
  )
    missing.push('team');
  if (target.owner !== undefined && !ownerIs(readBack, target.owner)) missing.push('owner');
  if (target.priority !== undefined && refId(readBack.priority) !== target.priority) missing.push('priority');
  return missing;
}

export interface NoteBody {
  text: string;
  detailDescriptionFlag: boolean;
  internalAnalysisFlag: boolean;
  resolutionFlag: boolean;
  processNotifications: boolean;
}

/**
 * `POST /service/tickets/{id}/notes` body (connectwise.md §4.5): exactly one tab flag. Internal handoff notes go to the
 * Internal tab without notification processing; customer notes go to Discussion and let the board's
 * notification rules email the contact.
 */
export function noteBody(text: string, visibility: 'internal' | 'customer'): NoteBody {
  const internal = visibility === 'internal';
  return {
    text,
    detailDescriptionFlag: !internal,
    internalAnalysisFlag: internal,
    resolutionFlag: false,
    processNotifications: !internal,
  };
}
