import { ConnectorError, err, ok, toConnectorError } from '../../src/contract/index.js';
import type { ChangedPage, FetchedTicket, Result, TicketActivity } from '../../src/contract/index.js';

import { atRequest } from './client.js';
import type { AtContext } from './client.js';
import { apiResourceId, entityById, notePicklists, ticketPicklists } from './lookups.js';
import { itemSchema, itemsSchema, ticketSchema } from './schemas.js';
import type { AtTicket } from './schemas.js';
import { parseInstant, versionOf } from './mapping.js';

/** What `fetchTicket` puts in `FetchedTicket.lookups` (read by `normalize`). */
export interface AutotaskLookups {
  picklists?: Record<string, { value: string; label: string }[]>;
  notePicklists?: Record<string, { value: string; label: string }[]>;
  apiResourceId?: number;
  company?: Record<string, unknown>;
  contact?: Record<string, unknown>;
  owner?: Record<string, unknown>;
  configurationItem?: Record<string, unknown>;
  /** The ticket's company location (`companyLocationID` → `CompanyLocations`): the ticket's site. */
  location?: Record<string, unknown>;
}

const TICKET_ID = /^\d{1,15}$/;

export async function getTicket(ctx: AtContext, ticketId: string): Promise<AtTicket> {
  const res = await atRequest(ctx, { method: 'GET', path: `/Tickets/${ticketId}` });
  const wrapped = itemSchema.safeParse(res.data);
  // apigrate turns a 404 into `{item: null}`; both mean the ticket is gone.
  if (wrapped.success && (wrapped.data.item === null || wrapped.data.item === undefined)) {
    throw new ConnectorError('not_found', `Autotask ticket ${ticketId} not found`, { retryable: false });
  }
  const ticket = ticketSchema.safeParse(wrapped.success ? wrapped.data.item : undefined);
  if (!ticket.success)
    throw new ConnectorError('invalid_response', 'Autotask answered a ticket without the expected shape', {
      retryable: false,
    });
  return ticket.data;
}

/** Notes of one ticket (`GET /Tickets/{id}/Notes`: the child collection, one page of up to 500). */
export async function getNotes(ctx: AtContext, ticketId: string): Promise<unknown[]> {
  const res = await atRequest(ctx, { method: 'GET', path: `/Tickets/${ticketId}/Notes` });
  const items = itemsSchema.safeParse(res.data);
  return items.success ? items.data.items : [];
}

/** A bound on one listing (100 pages of 500): a server that always answers a next page cannot loop us forever. */
const maxNotePages = 100;

/**
 * Every note of a ticket for a marker scan: `POST /TicketNotes/query` (ticketID eq, 500 per page) following
 * `pageDetails.nextPageUrl` with POST and the same body (autotask.md §5.2) — the child collection answers one page
 * only, and a retry must see a note of ours however many came after it.
 */
export async function getAllNotes(ctx: AtContext, ticketId: string): Promise<unknown[]> {
  // The author fields too: a marker counts only on a note our API user wrote (notes.ts isOurNote).
  const body = {
    maxRecords: 500,
    includeFields: ['id', 'title', 'description', 'creatorResourceID', 'impersonatorCreatorResourceID'],
    filter: [{ op: 'eq', field: 'ticketID', value: Number(ticketId) }],
  };
  const out: unknown[] = [];
  let path = '/TicketNotes/query';
  for (let page = 0; page < maxNotePages; page++) {
    const res = await atRequest(ctx, { method: 'POST', path, json: body, idempotent: true });
    const parsed = itemsSchema.safeParse(res.data);
    if (!parsed.success)
      throw new ConnectorError('invalid_response', 'Autotask answered the notes query without items', {
        retryable: true,
      });
    out.push(...parsed.data.items);
    const next = parsed.data.pageDetails?.nextPageUrl;
    if (!next) return out;
    path = next;
  }
  throw new ConnectorError(
    'invalid_response',
    `Autotask kept paging the notes of ticket ${ticketId} past ${maxNotePages} pages`,
    { retryable: false },
  );
}

async function gatherLookups(ctx: AtContext, t: AtTicket): Promise<AutotaskLookups> {
  const [picklists, notes, me, company, contact, owner, ci, location] = await Promise.all([
    ticketPicklists(ctx),
    notePicklists(ctx),
    apiResourceId(ctx),
    entityById(ctx, 'Companies', t.companyID, ['id', 'companyName', 'classification', 'userDefinedFields']),
    entityById(ctx, 'Contacts', t.contactID, ['id', 'firstName', 'lastName', 'emailAddress']),
    entityById(ctx, 'Resources', t.assignedResourceID, ['id', 'firstName', 'lastName', 'userName']),
    entityById(ctx, 'ConfigurationItems', t.configurationItemID, [
      'id',
      'referenceTitle',
      'referenceNumber',
      'serialNumber',
    ]),
    // The site for `calendarFor` (docs/psa/autotask.md §5.5): cached like the other names.
    entityById(ctx, 'CompanyLocations', (t as { companyLocationID?: unknown }).companyLocationID, ['id', 'name']),
  ]);
  const out: AutotaskLookups = { picklists, notePicklists: notes };
  if (me !== undefined) out.apiResourceId = me;
  if (company) out.company = company;
  if (contact) out.contact = contact;
  if (owner) out.owner = owner;
  if (ci) out.configurationItem = ci;
  if (location) out.location = location;
  return out;
}

/** `GET /Tickets/{id}` + its notes + cached lookups. 404 → `not_found` (the pipeline deletes its state). */
export async function fetchTicket(ctx: AtContext, ticketId: string): Promise<Result<FetchedTicket, ConnectorError>> {
  if (!TICKET_ID.test(ticketId))
    return err(new ConnectorError('not_found', `not an Autotask ticket id: ${ticketId}`, { retryable: false }));
  try {
    const ticket = await getTicket(ctx, ticketId);
    const [notes, lookups] = await Promise.all([getNotes(ctx, ticketId), gatherLookups(ctx, ticket)]);
    return ok({ ticket, notes, lookups: lookups as Record<string, unknown> });
  } catch (e) {
    return err(toConnectorError(e));
  }
}

// ------------------------------------------------------------------ reconciliation (autotask.md §5.2)

interface PageToken {
  /** `pageDetails.nextPageUrl`: POSTed with the same body (GET answers 405). */
  u: string;
  s: string;
}

const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify(t), 'utf8').toString('base64url');
function decodeToken(token: string): PageToken | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageToken>;
    return typeof t.u === 'string' && typeof t.s === 'string' ? { u: t.u, s: t.s } : undefined;
  } catch {
    return undefined;
  }
}

/** Both modification stamps: `lastTrackedModificationDateTime` is the version, `lastActivityDate` also moves on notes. */
function changedQuery(since: string) {
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
export async function listChangedSince(
  ctx: AtContext,
  since: string,
  page?: string,
): Promise<Result<ChangedPage, ConnectorError>> {
  const token = page === undefined ? undefined : decodeToken(page);
  if (page !== undefined && !token)
    return err(new ConnectorError('bad_request', 'invalid page token', { retryable: false }));
  const sinceMs = parseInstant(token?.s ?? since);
  if (sinceMs === undefined)
    return err(new ConnectorError('bad_request', `invalid instant: ${since}`, { retryable: false }));
  const sinceIso = new Date(sinceMs).toISOString();
  try {
    const res = await atRequest(ctx, {
      method: 'POST',
      path: token?.u ?? '/Tickets/query',
      json: changedQuery(sinceIso),
      idempotent: true,
    });
    const parsed = itemsSchema.safeParse(res.data);
    if (!parsed.success)
      return err(new ConnectorError('invalid_response', 'Autotask query answered without items', { retryable: false }));
    const out: ChangedPage = { items: [] };
    for (const raw of parsed.data.items) {
      const t = raw as { id?: unknown; lastTrackedModificationDateTime?: unknown; lastActivityDate?: unknown };
      if (typeof t.id !== 'number') continue;
      const version = versionOf(t.lastTrackedModificationDateTime) ?? versionOf(t.lastActivityDate);
      out.items.push(version === undefined ? { ticketId: String(t.id) } : { ticketId: String(t.id), version });
      const seen = [versionOf(t.lastTrackedModificationDateTime), versionOf(t.lastActivityDate)].filter(
        (v): v is string => v !== undefined,
      );
      for (const v of seen) if (out.highWater === undefined || v > out.highWater) out.highWater = v;
    }
    const next = parsed.data.pageDetails?.nextPageUrl;
    if (next) out.nextPage = encodeToken({ u: next, s: sinceIso });
    return ok(out);
  } catch (e) {
    return err(toConnectorError(e));
  }
}

/** Status 5 is Autotask's built-in Complete (autotask.md §4: "not complete" is `status noteq 5`). */
const COMPLETE_STATUS = 5;

/**
 * Every ticket not Complete, 500 per page (`POST /Tickets/query`, `status noteq 5`, following `nextPageUrl` with
 * POST and the same body): the backfill's open-only listing.
 */
export async function listOpen(ctx: AtContext, page?: string): Promise<Result<ChangedPage, ConnectorError>> {
  const token = page === undefined ? undefined : decodeToken(page);
  if (page !== undefined && !token)
    return err(new ConnectorError('bad_request', 'invalid page token', { retryable: false }));
  const body = {
    maxRecords: 500,
    includeFields: ['id', 'lastTrackedModificationDateTime'],
    filter: [{ op: 'noteq', field: 'status', value: COMPLETE_STATUS }],
  };
  try {
    const res = await atRequest(ctx, {
      method: 'POST',
      path: token?.u ?? '/Tickets/query',
      json: body,
      idempotent: true,
    });
    const parsed = itemsSchema.safeParse(res.data);
    if (!parsed.success)
      return err(new ConnectorError('invalid_response', 'Autotask query answered without items', { retryable: false }));
    const out: ChangedPage = { items: [] };
    for (const raw of parsed.data.items) {
      const t = raw as { id?: unknown; lastTrackedModificationDateTime?: unknown };
      if (typeof t.id !== 'number') continue;
      const version = versionOf(t.lastTrackedModificationDateTime);
      out.items.push(version === undefined ? { ticketId: String(t.id) } : { ticketId: String(t.id), version });
    }
    const next = parsed.data.pageDetails?.nextPageUrl;
    if (next) out.nextPage = encodeToken({ u: next, s: '' });
    return ok(out);
  } catch (e) {
    return err(toConnectorError(e));
  }
}

/**
 * Time entries of the ticket created after `since` (handoff pickup, docs/psa/autotask.md §5.5):
 * `POST /TimeEntries/query` filtered on `ticketID` and `createDateTime`, one page of up to 100. The author is the
 * entry's `resourceID` (what the ticket's owner is), the instant its `createDateTime` (else `startDateTime`).
 */
export async function readAutotaskActivity(
  ctx: AtContext,
  ticketId: string,
  since: string,
): Promise<Result<TicketActivity[], ConnectorError>> {
  if (!TICKET_ID.test(ticketId))
    return err(new ConnectorError('not_found', `not an Autotask ticket id: ${ticketId}`, { retryable: false }));
  const body = {
    maxRecords: 100,
    includeFields: ['id', 'ticketID', 'resourceID', 'createDateTime', 'startDateTime'],
    filter: [
      { op: 'eq', field: 'ticketID', value: Number(ticketId) },
      { op: 'gt', field: 'createDateTime', value: since },
    ],
  };
  try {
    const res = await atRequest(ctx, { method: 'POST', path: '/TimeEntries/query', json: body, idempotent: true });
    const parsed = itemsSchema.safeParse(res.data);
    if (!parsed.success)
      return err(
        new ConnectorError('invalid_response', 'Autotask answered the time entries query without items', {
          retryable: true,
        }),
      );
    return ok(
      parsed.data.items.flatMap((raw) => {
        const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
        // Never trust a row of another ticket (a server that ignores the filter).
        if (e['ticketID'] !== undefined && e['ticketID'] !== null && Number(e['ticketID']) !== Number(ticketId))
          return [];
        const resource = e['resourceID'];
        const ms = parseInstant(e['createDateTime']) ?? parseInstant(e['startDateTime']);
        if (
          (typeof resource !== 'number' && typeof resource !== 'string') ||
          String(resource).trim() === '' ||
          ms === undefined
        )
          return [];
        return [{ at: new Date(ms).toISOString(), author: String(resource).trim(), kind: 'time_entry' as const }];
      }),
    );
  } catch (e) {
    return err(toConnectorError(e));
  }
}
