import { ConnectorError, carriesMarker, toConnectorError } from '../../src/contract/index.js';
import type { ActionResult, IdOrName, NoteWrite, WritePlan } from '../../src/contract/index.js';

import { haloRequest } from './client.js';
import type { HaloContext } from './client.js';
import { optional, ownAgentId, priorities, statuses, teams } from './lookups.js';
import type { NamedId, PriorityRow } from './lookups.js';
import { actionText, isOurs } from './notes.js';
import { memberSchema } from './schemas.js';
import { actionPages, getTicket, ticketNumber } from './read.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const failed = (actionId: string, action: ActionResult['action'], e: ConnectorError): ActionResult => ({
  actionId,
  action,
  status: 'failed',
  error: { code: e.code, message: e.message },
});
const notAttempted = (actionId: string, action: ActionResult['action'], first: ConnectorError): ActionResult => ({
  actionId,
  action,
  status: 'failed',
  error: { code: first.code, message: `not attempted: an earlier write failed (${first.message})` },
});

/** Canonical team name for the target (pitfall 1: a name, written in the tenant's spelling; map refreshed once). */
async function targetTeam(ctx: HaloContext, want: string): Promise<string> {
  let list = await optional(ctx, 'teams', () => teams(ctx));
  let name = list ? resolveTeam(want, list) : want;
  if (list && name === undefined) {
    list = await optional(ctx, 'teams', () => teams(ctx, true));
    name = list ? resolveTeam(want, list) : want;
  }
  if (name === undefined)
    throw new ConnectorError('validation', `Halo has no team named ${JSON.stringify(want)}`, { retryable: false });
  return name;
}

type Field = keyof TicketUpdate;

/** Reassign fields that differ from the re-read ticket: team, agent, and the optional status on move. */
async function reassignFields(
  ctx: HaloContext,
  reassign: NonNullable<WritePlan['reassign']>,
  raw: Obj,
  body: TicketUpdate,
): Promise<Field[]> {
  const fields: Field[] = [];
  const want = reassign.location.team;
  if (want !== undefined) {
    const name = await targetTeam(ctx, String(want));
    if (
      String(raw.team ?? '')
        .trim()
        .toLowerCase() !== name.trim().toLowerCase()
    ) {
      body.team = name;
      fields.push('team');
    }
  }
  if (reassign.owner !== null && reassign.owner !== undefined) {
    const member = memberSchema.safeParse(reassign.owner);
    if (!member.success)
      throw new ConnectorError('validation', 'mapping.members entry is not {agent_id}', { retryable: false });
    if (intField(raw.agent_id) !== member.data.agent_id) {
      body.agent_id = member.data.agent_id;
      fields.push('agent_id');
    }
  }
  const onMove = ctx.settings.mapping.statusOnMove;
  if (body.team !== undefined && onMove !== undefined) {
    const statusId = resolveStatus(onMove, await optional(ctx, 'statuses', () => statuses(ctx)));
    if (statusId === undefined)
      ctx.log.warn({ statusOnMove: onMove }, 'Halo statusOnMove names no known status; status left alone');
    else if (intField(raw.status_id) !== statusId) {
      body.status_id = statusId;
      fields.push('status_id');
    }
  }
  return fields;
}

/** `priority_id` when it differs (a name is looked up within the ticket's SLA, pitfall 7). */
async function priorityFields(
  ctx: HaloContext,
  priority: NonNullable<WritePlan['priority']>,
  raw: Obj,
  body: TicketUpdate,
): Promise<Field[]> {
  const list = typeof priority.id === 'number' ? undefined : await optional(ctx, 'priorities', () => priorities(ctx));
  const pid = resolvePriority(priority.id, list, intField(raw.sla_id));
  if (pid === undefined)
    throw new ConnectorError('validation', `Halo has no priority ${JSON.stringify(priority.id)}`, { retryable: false });
  if (intField(raw.priority_id) === pid) return [];
  body.priority_id = pid;
  return ['priority_id'];
}

/** The ticket fields reassign and priority need, only those that differ from the re-read ticket (docs/spec.md §4). */
async function planUpdate(
  ctx: HaloContext,
  plan: WritePlan,
  id: number,
  raw: Obj,
): Promise<{ body: TicketUpdate; reassign: Field[]; priority: Field[] }> {
  const body: TicketUpdate = { id };
  const reassign = plan.reassign ? await reassignFields(ctx, plan.reassign, raw, body) : [];
  const priority = plan.priority ? await priorityFields(ctx, plan.priority, raw, body) : [];
  return { body, reassign, priority };
}

/** Reassign + priority in one `POST /api/Tickets` (Halo has no PATCH), then a read-back (halo.md §4.4). */
async function writeTicket(
  ctx: HaloContext,
  plan: WritePlan,
  id: number,
): Promise<{ results: ActionResult[]; failure?: ConnectorError }> {
  const raw = isObj(plan.fetched.ticket) ? plan.fetched.ticket : {};
  const entries: { actionId: string; action: 'reassign' | 'priority' }[] = [];
  if (plan.reassign) entries.push({ actionId: plan.reassign.actionId, action: 'reassign' });
  if (plan.priority) entries.push({ actionId: plan.priority.actionId, action: 'priority' });
  let planned: Awaited<ReturnType<typeof planUpdate>>;
  try {
    planned = await planUpdate(ctx, plan, id, raw);
  } catch (e) {
    const error = toConnectorError(e);
    return { results: entries.map((x) => failed(x.actionId, x.action, error)), failure: error };
  }
  const fieldsOf = (a: 'reassign' | 'priority') => (a === 'reassign' ? planned.reassign : planned.priority);
  if (planned.reassign.length + planned.priority.length === 0) {
    return { results: entries.map((x) => ({ actionId: x.actionId, action: x.action, status: 'skipped' as const })) };
  }
  try {
    const missed = await postAndReadBack(ctx, id, planned.body);
    const results = entries.map((x): ActionResult => {
      const mine = fieldsOf(x.action);
      if (mine.length === 0) return { actionId: x.actionId, action: x.action, status: 'skipped' };
      const lost = mine.filter((f) => missed.includes(f));
      if (lost.length === 0) return { actionId: x.actionId, action: x.action, status: 'applied', remoteId: String(id) };
      return failed(
        x.actionId,
        x.action,
        new ConnectorError(
          'write_not_applied',
          `Halo accepted the update but ${lost.join(', ')} did not change (read-back)`,
        ),
      );
    });
    const bad = results.find((r) => r.status === 'failed');
    return bad ? { results, failure: new ConnectorError('write_not_applied', bad.error!.message) } : { results };
  } catch (e) {
    const error = toConnectorError(e);
    return {
      results: entries.map((x) =>
        fieldsOf(x.action).length === 0
          ? { actionId: x.actionId, action: x.action, status: 'skipped' as const }
          : failed(x.actionId, x.action, error),
      ),
      failure: error,
    };
  }
}

/** One `POST /api/Tickets [{id, …}]`, then a re-read: returns the fields that did not take. */
async function postAndReadBack(ctx: HaloContext, id: number, body: TicketUpdate): Promise<Field[]> {
  // Absolute values on an existing id: safe to repeat after an ambiguous failure.
  const res = await haloRequest(ctx, {
    method: 'POST',
    path: '/Tickets',
    json: assertUpdateBody(body),
    idempotent: true,
  });
  const echoed = Array.isArray(res.data) ? (res.data[0] as unknown) : res.data;
  const echoedId = isObj(echoed) ? intField(echoed.id) : undefined;
  if (echoedId !== undefined && echoedId !== id) {
    throw new ConnectorError('write_not_applied', `Halo answered the update of ticket ${id} with ticket ${echoedId}`, {
      retryable: false,
    });
  }
  const missed = fieldsNotApplied(body, await getTicket(ctx, id));
  if (missed.includes('team')) await optional(ctx, 'teams', () => teams(ctx, true)); // pitfall 1: the map may be stale
  return missed;
}

const AMBIGUOUS = new Set(['timeout', 'network', 'psa_unavailable']);

/**
 * The id of a note of ours (our agent wrote it) carrying `marker`: a marker an end user typed proves nothing. Scans
 * every page of the ticket's actions (docs/psa/halo.md §5.1), stopping at the page that has it; a ticket too long to
 * read fails (`invalid_response`), so no note is posted after a partial scan.
 */
async function markerPresent(ctx: HaloContext, id: number, marker: string): Promise<string | undefined> {
  const me = await optional(ctx, 'agent-me', () => ownAgentId(ctx));
  for await (const page of actionPages(ctx, id, { excludesys: true })) {
    const found = page.find((a) => {
      const text = actionText(a);
      return carriesMarker(text, marker) && isOurs(a, text, me);
    });
    if (found) return String(found.id ?? '');
  }
  return undefined;
}

/** One note: skipped when its marker is already there (`verify`), checked by marker after an ambiguous failure. */
async function writeNote(ctx: HaloContext, plan: WritePlan, id: number, note: NoteWrite): Promise<ActionResult> {
  const base = { actionId: note.actionId, action: 'note' as const };
  try {
    if (plan.verify) {
      const existing = await markerPresent(ctx, id, note.marker);
      if (existing !== undefined) return { ...base, status: 'skipped', ...(existing ? { remoteId: existing } : {}) };
    }
    const internal = note.visibility === 'internal';
    const outcome =
      (internal ? ctx.settings.notes.internal?.outcome : ctx.settings.notes.customer?.outcome) ??
      (internal ? 'Private Note' : 'Email User');
    const json = buildNote({ ticketId: id, outcome, text: note.text, marker: note.marker, internal });
    let created: string | undefined;
    try {
      const res = await haloRequest(ctx, { method: 'POST', path: '/Actions', json, idempotent: false });
      const echoed = Array.isArray(res.data) ? (res.data[0] as unknown) : res.data;
      created = isObj(echoed) && echoed.id != null ? String(echoed.id) : undefined;
    } catch (e) {
      const error = toConnectorError(e);
      if (!AMBIGUOUS.has(error.code)) throw error;
      const found = await markerPresent(ctx, id, note.marker); // did the note land before the failure?
      if (found === undefined) throw error;
      created = found;
    }
    if (created === undefined) {
      // A 200 without the created action: believe it only when the note is really there (false-200 writes).
      created = await markerPresent(ctx, id, note.marker);
      if (created === undefined)
        throw new ConnectorError('write_not_applied', 'Halo answered 200 but the note is not on the ticket');
    }
    return { ...base, status: 'applied', ...(created ? { remoteId: created } : {}) };
  } catch (e) {
    return failed(note.actionId, 'note', toConnectorError(e));
  }
}

/** docs/spec.md §4 write-back: reassign + priority in one write, read-back, then notes; the first failure stops the rest. */
export async function applyActions(ctx: HaloContext, plan: WritePlan): Promise<ActionResult[]> {
  let id: number;
  try {
    id = ticketNumber(plan.ticketId);
  } catch (e) {
    const error = toConnectorError(e);
    const all = [
      ...(plan.reassign ? [failed(plan.reassign.actionId, 'reassign', error)] : []),
      ...(plan.priority ? [failed(plan.priority.actionId, 'priority', error)] : []),
    ];
    return [...all, ...plan.notes.map((n) => failed(n.actionId, 'note', error))];
  }
  const results: ActionResult[] = [];
  let failure: ConnectorError | undefined;
  if (plan.reassign || plan.priority) {
    const written = await writeTicket(ctx, plan, id);
    results.push(...written.results);
    failure = written.failure;
  }
  for (const note of plan.notes) {
    if (failure) {
      results.push(notAttempted(note.actionId, 'note', failure));
      continue;
    }
    const r = await writeNote(ctx, plan, id, note);
    results.push(r);
    if (r.status === 'failed')
      failure = new ConnectorError(
        (r.error?.code ?? 'internal') as ConnectorError['code'],
        r.error?.message ?? 'note failed',
      );
  }
  return results;
}

// ------------------------------------------------------------------ write bodies (pure)

/** The fields of a ticket update we ever send (`Faults` names, halo.md §4.4). */
export interface TicketUpdate {
  id: number;
  team?: string;
  agent_id?: number;
  status_id?: number;
  priority_id?: number;
}

/** One note (`Actions`, halo.md §5): `ticket_id` and an outcome are required or Halo answers 400. */
export interface ActionCreate {
  ticket_id: number;
  outcome: string;
  note: string;
  hiddenfromuser: boolean;
  sendemail?: boolean;
}

/**
 * Halo has no PATCH: `POST /api/Tickets` with an `id` updates, without one it **creates a ticket** (pitfall 8). A
 * partial body updates only the fields sent (live: `POST Tickets [{id, status_id: 9}]` closes a ticket, operators'
 * notes; HaloAPI `Set-HaloTicket.ps1` and n8n's HaloPSA node send partial bodies the same way). Whether `agent_id` /
 * `team` in such an update always reassign is not documented: every write is read back (`fieldsNotApplied`).
 * Every update body goes through this guard, so a missing or bad id fails loudly instead of creating a ticket.
 */
export function assertUpdateBody(body: TicketUpdate): [TicketUpdate] {
  if (!Number.isSafeInteger(body.id) || body.id <= 0) {
    throw new ConnectorError(
      'internal',
      'refusing to POST /api/Tickets without a valid ticket id (it would create a ticket)',
      { retryable: false },
    );
  }
  return [body];
}

/** The note body; the marker goes into the text so a retry can find the note (docs/spec.md §4). */
export function buildNote(options: {
  ticketId: number;
  outcome: string;
  text: string;
  marker: string;
  internal: boolean;
}): [ActionCreate] {
  const note = options.text.includes(options.marker) ? options.text : `${options.text}\n\n${options.marker}`;
  const body: ActionCreate = {
    ticket_id: options.ticketId,
    outcome: options.outcome,
    note,
    hiddenfromuser: options.internal,
  };
  // Private notes never email anyone; a customer note leaves e-mailing to the configured outcome.
  if (options.internal) body.sendemail = false;
  return [body];
}

const numeric = (v: IdOrName) => typeof v === 'number' || /^\s*\d+\s*$/.test(v);

/** Canonical team name for a mapping name (any case), or undefined when the tenant has no such team. */
export function resolveTeam(want: string, list: readonly NamedId[]): string | undefined {
  const w = want.trim().toLowerCase();
  return list.find((t) => t.name.trim().toLowerCase() === w)?.name;
}

/** Status id for a mapping value (id, or name via /api/Status). */
export function resolveStatus(want: IdOrName, list: readonly NamedId[] | undefined): number | undefined {
  if (numeric(want)) return Number(want);
  const w = String(want).trim().toLowerCase();
  return list?.find((s) => s.name.trim().toLowerCase() === w)?.id;
}

/** `priority_id` for a mapping value: an id as given, or a name looked up within the ticket's SLA (pitfall 7). */
export function resolvePriority(
  want: IdOrName,
  list: readonly PriorityRow[] | undefined,
  slaId: number | undefined,
): number | undefined {
  if (numeric(want)) return Number(want);
  const w = String(want).trim().toLowerCase();
  const rows = (list ?? []).filter((p) => p.name.trim().toLowerCase() === w);
  return (rows.find((p) => slaId !== undefined && p.slaid === slaId) ?? rows[0])?.priorityid;
}

/** Reads an integer from a Halo field (numbers may travel as strings). */
export function intField(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

/** Which update fields did not take, comparing the body with the re-read ticket. */
export function fieldsNotApplied(body: TicketUpdate, reread: Record<string, unknown>): (keyof TicketUpdate)[] {
  const missed: (keyof TicketUpdate)[] = [];
  if (
    body.team !== undefined &&
    String(reread.team ?? '')
      .trim()
      .toLowerCase() !== body.team.trim().toLowerCase()
  )
    missed.push('team');
  for (const k of ['agent_id', 'status_id', 'priority_id'] as const) {
    if (body[k] !== undefined && intField(reread[k]) !== body[k]) missed.push(k);
  }
  return missed;
}
