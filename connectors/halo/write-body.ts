import { ConnectorError } from '../../src/contract/index.js';
import type { IdOrName } from '../../src/contract/index.js';

import type { NamedId, PriorityRow } from './lookups.js';

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
    throw new ConnectorError('internal', 'refusing to POST /api/Tickets without a valid ticket id (it would create a ticket)', { retryable: false });
  }
  return [body];
}

/** The note body; the marker goes into the text so a retry can find the note (docs/spec.md §4). */
export function buildNote(options: { ticketId: number; outcome: string; text: string; marker: string; internal: boolean }): [ActionCreate] {
  const note = options.text.includes(options.marker) ? options.text : `${options.text}\n\n${options.marker}`;
  const body: ActionCreate = { ticket_id: options.ticketId, outcome: options.outcome, note, hiddenfromuser: options.internal };
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
export function resolvePriority(want: IdOrName, list: readonly PriorityRow[] | undefined, slaId: number | undefined): number | undefined {
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
  if (body.team !== undefined && String(reread.team ?? '').trim().toLowerCase() !== body.team.trim().toLowerCase()) missed.push('team');
  for (const k of ['agent_id', 'status_id', 'priority_id'] as const) {
    if (body[k] !== undefined && intField(reread[k]) !== body[k]) missed.push(k);
  }
  return missed;
}
