import { ConnectorError } from '../../src/contract/index.js';
/**
 * Halo has no PATCH: `POST /api/Tickets` with an `id` updates, without one it **creates a ticket** (pitfall 8). A
 * partial body updates only the fields sent (live: `POST Tickets [{id, status_id: 9}]` closes a ticket, operators'
 * notes; HaloAPI `Set-HaloTicket.ps1` and n8n's HaloPSA node send partial bodies the same way). Whether `agent_id` /
 * `team` in such an update always reassign is not documented: every write is read back (`fieldsNotApplied`).
 * Every update body goes through this guard, so a missing or bad id fails loudly instead of creating a ticket.
 */
export function assertUpdateBody(body) {
    if (!Number.isSafeInteger(body.id) || body.id <= 0) {
        throw new ConnectorError('internal', 'refusing to POST /api/Tickets without a valid ticket id (it would create a ticket)', { retryable: false });
    }
    return [body];
}
/** The note body; the marker goes into the text so a retry can find the note (SPEC §4). */
export function buildNote(options) {
    const note = options.text.includes(options.marker) ? options.text : `${options.text}\n\n${options.marker}`;
    const body = { ticket_id: options.ticketId, outcome: options.outcome, note, hiddenfromuser: options.internal };
    // Private notes never email anyone; a customer note leaves e-mailing to the configured outcome.
    if (options.internal)
        body.sendemail = false;
    return [body];
}
const numeric = (v) => typeof v === 'number' || /^\s*\d+\s*$/.test(v);
/** Canonical team name for a mapping name (any case), or undefined when the tenant has no such team. */
export function resolveTeam(want, list) {
    const w = want.trim().toLowerCase();
    return list.find((t) => t.name.trim().toLowerCase() === w)?.name;
}
/** Status id for a mapping value (id, or name via /api/Status). */
export function resolveStatus(want, list) {
    if (numeric(want))
        return Number(want);
    const w = String(want).trim().toLowerCase();
    return list?.find((s) => s.name.trim().toLowerCase() === w)?.id;
}
/** `priority_id` for a mapping value: an id as given, or a name looked up within the ticket's SLA (pitfall 7). */
export function resolvePriority(want, list, slaId) {
    if (numeric(want))
        return Number(want);
    const w = String(want).trim().toLowerCase();
    const rows = (list ?? []).filter((p) => p.name.trim().toLowerCase() === w);
    return (rows.find((p) => slaId !== undefined && p.slaid === slaId) ?? rows[0])?.priorityid;
}
/** Reads an integer from a Halo field (numbers may travel as strings). */
export function intField(v) {
    if (typeof v === 'number' && Number.isInteger(v))
        return v;
    if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v))
        return Number(v);
    return undefined;
}
/** Which update fields did not take, comparing the body with the re-read ticket. */
export function fieldsNotApplied(body, reread) {
    const missed = [];
    if (body.team !== undefined && String(reread.team ?? '').trim().toLowerCase() !== body.team.trim().toLowerCase())
        missed.push('team');
    for (const k of ['agent_id', 'status_id', 'priority_id']) {
        if (body[k] !== undefined && intField(reread[k]) !== body[k])
            missed.push(k);
    }
    return missed;
}
//# sourceMappingURL=write-body.js.map