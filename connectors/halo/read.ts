import { ConnectorError, attempt } from '../../src/contract/index.js';
import type { ChangedPage, FetchedTicket, IdOrName, Result, TicketActivity } from '../../src/contract/index.js';

import { haloRequest } from './client.js';
import type { HaloContext } from './client.js';
import { haloInstant } from './mapping.js';
import { optional, ownAgentId, priorities, statuses, teams } from './lookups.js';
import type { HaloLookups } from './normalize.js';
import { actionSchema, parseList, ticketSchema } from './schemas.js';
import type { ActionRow } from './schemas.js';

/** Ticket ids are positive integers; anything else never reaches a URL. */
export function ticketNumber(ticketId: string): number {
  const n = /^\d{1,15}$/.test(ticketId.trim()) ? Number(ticketId) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ConnectorError('validation', `not a Halo ticket id: ${JSON.stringify(ticketId)}`, { retryable: false });
  return n;
}

/** `GET /api/Tickets/{id}?includedetails=true` → the ticket object (halo.md §4.1). A `deleted` ticket is gone. */
export async function getTicket(ctx: HaloContext, id: number): Promise<Record<string, unknown>> {
  const res = await haloRequest(ctx, {
    method: 'GET',
    path: `/Tickets/${id}`,
    query: { includedetails: true, includelastaction: false },
  });
  // Single objects sometimes come back as one-element arrays (halo.md §4.4): accept both.
  const body = Array.isArray(res.data) && res.data.length === 1 ? (res.data[0] as unknown) : res.data;
  const parsed = ticketSchema.safeParse(body);
  if (!parsed.success)
    throw new ConnectorError('invalid_response', `Halo answered GET /Tickets/${id} without a ticket`);
  if (parsed.data.id !== id)
    throw new ConnectorError('invalid_response', `Halo answered GET /Tickets/${id} with ticket ${parsed.data.id}`);
  if (parsed.data.deleted === true)
    throw new ConnectorError('not_found', `Halo ticket ${id} is deleted`, { retryable: false });
  return parsed.data;
}

/** Halo's page size maximum (docs/psa/halo.md §4.2, §7). */
const PAGE_SIZE = 100;
/**
 * Pages of one ticket's actions read before giving up: 50 × 100 = 5,000 actions. Past it the read fails loudly
 * (`invalid_response`) rather than answering a part: a marker scan over a part could post a note twice.
 */
export const ACTION_PAGE_CAP = 50;

/**
 * Every action of ticket `id`, one page at a time (`GET /api/Actions?ticket_id=…&pageinate=true&page_size=100&page_no=N`
 * with `filter` added; docs/psa/halo.md §5.1). Pages until a page that is not exactly 100 long and, when the server
 * sends `record_count`, `record_count` actions read (a full page is always followed by the next: a count that is too
 * low must not end a marker scan early), or an empty page. Halo's published spec lists no paging parameters for
 * `/Actions` (only `count`), so a server that ignores them is expected: an answer longer than a page without a count,
 * or a page that repeats only ids already read, ends the read; a repeat while `record_count` says more exist is a
 * truncation and fails. Past `pageCap` pages the read fails loudly (one more page is asked for, to tell a ticket
 * of exactly `pageCap` full pages, read in full, from a longer one). Each page goes through `haloRequest` (the
 * instance's request budget). Rows for another ticket are dropped (a server that ignores the filter must not leak
 * notes across tickets). A caller that stops iterating early (a marker found) requests no further page.
 */
export async function* actionPages(
  ctx: HaloContext,
  id: number,
  filter: Record<string, string | number | boolean> = {},
  pageCap = ACTION_PAGE_CAP,
): AsyncGenerator<ActionRow[], void, undefined> {
  const seen = new Set<string>();
  let read = 0;
  for (let page = 1; ; page++) {
    const res = await haloRequest(ctx, {
      method: 'GET',
      path: '/Actions',
      query: { ticket_id: id, ...filter, pageinate: true, page_size: PAGE_SIZE, page_no: page },
    });
    const list = parseList(res.data, 'actions', actionSchema);
    if (!list)
      throw new ConnectorError('invalid_response', `Halo answered GET /Actions for ticket ${id} without a list`);
    // The page past the cap is read only to learn whether it is empty (a ticket of exactly the cap is read in full).
    if (page > pageCap) {
      if (list.rawCount === 0) return;
      throw new ConnectorError(
        'invalid_response',
        `Halo ticket ${id} has more than ${pageCap * PAGE_SIZE} actions (${pageCap} pages of GET /Actions): not read in part`,
        { retryable: false, details: { ticketId: id, pages: pageCap, read } },
      );
    }
    // A page repeats when every row with an id was read before (rows without one cannot tell, so they do not count).
    const keyed = list.items.filter((a) => a.id !== undefined).map((a) => String(a.id));
    const repeated = keyed.length > 0 && keyed.every((key) => seen.has(key));
    const fresh = list.items.filter((a) => a.id === undefined || !seen.has(String(a.id)));
    for (const key of keyed) seen.add(key);
    // Rows the schema refused still count as read (and as rows of the page), or their page would look short.
    read += fresh.length + (list.rawCount - list.items.length);
    const total = list.recordCount;
    if (repeated) {
      // Page N repeats ids already read: the server ignores `page_no` and answers the same every time.
      if (total !== undefined && read < total)
        throw new ConnectorError(
          'invalid_response',
          `Halo listed ${read} of ${total} actions of ticket ${id} and repeats them for page ${page}: paging is not honoured, the rest cannot be read`,
          { retryable: false, details: { ticketId: id, read, recordCount: total } },
        );
      ctx.log.warn({ ticketId: id, page }, 'Halo ignores paging on GET /Actions; its one answer is read as complete');
      return;
    }
    yield fresh.filter((a) => a.ticket_id === undefined || a.ticket_id === null || Number(a.ticket_id) === id);
    if (list.rawCount === 0) return;
    // A full page is never the proof of an end, whatever `record_count` says (a count of this page's rows, 0 or null
    // would end the scan before the page holding our marker): the next page answers, empty when there is no more.
    // Short (or longer than asked: paging ignored), the count decides, or, without one, the page ends the read.
    if (list.rawCount === PAGE_SIZE) continue;
    if (total === undefined || read >= total) return;
  }
}

/** Every action of ticket `id` (all pages of `actionPages`). */
export async function listActions(
  ctx: HaloContext,
  id: number,
  filter: Record<string, string | number | boolean> = {},
): Promise<ActionRow[]> {
  const rows: ActionRow[] = [];
  for await (const page of actionPages(ctx, id, filter)) rows.push(...page);
  return rows;
}

/** The ticket's actions without system rows, every page (always filtered: unfiltered /Actions times out, pitfall 13). */
export async function getActions(ctx: HaloContext, id: number): Promise<Record<string, unknown>[]> {
  return listActions(ctx, id, { excludesys: true });
}

const isName = (v: IdOrName) => typeof v === 'string' && !/^\s*\d+\s*$/.test(v);

/** Fetches the ticket, its actions and the (cached) lookups normalizing needs. */
export async function loadTicket(ctx: HaloContext, ticketId: string): Promise<FetchedTicket> {
  const id = ticketNumber(ticketId);
  const ticket = await getTicket(ctx, id);
  const notes = await getActions(ctx, id);
  const lookups: HaloLookups = {};
  const me = await optional(ctx, 'agent-me', () => ownAgentId(ctx));
  if (me !== undefined) lookups.ownAgentId = me;
  const m = ctx.instance.mapping;
  // Ticket payloads often ship ids without names (halo.md §4.3): names come from cached lookups.
  if (ticket.status_name == null || Object.values(m.statuses ?? {}).some((vs) => (vs ?? []).some(isName))) {
    const s = await optional(ctx, 'statuses', () => statuses(ctx));
    if (s) lookups.statuses = s;
  }
  if (ticket.priority_name == null || Object.values(m.priorities ?? {}).some((vs) => (vs ?? []).some(isName))) {
    const p = await optional(ctx, 'priorities', () => priorities(ctx));
    if (p) lookups.priorities = p;
  }
  if (typeof ticket.team === 'string' && ticket.team !== '') {
    const t = await optional(ctx, 'teams', () => teams(ctx));
    if (t) lookups.teams = t;
  }
  // Merged into another ticket: Halo still answers, but this ticket is gone (confirms a `deleted` event).
  const mergedInto = Number(ticket.merged_into_id);
  return {
    ticket,
    notes,
    lookups: { ...lookups },
    ...(Number.isSafeInteger(mergedInto) && mergedInto > 0 ? { gone: 'merged' as const } : {}),
  };
}

/**
 * docs/spec.md §4: Halo has no documented changed-since filter (`lastupdatefromdate` is typed bool in the spec), so the
 * sweep pages through open tickets and keeps those whose `last_update` (else `lastactiondate`) is at or after
 * `since`. Tickets without either date are kept: a needless evaluation is cheaper than a missed one.
 */
async function loadChangedSince(ctx: HaloContext, since: string, page?: string): Promise<ChangedPage> {
  const pageNo = page === undefined ? 1 : Number(page);
  if (!Number.isSafeInteger(pageNo) || pageNo < 1)
    throw new ConnectorError('validation', `bad page token ${JSON.stringify(page)}`, { retryable: false });
  const sinceMs = Date.parse(since);
  if (Number.isNaN(sinceMs))
    throw new ConnectorError('validation', `bad instant ${JSON.stringify(since)}`, { retryable: false });
  const res = await haloRequest(ctx, {
    method: 'GET',
    path: '/Tickets',
    query: { pageinate: true, page_size: PAGE_SIZE, page_no: pageNo, open_only: true },
  });
  const list = parseList(res.data, 'tickets', ticketSchema);
  if (!list) throw new ConnectorError('invalid_response', 'Halo answered GET /Tickets without a ticket list');
  const items: ChangedPage['items'] = [];
  let highWater: string | undefined;
  for (const t of list.items) {
    const version = haloInstant(t.last_update) ?? haloInstant(t.lastactiondate);
    if (version && (highWater === undefined || Date.parse(version) > Date.parse(highWater))) highWater = version;
    if (version === undefined) items.push({ ticketId: String(t.id) });
    else if (Date.parse(version) >= sinceMs) items.push({ ticketId: String(t.id), version });
  }
  // More pages when the server says so, or (bare arrays carry no count) when this page was full.
  const more = list.recordCount !== undefined ? pageNo * PAGE_SIZE < list.recordCount : list.items.length >= PAGE_SIZE;
  const out: ChangedPage = { items };
  if (more && list.items.length > 0) out.nextPage = String(pageNo + 1);
  if (highWater) out.highWater = highWater;
  return out;
}

/** Every open ticket (`GET /Tickets?open_only=true`, paged; halo.md §4.2): the backfill's open-only listing. */
async function loadOpen(ctx: HaloContext, page?: string): Promise<ChangedPage> {
  const pageNo = page === undefined ? 1 : Number(page);
  if (!Number.isSafeInteger(pageNo) || pageNo < 1)
    throw new ConnectorError('validation', `bad page token ${JSON.stringify(page)}`, { retryable: false });
  const res = await haloRequest(ctx, {
    method: 'GET',
    path: '/Tickets',
    query: { pageinate: true, page_size: PAGE_SIZE, page_no: pageNo, open_only: true },
  });
  const list = parseList(res.data, 'tickets', ticketSchema);
  if (!list) throw new ConnectorError('invalid_response', 'Halo answered GET /Tickets without a ticket list');
  const items: ChangedPage['items'] = list.items.map((t) => {
    const version = haloInstant(t.last_update) ?? haloInstant(t.lastactiondate);
    return version ? { ticketId: String(t.id), version } : { ticketId: String(t.id) };
  });
  const more = list.recordCount !== undefined ? pageNo * PAGE_SIZE < list.recordCount : list.items.length >= PAGE_SIZE;
  return { items, ...(more && list.items.length > 0 ? { nextPage: String(pageNo + 1) } : {}) };
}

/**
 * Time entries on the ticket after `since` (handoff pickup, docs/psa/halo.md §4.5): its actions with time logged,
 * `GET /api/Actions?ticket_id=…&timeentriesonly=true`, kept when `timetaken` > 0. The author is the action's agent
 * (`who_agentid`, else `actionby_agent_id`: what the ticket's `agent_id` owner is), the instant its `datetime`.
 */
export async function readHaloActivity(ctx: HaloContext, ticketId: string, since: string): Promise<TicketActivity[]> {
  const id = ticketNumber(ticketId);
  const list = await listActions(ctx, id, { timeentriesonly: true, excludesys: true });
  const after = Date.parse(since);
  return list.flatMap((a) => {
    const taken = Number(a.timetaken ?? 0);
    const agent = [a.who_agentid, a.actionby_agent_id].find(
      (v) => (typeof v === 'number' || typeof v === 'string') && Number(v) > 0,
    );
    const at = haloInstant(a.datetime);
    if (!(taken > 0) || agent === undefined || at === undefined || !(Date.parse(at) > after)) return [];
    return [{ at, author: String(agent).trim(), kind: 'time_entry' as const }];
  });
}

// ------------------------------------------------------------------ the contract methods (expected failures as values)

/** `PsaConnector.fetchTicket`: the ticket, its actions and cached lookups; `not_found` when Halo answers 404. */
export const fetchTicket = (ctx: HaloContext, ticketId: string): Promise<Result<FetchedTicket, ConnectorError>> =>
  attempt(() => loadTicket(ctx, ticketId));

/** `PsaConnector.listChangedSince`: tickets changed since an instant, one page at a time. */
export const listChangedSince = (
  ctx: HaloContext,
  since: string,
  page?: string,
): Promise<Result<ChangedPage, ConnectorError>> => attempt(() => loadChangedSince(ctx, since, page));

/** `PsaConnector.listOpen`: every open ticket, one page at a time. */
export const listOpen = (ctx: HaloContext, page?: string): Promise<Result<ChangedPage, ConnectorError>> =>
  attempt(() => loadOpen(ctx, page));

/** `PsaConnector.readActivity`: the owner's time entries on the ticket after `since` (handoff pickup). */
export const readActivity = (
  ctx: HaloContext,
  ticketId: string,
  since: string,
): Promise<Result<TicketActivity[], ConnectorError>> => attempt(() => readHaloActivity(ctx, ticketId, since));
