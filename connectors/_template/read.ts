import { err } from '../../src/contract/index.js';
import type { ChangedPage, ConnectorError, FetchedTicket, Result } from '../../src/contract/index.js';

import type { TemplateContext } from './client.js';
import { notImplemented } from './client.js';

/**
 * Role: reading tickets — one ticket with its recent notes and lookups (`fetchTicket`), changes since a cursor
 * (`listChangedSince`) and the open tickets (`listOpen`). Canonical ids (`canonicalTicketId`) on everything read.
 * See docs/adding-a-connector.md#read.
 */

/** `PsaConnector.fetchTicket`: `not_found` when the PSA answers 404/410. */
export async function fetchTicket(
  _ctx: TemplateContext,
  _ticketId: string,
): Promise<Result<FetchedTicket, ConnectorError>> {
  return err(notImplemented('fetchTicket', 'read'));
}

/** `PsaConnector.listChangedSince`: one page of tickets changed since `since`. */
export async function listChangedSince(
  _ctx: TemplateContext,
  _since: string,
  _page?: string,
): Promise<Result<ChangedPage, ConnectorError>> {
  return err(notImplemented('listChangedSince', 'read'));
}

/** `PsaConnector.listOpen`: one page of open tickets (the first day's backfill). */
export async function listOpen(_ctx: TemplateContext, _page?: string): Promise<Result<ChangedPage, ConnectorError>> {
  return err(notImplemented('listOpen', 'read'));
}
