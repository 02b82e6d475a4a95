import { ConnectorError, carriesMarker, toConnectorError } from '../../src/contract/index.js';
import type { ActionResult, NoteWrite, WritePlan } from '../../src/contract/index.js';

import { atRequest } from './client.js';
import type { AtContext } from './client.js';
import { idString, picklistValue } from './mapping.js';
import type { PicklistMap } from './mapping.js';
import { isOurNote, noteDescription, noteKind, noteTitle } from './notes.js';
import { getAllNotes, getTicket } from './read.js';
import type { AutotaskLookups } from './read.js';
import { itemIdSchema, memberSchema } from './schemas.js';

type Fields = Record<string, number>;
type Planned = { result: ActionResult; fields: string[] };

const failure = (e: ConnectorError) => ({ code: e.code, message: e.message });

/** Current value of a ticket field as a string id (case-insensitive key). */
function current(ticket: unknown, field: string): string | undefined {
  if (typeof ticket !== 'object' || ticket === null) return undefined;
  const key = Object.keys(ticket).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : idString((ticket as Record<string, unknown>)[key]);
}

/**
 * The reassign part of the PATCH: `queueID`, and `assignedResourceID` **with** `assignedResourceRoleID` (Autotask
 * refuses one without the other, autotask.md §5.3). Only fields that differ from the re-read ticket are sent.
 */
function planReassign(plan: WritePlan, body: Fields): Planned | ConnectorError | undefined {
  const r = plan.reassign;
  if (!r) return undefined;
  const t = plan.fetched.ticket;
  const fields: string[] = [];
  const queue = idString(
    r.location['queueID'] ?? Object.entries(r.location).find(([k]) => k.toLowerCase() === 'queueid')?.[1],
  );
  if (queue === undefined)
    return new ConnectorError('validation', 'reassign target has no queueID', { retryable: false });
  if (current(t, 'queueID') !== queue) body.queueID = Number(queue);
  if (r.owner !== null && r.owner !== undefined) {
    const m = memberSchema.safeParse(r.owner);
    if (!m.success)
      return new ConnectorError('validation', 'member mapping is not {resourceID, roleID}', { retryable: false });
    if (
      current(t, 'assignedResourceID') !== String(m.data.resourceID) ||
      current(t, 'assignedResourceRoleID') !== String(m.data.roleID)
    ) {
      body.assignedResourceID = m.data.resourceID;
      body.assignedResourceRoleID = m.data.roleID;
    }
  }
  fields.push(...Object.keys(body).filter((k) => k !== 'id'));
  return {
    result: { actionId: r.actionId, action: 'reassign', status: fields.length > 0 ? 'applied' : 'skipped' },
    fields,
  };
}

function planPriority(
  plan: WritePlan,
  body: Fields,
  picklists: PicklistMap | undefined,
): Planned | ConnectorError | undefined {
  const p = plan.priority;
  if (!p) return undefined;
  const value = picklistValue(picklists, 'priority', p.id);
  if (value === undefined)
    return new ConnectorError('validation', `priority "${String(p.id)}" is not in the Autotask picklist`, {
      retryable: false,
    });
  if (current(plan.fetched.ticket, 'priority') === String(value))
    return { result: { actionId: p.actionId, action: 'priority', status: 'skipped' }, fields: [] };
  body.priority = value;
  return { result: { actionId: p.actionId, action: 'priority', status: 'applied' }, fields: ['priority'] };
}

/** PATCH, then read the ticket back: a 200 that changed nothing (or not everything) is `write_not_applied`. */
async function writeAndVerify(
  ctx: AtContext,
  ticketId: string,
  body: Fields,
  planned: Planned[],
): Promise<ConnectorError | undefined> {
  try {
    // Absolute values: repeating the PATCH after an ambiguous failure is safe.
    await atRequest(ctx, { method: 'PATCH', path: '/Tickets', json: body, idempotent: true });
    const after = await getTicket(ctx, ticketId);
    let firstMiss: ConnectorError | undefined;
    for (const p of planned) {
      const missed = p.fields.filter((f) => current(after, f) !== String(body[f]));
      if (missed.length === 0) continue;
      const e = new ConnectorError(
        'write_not_applied',
        `Autotask accepted the update but ${missed.join(', ')} did not change`,
        {
          retryable: true,
          details: { fields: missed },
        },
      );
      p.result.status = 'failed';
      p.result.error = failure(e);
      firstMiss ??= e;
    }
    return firstMiss;
  } catch (e) {
    const ce = toConnectorError(e);
    for (const p of planned) if (p.fields.length > 0) Object.assign(p.result, { status: 'failed', error: failure(ce) });
    return ce;
  }
}

async function postNote(ctx: AtContext, plan: WritePlan, note: NoteWrite, lk: AutotaskLookups): Promise<ActionResult> {
  const kind = noteKind(note.visibility, ctx.settings, lk.notePicklists as PicklistMap | undefined);
  const res = await atRequest(ctx, {
    method: 'POST',
    path: `/Tickets/${plan.ticketId}/Notes`,
    // Never blind-retried: Autotask has no idempotency keys, a repeated POST is a second note (pitfall 12).
    idempotent: false,
    json: {
      ticketID: Number(plan.ticketId),
      title: noteTitle(note.text, note.marker, note.visibility),
      description: noteDescription(note.text, note.marker),
      noteType: kind.noteType,
      publish: kind.publish,
    },
  });
  const id = itemIdSchema.safeParse(res.data);
  const result: ActionResult = { actionId: note.actionId, action: 'note', status: 'applied' };
  if (id.success) result.remoteId = String(id.data.itemId);
  return result;
}

/**
 * Markers already on the ticket in notes our API user wrote (a retry after an ambiguous failure must not post a
 * second note; a marker a contact typed or quoted proves nothing): every page.
 */
async function existingMarkers(ctx: AtContext, plan: WritePlan, me: number | undefined): Promise<string> {
  const notes = await getAllNotes(ctx, plan.ticketId);
  return notes
    .map((n) =>
      typeof n === 'object' && n !== null
        ? `${String((n as { title?: unknown }).title ?? '')}\n${String((n as { description?: unknown }).description ?? '')}`
        : '',
    )
    .filter((text, i) => isOurNote(text, notes[i], me))
    .join('\n');
}

async function applyNotes(
  ctx: AtContext,
  plan: WritePlan,
  lk: AutotaskLookups,
  blocked: ConnectorError | undefined,
): Promise<ActionResult[]> {
  const out: ActionResult[] = [];
  let stop = blocked;
  let seen: string | undefined;
  for (const note of plan.notes) {
    if (stop) {
      out.push({
        actionId: note.actionId,
        action: 'note',
        status: 'failed',
        error: { code: stop.code, message: `not attempted: ${stop.message}` },
      });
      continue;
    }
    try {
      if (plan.verify) seen ??= await existingMarkers(ctx, plan, lk.apiResourceId);
      if (seen !== undefined && carriesMarker(seen, note.marker)) {
        out.push({ actionId: note.actionId, action: 'note', status: 'skipped' });
        continue;
      }
      out.push(await postNote(ctx, plan, note, lk));
    } catch (e) {
      stop = toConnectorError(e);
      out.push({ actionId: note.actionId, action: 'note', status: 'failed', error: failure(stop) });
    }
  }
  return out;
}

/**
 * docs/spec.md §4 write-back: reassign + priority in one `PATCH /Tickets` carrying only what differs, read-back, then the
 * notes (`POST /Tickets/{id}/Notes`, marker in title and text). The first failure stops the rest: the remaining
 * actions are reported failed together so the pipeline dead-letters them as one.
 */
export async function applyActions(ctx: AtContext, plan: WritePlan): Promise<ActionResult[]> {
  const lk: AutotaskLookups = (plan.fetched.lookups ?? {}) as AutotaskLookups;
  const body: Fields = { id: Number(plan.ticketId) };
  const results: ActionResult[] = [];
  const planned: Planned[] = [];
  let blocked: ConnectorError | undefined;
  const steps: [
    WritePlan['reassign'] | WritePlan['priority'],
    () => Planned | ConnectorError | undefined,
    'reassign' | 'priority',
  ][] = [
    [plan.reassign, () => planReassign(plan, body), 'reassign'],
    [plan.priority, () => planPriority(plan, body, lk.picklists as PicklistMap | undefined), 'priority'],
  ];
  for (const [action, build, name] of steps) {
    const p = build();
    if (p instanceof ConnectorError) {
      blocked ??= p;
      results.push({ actionId: action!.actionId, action: name, status: 'failed', error: failure(p) });
    } else if (p) {
      planned.push(p);
      results.push(p.result);
    }
  }
  if (!blocked && planned.some((p) => p.fields.length > 0)) {
    blocked = await writeAndVerify(ctx, plan.ticketId, body, planned);
  } else if (blocked) {
    for (const p of planned)
      if (p.fields.length > 0)
        Object.assign(p.result, {
          status: 'failed',
          error: { code: blocked.code, message: `not attempted: ${blocked.message}` },
        });
  }
  return [...results, ...(await applyNotes(ctx, plan, lk, blocked))];
}
