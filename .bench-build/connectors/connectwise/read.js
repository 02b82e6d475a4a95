import { ConnectorError, err, ok } from '../../src/contract/index.js';
import { conditionDate, cwRequest, toConnectorError } from './client.js';
import { idString, toUtc } from './mapping.js';
/**
 * Notes read with a ticket: newest first. 25 covers the initial description of all but the longest tickets and keeps
 * the read at one call (SPEC §8: ≤ 5 PSA calls per escalation).
 */
export const notesPageSize = 25;
/** Reconciliation page size: the documented maximum, with `fields` trimming each row to id + `_info`. */
export const changedPageSize = 1000;
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function ticketPath(ticketId) {
    return /^\d{1,10}$/.test(ticketId) ? `/service/tickets/${ticketId}` : undefined;
}
/** The newest notes of a ticket (`GET /service/tickets/{id}/notes`, connectwise.md §4.5). */
export async function readNotes(ctx, ticketId, pageSize = notesPageSize) {
    const res = await cwRequest(ctx, {
        method: 'GET',
        path: `/service/tickets/${ticketId}/notes`,
        query: { orderBy: 'id desc', pageSize },
    });
    return Array.isArray(res.data) ? res.data : [];
}
/** `GET /service/tickets/{id}`: the raw ticket, validated to be a ticket object. */
export async function readTicket(ctx, ticketId) {
    const path = ticketPath(ticketId);
    if (!path)
        throw new ConnectorError('not_found', `not a ConnectWise ticket id: ${JSON.stringify(ticketId.slice(0, 20))}`);
    const res = await cwRequest(ctx, { method: 'GET', path });
    if (!isObject(res.data) || idString(res.data['id']) === undefined) {
        throw new ConnectorError('invalid_response', 'ConnectWise answered GET ticket without a ticket object', { retryable: true });
    }
    return res.data;
}
/** Ticket + newest notes. Gone tickets (404/410) → `not_found`. */
export async function fetchTicket(ctx, ticketId) {
    try {
        const ticket = await readTicket(ctx, ticketId);
        let notes = [];
        try {
            notes = await readNotes(ctx, ticketId);
        }
        catch (e) {
            // A ticket we just read has notes (maybe none); a 404 here is a permissions quirk, not a gone ticket.
            if (toConnectorError(e).code !== 'not_found')
                throw e;
            ctx.log.warn({ instance: ctx.instance.id, ticketId }, 'ConnectWise notes endpoint answered 404; normalizing without notes');
        }
        return ok({ ticket, notes });
    }
    catch (e) {
        return err(toConnectorError(e));
    }
}
function hasNextLink(link) {
    if (link === undefined || link.trim() === '')
        return undefined;
    return /rel="?next"?/i.test(link);
}
/**
 * Tickets changed since `since` (`conditions=lastUpdated>[…]`, navigable paging ordered by id so pages stay stable
 * while tickets keep changing; connectwise.md §4.6–4.7). `page` is the opaque page number from the previous call.
 */
export async function listChangedSince(ctx, since, page) {
    const date = conditionDate(since);
    if (date === undefined)
        return err(new ConnectorError('validation', `not an instant: ${JSON.stringify(since)}`, { retryable: false }));
    const pageNo = page === undefined ? 1 : Number(page);
    if (!Number.isInteger(pageNo) || pageNo < 1)
        return err(new ConnectorError('validation', `bad page token: ${JSON.stringify(page)}`, { retryable: false }));
    try {
        const res = await cwRequest(ctx, {
            method: 'GET',
            path: '/service/tickets',
            query: { conditions: `lastUpdated>[${date}]`, orderBy: 'id asc', fields: 'id,_info', page: pageNo, pageSize: changedPageSize },
        });
        const rows = Array.isArray(res.data) ? res.data : [];
        const items = [];
        let highWater;
        for (const row of rows) {
            const ticketId = isObject(row) ? idString(row['id']) : undefined;
            if (ticketId === undefined)
                continue;
            const info = isObject(row) && isObject(row['_info']) ? row['_info'] : {};
            const version = toUtc(info['lastUpdated']);
            items.push(version === undefined ? { ticketId } : { ticketId, version });
            if (version !== undefined && (highWater === undefined || version > highWater))
                highWater = version;
        }
        const more = hasNextLink(res.headers['link']) ?? rows.length >= changedPageSize;
        return ok({ items, ...(more ? { nextPage: String(pageNo + 1) } : {}), ...(highWater ? { highWater } : {}) });
    }
    catch (e) {
        return err(toConnectorError(e));
    }
}
//# sourceMappingURL=read.js.map