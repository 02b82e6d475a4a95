import {
  ConnectorError,
  attempt,
  isRawRecord,
  err,
  readHistoryPage,
  replayBackwards,
  toConnectorError,
} from '../../src/contract/index.js';
import type {
  FetchedTicket,
  RawRecord,
  HistoryPage,
  HistoryWindow,
  RawChange,
  Result,
  TicketHistoryRead,
} from '../../src/contract/index.js';

import { haloRequest } from './client.js';
import type { HaloContext } from './client.js';
import { haloInstant } from './mapping.js';
import { parseList, ticketSchema } from './schemas.js';
import { listActions, loadTicket, ticketNumber } from './read.js';

/**
 * `backtest --from-psa` for HaloPSA (README.md "History"; docs/psa/halo.md §11): tickets updated in the window
 * (`GET /Tickets?datesearch=lastactiondate&startdate=…&enddate=…`, paged, 100 at most, the window checked again on
 * `last_update` because the date filters are weakly specified), each ticket's
 * actions (`GET /Actions?ticket_id=…`, system actions included: never unfiltered; every page, `listActions`), replayed backwards from the
 * current ticket. An action carries the change it made as `new_status` (with `old_status`), `new_agent`, `new_team`
 * and `new_priority`: only the status has its old value. The value a later action replaced is the one an earlier
 * action set; before the first action that set a field, its value is the one the ticket was logged with when the
 * ticket's first action records it (`new_*` on the logging action), otherwise unknown: the rebuilt timeline then
 * starts at the first instant whose team, agent and priority are all known.
 */

type Field = 'status' | 'agent' | 'team' | 'priority';

const PAGE_SIZE = 100;
const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v)
    ? v
    : typeof v === 'string' && /^-?\d+$/.test(v.trim())
      ? Number(v)
      : undefined;

/** Tickets updated in the window, open or closed (one page). */
async function listUpdated(
  ctx: HaloContext,
  window: HistoryWindow,
  page: number,
): Promise<{ ids: string[]; more: boolean }> {
  const res = await haloRequest(ctx, {
    method: 'GET',
    path: '/Tickets',
    query: {
      pageinate: true,
      page_size: PAGE_SIZE,
      page_no: page,
      datesearch: 'lastactiondate',
      startdate: window.from,
      enddate: window.to,
    },
  });
  const list = parseList(res.data, 'tickets', ticketSchema);
  if (!list) throw new ConnectorError('invalid_response', 'Halo answered GET /Tickets without a ticket list');
  const more = list.recordCount !== undefined ? page * PAGE_SIZE < list.recordCount : list.items.length >= PAGE_SIZE;
  // The date filter is weakly specified (halo.md §2.4): the window is checked here too.
  const from = Date.parse(window.from);
  const ids = list.items
    .filter((t) => {
      const stamp = haloInstant(t.last_update) ?? haloInstant(t.lastactiondate);
      return stamp === undefined || Date.parse(stamp) >= from;
    })
    .map((t) => String(t.id));
  return { ids, more: more && list.items.length > 0 };
}

/** Every action of a ticket, system actions included (field changes are recorded on them too), every page. */
async function allActions(ctx: HaloContext, id: number): Promise<RawRecord[]> {
  return listActions(ctx, id);
}

interface Change {
  at: string;
  field: Field;
  to: unknown;
  /** The documented old value (status only). */
  from?: unknown;
}

function changesIn(action: RawRecord): Change[] {
  const stamp = haloInstant(action['datetime']) ?? haloInstant(action['actiondatecreated']);
  if (stamp === undefined) return [];
  const at = new Date(Date.parse(stamp)).toISOString();
  const out: Change[] = [];
  const status = int(action['new_status']);
  if (status !== undefined && status > 0)
    out.push({
      at,
      field: 'status',
      to: status,
      ...(int(action['old_status']) ? { from: int(action['old_status']) } : {}),
    });
  const agent = int(action['new_agent']);
  if (agent !== undefined && agent >= 0 && action['new_agent'] !== null) out.push({ at, field: 'agent', to: agent });
  const team = action['new_team'];
  if (typeof team === 'string' && team.trim() !== '') out.push({ at, field: 'team', to: team.trim() });
  const priority = int(action['new_priority']);
  if (priority !== undefined && priority > 0) out.push({ at, field: 'priority', to: priority });
  return out;
}

function setField(raw: RawRecord, field: Field, value: unknown): RawRecord {
  const t = { ...raw };
  if (field === 'status') {
    t['status_id'] = value;
    delete t['status_name'];
  } else if (field === 'priority') {
    t['priority_id'] = value;
    delete t['priority_name'];
  } else if (field === 'team') {
    t['team'] = value;
    delete t['team_id'];
  } else {
    t['agent_id'] = value;
    delete t['agent_name'];
  }
  return t;
}

/**
 * Undoable changes: each change's "before" is the previous change of the same field (or `old_status`). The first
 * change of a field on the ticket's logging action sets the initial value (nothing to undo); the first change of a
 * field after it has an unknown "before": `knownFrom` moves to its instant.
 */
export function undoable(
  actions: RawRecord[],
  createdAt: string,
): { changes: RawChange<RawRecord>[]; knownFrom: string; unreadable: number } {
  const all = actions
    .map((a, i) => ({ a, i, ms: Date.parse(haloInstant(a['datetime']) ?? haloInstant(a['actiondatecreated']) ?? '') }))
    .filter((x) => Number.isFinite(x.ms))
    .sort((x, y) => x.ms - y.ms || Number(x.a['id'] ?? x.i) - Number(y.a['id'] ?? y.i));
  const logging = all[0];
  const last: Partial<Record<Field, unknown>> = {};
  const changes: RawChange<RawRecord>[] = [];
  let knownFrom = createdAt;
  let unreadable = 0;
  for (const x of all) {
    for (const c of changesIn(x.a)) {
      const isLogging = x === logging && Math.abs(x.ms - Date.parse(createdAt)) <= 60_000;
      if (isLogging) {
        last[c.field] = c.to;
        continue;
      }
      const before = c.field === 'status' && c.from !== undefined ? c.from : last[c.field];
      last[c.field] = c.to;
      if (before === undefined) {
        if (Date.parse(c.at) > Date.parse(knownFrom)) knownFrom = c.at;
        unreadable++;
        continue;
      }
      changes.push({ at: c.at, undo: (after) => setField(after, c.field, before) });
    }
  }
  return { changes, knownFrom, unreadable };
}

/** The raw ticket at `at`: stamps set to it, later dates removed, later actions left out of the notes. */
function asOf(fetched: FetchedTicket, raw: RawRecord, at: string): FetchedTicket {
  const t: RawRecord = { ...raw, last_update: at, lastactiondate: at };
  const after = (v: unknown) => {
    const i = haloInstant(v);
    return i !== undefined && Date.parse(i) > Date.parse(at);
  };
  for (const k of ['dateclosed', 'datecleared', 'responsedate']) if (after(t[k])) t[k] = null;
  if (t['dateclosed'] === null) t['hasbeenclosed'] = false;
  const notes = fetched.notes.filter((n) => !isRawRecord(n) || !after(n['datetime']));
  const { gone: _gone, ...rest } = fetched;
  return { ...rest, ticket: t, notes };
}

async function ticketHistory(
  ctx: HaloContext,
  ticketId: string,
  window: HistoryWindow,
): Promise<TicketHistoryRead | undefined> {
  let fetched: FetchedTicket;
  try {
    fetched = await loadTicket(ctx, ticketId);
  } catch (e) {
    if (toConnectorError(e).code === 'not_found') return undefined;
    throw e;
  }
  if (fetched.gone) return undefined;
  const current = fetched.ticket as RawRecord;
  const createdAt = haloInstant(current['dateoccurred']) ?? haloInstant(current['datecreated']);
  if (createdAt === undefined) return undefined;
  const { changes, knownFrom, unreadable } = undoable(
    await allActions(ctx, ticketNumber(ticketId)),
    new Date(Date.parse(createdAt)).toISOString(),
  );
  const states = replayBackwards(current, createdAt, changes, window.to).filter((s, i, list) => {
    // States before `knownFrom` have a field whose value is unknown: the timeline starts at the state in force then.
    const next = list[i + 1];
    return next === undefined || Date.parse(next.at) > Date.parse(knownFrom);
  });
  const snapshots = states.map((s, i) => {
    const at =
      i === 0 && Date.parse(s.at) < Date.parse(knownFrom) ? new Date(Date.parse(knownFrom)).toISOString() : s.at;
    return { at, fetched: asOf(fetched, s.raw, at) };
  });
  return { ticketId, snapshots, unreadable };
}

/** One page of updated tickets (up to 100) with their rebuilt snapshots. */
export async function readHaloHistory(
  ctx: HaloContext,
  window: HistoryWindow,
  page?: string,
): Promise<Result<HistoryPage, ConnectorError>> {
  const pageNo = page === undefined ? 1 : Number(page);
  if (!Number.isSafeInteger(pageNo) || pageNo < 1)
    return err(new ConnectorError('validation', `bad page token ${JSON.stringify(page)}`, { retryable: false }));
  return attempt(async () => {
    const listed = await listUpdated(ctx, window, pageNo);
    const nextPage = listed.more ? String(pageNo + 1) : undefined;
    return readHistoryPage(listed.ids, nextPage, (id) => ticketHistory(ctx, id, window));
  });
}
