import { ConnectorError, err, ok } from '../../src/contract/index.js';
import { atRequest, toConnectorError } from './client.js';
import { apiResourceId, entityById, notePicklists, ticketPicklists } from './lookups.js';
import { itemSchema, itemsSchema, ticketSchema } from './schemas.js';
import { parseInstant, versionOf } from './time.js';
const TICKET_ID = /^\d{1,15}$/;
export async function getTicket(ctx, ticketId) {
    const res = await atRequest(ctx, { method: 'GET', path: `/Tickets/${ticketId}` });
    const wrapped = itemSchema.safeParse(res.data);
    // apigrate turns a 404 into `{item: null}`; both mean the ticket is gone.
    if (wrapped.success && (wrapped.data.item === null || wrapped.data.item === undefined)) {
        throw new ConnectorError('not_found', `Autotask ticket ${ticketId} not found`, { retryable: false });
    }
    const ticket = ticketSchema.safeParse(wrapped.success ? wrapped.data.item : undefined);
    if (!ticket.success)
        throw new ConnectorError('invalid_response', 'Autotask answered a ticket without the expected shape', { retryable: false });
    return ticket.data;
}
/** Notes of one ticket (`GET /Tickets/{id}/Notes`: the child collection, one page of up to 500). */
export async function getNotes(ctx, ticketId) {
    const res = await atRequest(ctx, { method: 'GET', path: `/Tickets/${ticketId}/Notes` });
    const items = itemsSchema.safeParse(res.data);
    return items.success ? items.data.items : [];
}
async function gatherLookups(ctx, t) {
    const [picklists, notes, me, company, contact, owner, ci] = await Promise.all([
        ticketPicklists(ctx),
        notePicklists(ctx),
        apiResourceId(ctx),
        entityById(ctx, 'Companies', t.companyID, ['id', 'companyName', 'classification', 'userDefinedFields']),
        entityById(ctx, 'Contacts', t.contactID, ['id', 'firstName', 'lastName', 'emailAddress']),
        entityById(ctx, 'Resources', t.assignedResourceID, ['id', 'firstName', 'lastName', 'userName']),
        entityById(ctx, 'ConfigurationItems', t.configurationItemID, ['id', 'referenceTitle', 'referenceNumber', 'serialNumber']),
    ]);
    const out = { picklists, notePicklists: notes };
    if (me !== undefined)
        out.apiResourceId = me;
    if (company)
        out.company = company;
    if (contact)
        out.contact = contact;
    if (owner)
        out.owner = owner;
    if (ci)
        out.configurationItem = ci;
    return out;
}
/** `GET /Tickets/{id}` + its notes + cached lookups. 404 → `not_found` (the pipeline deletes its state). */
export async function fetchAutotaskTicket(ctx, ticketId) {
    if (!TICKET_ID.test(ticketId))
        return err(new ConnectorError('not_found', `not an Autotask ticket id: ${ticketId}`, { retryable: false }));
    try {
        const ticket = await getTicket(ctx, ticketId);
        const [notes, lookups] = await Promise.all([getNotes(ctx, ticketId), gatherLookups(ctx, ticket)]);
        return ok({ ticket, notes, lookups: lookups });
    }
    catch (e) {
        return err(toConnectorError(e));
    }
}
const encodeToken = (t) => Buffer.from(JSON.stringify(t), 'utf8').toString('base64url');
function decodeToken(token) {
    try {
        const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
        return typeof t.u === 'string' && typeof t.s === 'string' ? { u: t.u, s: t.s } : undefined;
    }
    catch {
        return undefined;
    }
}
/** Both modification stamps: `lastTrackedModificationDateTime` is the version, `lastActivityDate` also moves on notes. */
function changedQuery(since) {
    return {
        maxRecords: 500,
        includeFields: ['id', 'lastTrackedModificationDateTime', 'lastActivityDate'],
        filter: [
            {
                op: 'or',
                items: [
                    { op: 'gt', field: 'lastTrackedModificationDateTime', value: since },
                    { op: 'gt', field: 'lastActivityDate', value: since },
                ],
            },
        ],
    };
}
/** Tickets changed since `since`, 500 per page, following `nextPageUrl` with POST and the same body. */
export async function listAutotaskChanged(ctx, since, page) {
    const token = page === undefined ? undefined : decodeToken(page);
    if (page !== undefined && !token)
        return err(new ConnectorError('bad_request', 'invalid page token', { retryable: false }));
    const sinceMs = parseInstant(token?.s ?? since);
    if (sinceMs === undefined)
        return err(new ConnectorError('bad_request', `invalid instant: ${since}`, { retryable: false }));
    const sinceIso = new Date(sinceMs).toISOString();
    try {
        const res = await atRequest(ctx, { method: 'POST', path: token?.u ?? '/Tickets/query', json: changedQuery(sinceIso), idempotent: true });
        const parsed = itemsSchema.safeParse(res.data);
        if (!parsed.success)
            return err(new ConnectorError('invalid_response', 'Autotask query answered without items', { retryable: false }));
        const out = { items: [] };
        for (const raw of parsed.data.items) {
            const t = raw;
            if (typeof t.id !== 'number')
                continue;
            const version = versionOf(t.lastTrackedModificationDateTime) ?? versionOf(t.lastActivityDate);
            out.items.push(version === undefined ? { ticketId: String(t.id) } : { ticketId: String(t.id), version });
            const seen = [versionOf(t.lastTrackedModificationDateTime), versionOf(t.lastActivityDate)].filter((v) => v !== undefined);
            for (const v of seen)
                if (out.highWater === undefined || v > out.highWater)
                    out.highWater = v;
        }
        const next = parsed.data.pageDetails?.nextPageUrl;
        if (next)
            out.nextPage = encodeToken({ u: next, s: sinceIso });
        return ok(out);
    }
    catch (e) {
        return err(toConnectorError(e));
    }
}
//# sourceMappingURL=read.js.map