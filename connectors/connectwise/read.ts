import { ConnectorError, err, isRawRecord, ok, toConnectorError } from '../../src/contract/index.js';
import type { ChangedPage, FetchedTicket, Result, TicketActivity } from '../../src/contract/index.js';

import { conditionDate, conditionString, cwRequest } from './client.js';
import type { CwContext } from './client.js';
import { idString, toUtc } from './mapping.js';

/**
 * Notes read with a ticket: newest first. 25 covers the initial description of all but the longest tickets and keeps
 * the read at one call (docs/spec.md §8: ≤ 5 PSA calls per escalation).
 */
export const notesPageSize = 25;
/** Reconciliation page size: the documented maximum, with `fields` trimming each row to id + `_info`. */
export const changedPageSize = 1000;

function ticketPath(ticketId: string): string | undefined {
  return /^\d{1,10}$/.test(ticketId) ? `/service/tickets/${ticketId}` : undefined;
}

/** The newest notes of a ticket (`GET /service/tickets/{id}/notes`, connectwise.md §4.5). */
export async function readNotes(ctx: CwContext, ticketId: string, pageSize = notesPageSize): Promise<unknown[]> {
  const res = await cwRequest(ctx, {
    method: 'GET',
    path: `/service/tickets/${ticketId}/notes`,
    query: { orderBy: 'id desc', pageSize },
  });
  return Array.isArray(res.data) ? res.data : [];
}

/** Page size of a full notes listing: the documented maximum (connectwise.md §4.6). */
export const allNotesPageSize = 1000;
/** A bound on one listing (100 000 notes): a misbehaving server that always says "next" cannot loop us forever. */
const maxNotePages = 100;

/**
 * Every note of a ticket, newest first, following navigable paging (`Link: rel="next"`, else a full page) to the end:
 * a marker scan must see all of them, not only the newest page (a busy ticket, or a PSA that lists out of order).
 */
export async function readAllNotes(ctx: CwContext, ticketId: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let page = 1; page <= maxNotePages; page++) {
    const res = await cwRequest(ctx, {
      method: 'GET',
      path: `/service/tickets/${ticketId}/notes`,
      query: { orderBy: 'id desc', page, pageSize: allNotesPageSize },
    });
    const rows = Array.isArray(res.data) ? res.data : [];
    out.push(...rows);
    const more = hasNextLink(res.headers['link']) ?? rows.length >= allNotesPageSize;
    if (!more || rows.length === 0) return out;
  }
  throw new ConnectorError(
    'invalid_response',
    `ConnectWise kept paging the notes of ticket ${ticketId} past ${maxNotePages} pages`,
    { retryable: false },
  );
}

/** `GET /service/tickets/{id}`: the raw ticket, validated to be a ticket object. */
export async function readTicket(ctx: CwContext, ticketId: string): Promise<Record<string, unknown>> {
  const path = ticketPath(ticketId);
  if (!path)
    throw new ConnectorError('not_found', `not a ConnectWise ticket id: ${JSON.stringify(ticketId.slice(0, 20))}`);
  const res = await cwRequest(ctx, { method: 'GET', path });
  if (!isRawRecord(res.data) || idString(res.data['id']) === undefined) {
    throw new ConnectorError('invalid_response', 'ConnectWise answered GET ticket without a ticket object', {
      retryable: true,
    });
  }
  return res.data;
}

/** Configurations listed on a ticket at most (one page). */
export const configurationsPageSize = 25;

/**
 * The configurations (devices) attached to a ticket: `GET /service/tickets/{parentId}/configurations`, an array of
 * `ConfigurationReference {id, deviceIdentifier, _info}` (docs/psa-handoff-fields.md). They become the handoff
 * note's affected systems. A refusal (the API member may lack Configurations access) normalizes without them.
 */
export async function readConfigurations(ctx: CwContext, ticketId: string): Promise<unknown[]> {
  try {
    const res = await cwRequest(ctx, {
      method: 'GET',
      path: `/service/tickets/${ticketId}/configurations`,
      query: { pageSize: configurationsPageSize },
    });
    return Array.isArray(res.data) ? res.data : [];
  } catch (e) {
    const code = toConnectorError(e).code;
    if (code !== 'not_found' && code !== 'psa_auth' && code !== 'validation') throw e;
    ctx.log.warn(
      { instance: ctx.instance.id, ticketId, code },
      'ConnectWise ticket configurations unavailable; normalizing without affected systems',
    );
    return [];
  }
}

/** Ticket + newest notes + its configurations. Gone tickets (404/410) → `not_found`. */
export async function fetchTicket(ctx: CwContext, ticketId: string): Promise<Result<FetchedTicket, ConnectorError>> {
  try {
    const ticket = await readTicket(ctx, ticketId);
    let notes: unknown[] = [];
    try {
      notes = await readNotes(ctx, ticketId);
    } catch (e) {
      // A ticket we just read has notes (maybe none); a 404 here is a permissions quirk, not a gone ticket.
      if (toConnectorError(e).code !== 'not_found') throw e;
      ctx.log.warn(
        { instance: ctx.instance.id, ticketId },
        'ConnectWise notes endpoint answered 404; normalizing without notes',
      );
    }
    const configurations = await readConfigurations(ctx, ticketId);
    // Merged into a parent ticket: ConnectWise still answers, but this ticket is gone (confirms a `deleted` event).
    const parent = ticket['mergedParentTicket'];
    const merged = isRawRecord(parent) && idString(parent['id']) !== undefined;
    return ok({
      ticket,
      notes,
      ...(configurations.length > 0 ? { lookups: { configurations } } : {}),
      ...(merged ? { gone: 'merged' as const } : {}),
    });
  } catch (e) {
    return err(toConnectorError(e));
  }
}

function hasNextLink(link: string | undefined): boolean | undefined {
  if (link === undefined || link.trim() === '') return undefined;
  return /rel="?next"?/i.test(link);
}

/**
 * Tickets changed since `since` (`conditions=lastUpdated>[…]`, navigable paging ordered by id so pages stay stable
 * while tickets keep changing; connectwise.md §4.6–4.7). `page` is the opaque page number from the previous call.
 */
export async function listChangedSince(
  ctx: CwContext,
  since: string,
  page?: string,
): Promise<Result<ChangedPage, ConnectorError>> {
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
      query: {
        conditions: `lastUpdated>[${date}]`,
        orderBy: 'id asc',
        fields: 'id,_info',
        page: pageNo,
        pageSize: changedPageSize,
      },
    });
    const rows = Array.isArray(res.data) ? res.data : [];
    const items: ChangedPage['items'] = [];
    let highWater: string | undefined;
    for (const row of rows) {
      const ticketId = isRawRecord(row) ? idString(row['id']) : undefined;
      if (ticketId === undefined) continue;
      const info = isRawRecord(row) && isRawRecord(row['_info']) ? row['_info'] : {};
      const version = toUtc(info['lastUpdated']);
      items.push(version === undefined ? { ticketId } : { ticketId, version });
      if (version !== undefined && (highWater === undefined || version > highWater)) highWater = version;
    }
    const more = hasNextLink(res.headers['link']) ?? rows.length >= changedPageSize;
    return ok({ items, ...(more ? { nextPage: String(pageNo + 1) } : {}), ...(highWater ? { highWater } : {}) });
  } catch (e) {
    return err(toConnectorError(e));
  }
}

/**
 * Every open ticket (`conditions=closedFlag=false`, ordered by id, `fields=id,_info`; connectwise.md §4.6–4.7):
 * the backfill's open-only listing. `page` is the opaque page number from the previous call.
 */
export async function listOpen(ctx: CwContext, page?: string): Promise<Result<ChangedPage, ConnectorError>> {
  const pageNo = page === undefined ? 1 : Number(page);
  if (!Number.isInteger(pageNo) || pageNo < 1)
    return err(new ConnectorError('validation', `bad page token: ${JSON.stringify(page)}`, { retryable: false }));
  try {
    const res = await cwRequest(ctx, {
      method: 'GET',
      path: '/service/tickets',
      query: {
        conditions: 'closedFlag=false',
        orderBy: 'id asc',
        fields: 'id,_info',
        page: pageNo,
        pageSize: changedPageSize,
      },
    });
    const rows = Array.isArray(res.data) ? res.data : [];
    const items: ChangedPage['items'] = [];
    for (const row of rows) {
      const ticketId = isRawRecord(row) ? idString(row['id']) : undefined;
      if (ticketId === undefined) continue;
      const version = toUtc((isRawRecord(row) && isRawRecord(row['_info']) ? row['_info'] : {})['lastUpdated']);
      items.push(version === undefined ? { ticketId } : { ticketId, version });
    }
    const more = hasNextLink(res.headers['link']) ?? rows.length >= changedPageSize;
    return ok({ items, ...(more ? { nextPage: String(pageNo + 1) } : {}) });
  } catch (e) {
    return err(toConnectorError(e));
  }
}

/** Time entries read for a handoff-pickup check: the newest 100 (one call) are plenty for 30 minutes of work. */
const timeEntryPageSize = 100;

/**
 * Time entries charged to the ticket after `since` (handoff pickup, docs/psa/connectwise.md §4.10):
 * `GET /time/entries?conditions=chargeToType="ServiceTicket" and chargeToId=X and dateEntered>[since]`. The author is
 * the entry's `member.identifier` (what the ticket's owner is), the instant its `dateEntered` (else `timeStart`).
 */
export async function readActivity(
  ctx: CwContext,
  ticketId: string,
  since: string,
): Promise<Result<TicketActivity[], ConnectorError>> {
  if (!ticketPath(ticketId))
    return err(
      new ConnectorError('not_found', `not a ConnectWise ticket id: ${JSON.stringify(ticketId.slice(0, 20))}`, {
        retryable: false,
      }),
    );
  const after = conditionDate(since);
  const conditions = [
    `chargeToType=${conditionString('ServiceTicket')}`,
    `chargeToId=${ticketId}`,
    ...(after ? [`dateEntered>[${after}]`] : []),
  ].join(' and ');
  try {
    const res = await cwRequest(ctx, {
      method: 'GET',
      path: '/time/entries',
      query: { conditions, orderBy: 'id desc', pageSize: timeEntryPageSize },
    });
    const rows = Array.isArray(res.data) ? res.data.filter(isRawRecord) : [];
    return ok(
      rows.flatMap((r) => {
        const member = isRawRecord(r['member']) ? r['member'] : {};
        const info = isRawRecord(r['_info']) ? r['_info'] : {};
        const author = typeof member['identifier'] === 'string' ? member['identifier'].trim() : '';
        const at = toUtc(r['dateEntered']) ?? toUtc(info['dateEntered']) ?? toUtc(r['timeStart']);
        return author !== '' && at !== undefined ? [{ at, author, kind: 'time_entry' as const }] : [];
      }),
    );
  } catch (e) {
    return err(toConnectorError(e));
  }
}
