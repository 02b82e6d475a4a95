import {
  ConnectorError,
  attempt,
  isRawRecord,
  currentTicket,
  parseChangeText,
  readHistoryPage,
  replayBackwards,
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

import { cwRequest } from './client.js';
import type { CwContext } from './client.js';
import { boardStatuses } from './lookups.js';
import { idString, toUtc } from './mapping.js';
import { fetchTicket, listChangedSince } from './read.js';

/**
 * `backtest --from-psa` for ConnectWise PSA (README.md "History"; docs/psa/connectwise.md §4.11): tickets changed in
 * the window (`conditions=lastUpdated>[…]`), each ticket's audit trail (`GET /system/audittrail?type=Ticket&id=…`,
 * navigable paging only: forward-only paging does not work on audit trail endpoints), replayed backwards from the
 * current ticket. An audit entry is `{text, enteredDate, enteredBy, auditType, auditSubType, auditSource}`: the change
 * is only in `text`, with names (not ids), so names are resolved through the board, team, status and priority lists.
 */

type Field = 'board' | 'team' | 'status' | 'priority' | 'owner';

const auditPageSize = 1000;
const maxAuditPages = 20;
const lookupTtlMs = 3_600_000;

export interface AuditEntry {
  text?: string;
  enteredDate?: string;
  enteredBy?: string;
  auditType?: string;
  auditSubType?: string;
}

function fieldOf(label: string): Field | undefined {
  const l = label.trim().toLowerCase();
  if (l === 'board' || l === 'service board') return 'board';
  if (l === 'team' || l === 'service team') return 'team';
  if (l === 'status') return 'status';
  if (l === 'priority') return 'priority';
  if (l === 'owner' || l === 'ticket owner' || l === 'resource owner') return 'owner';
  return undefined;
}

/** An audit entry whose text is a change of a field we rebuild (`Status changed from "New" to "In Progress"`). */
export function parseAuditEntry(e: AuditEntry): { at: string; field: Field; from: string; to: string } | undefined {
  const at = toUtc(e.enteredDate);
  const c = parseChangeText(e.text ?? '')[0];
  const field = c ? fieldOf(c.label) : undefined;
  return at === undefined || !c || !field ? undefined : { at, field, from: c.from, to: c.to };
}

const omit = (o: RawRecord, keys: readonly string[]): RawRecord =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const rows = (data: unknown): RawRecord[] => (Array.isArray(data) ? data.filter(isRawRecord) : []);
const same = (a: unknown, b: string) => typeof a === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

/** Every audit trail entry of a ticket (navigable paging, `Link: rel="next"` or a full page). */
export async function readAuditTrail(ctx: CwContext, ticketId: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (let page = 1; page <= maxAuditPages; page++) {
    const res = await cwRequest(ctx, {
      method: 'GET',
      path: '/system/audittrail',
      query: { type: 'Ticket', id: ticketId, page, pageSize: auditPageSize },
    });
    const list = rows(res.data);
    out.push(...list);
    const link = res.headers['link'];
    const more = link && link.trim() !== '' ? /rel="?next"?/i.test(link) : list.length >= auditPageSize;
    if (!more || list.length === 0) return out;
  }
  throw new ConnectorError(
    'invalid_response',
    `ConnectWise kept paging the audit trail of ticket ${ticketId} past ${maxAuditPages} pages`,
    { retryable: false },
  );
}

async function cached<T>(ctx: CwContext, key: string, load: () => Promise<T>): Promise<T> {
  const hit = await ctx.cache.get<T>(key);
  if (hit !== undefined) return hit;
  const value = await load();
  await ctx.cache.set(key, value, lookupTtlMs);
  return value;
}

/** Names → references: boards, their teams and statuses, priorities (each list read once, cached). */
class Names {
  constructor(private readonly ctx: CwContext) {}
  private boards(): Promise<{ id: number; name: string }[]> {
    return cached(this.ctx, `cw:hist:boards:${this.ctx.instance.id}`, async () => {
      const res = await cwRequest(this.ctx, {
        method: 'GET',
        path: '/service/boards',
        query: { fields: 'id,name', pageSize: 1000 },
      });
      return rows(res.data).flatMap((r) =>
        typeof r['id'] === 'number' && typeof r['name'] === 'string' ? [{ id: r['id'], name: r['name'] }] : [],
      );
    });
  }
  private teams(board: number): Promise<{ id: number; name: string }[]> {
    return cached(this.ctx, `cw:hist:teams:${this.ctx.instance.id}:${board}`, async () => {
      const res = await cwRequest(this.ctx, {
        method: 'GET',
        path: `/service/boards/${board}/teams`,
        query: { fields: 'id,name', pageSize: 1000 },
      });
      return rows(res.data).flatMap((r) =>
        typeof r['id'] === 'number' && typeof r['name'] === 'string' ? [{ id: r['id'], name: r['name'] }] : [],
      );
    });
  }
  async board(name: string): Promise<RawRecord | undefined> {
    const b = (await this.boards()).find((x) => same(x.name, name));
    return b ? { id: b.id, name: b.name } : undefined;
  }
  /** Boards to search for a team or status name: the ticket's board at that instant first, then every other. */
  private async boardOrder(first: unknown): Promise<number[]> {
    const id = isRawRecord(first) ? Number(idString(first['id'])) : NaN;
    const all = (await this.boards()).map((b) => b.id);
    return Number.isFinite(id) ? [id, ...all.filter((b) => b !== id)] : all;
  }
  async team(name: string, board: unknown): Promise<RawRecord | undefined> {
    for (const b of await this.boardOrder(board)) {
      const t = (await this.teams(b)).find((x) => same(x.name, name));
      if (t) return { id: t.id, name: t.name };
    }
    return undefined;
  }
  async status(name: string, board: unknown): Promise<RawRecord | undefined> {
    for (const b of await this.boardOrder(board)) {
      const s = (await boardStatuses(this.ctx, b)).find((x) => same(x.name, name));
      if (s) return { id: s.id, name: s.name };
    }
    return undefined;
  }
  async priority(name: string): Promise<RawRecord | undefined> {
    const list = await cached(this.ctx, `cw:hist:priorities:${this.ctx.instance.id}`, async () => {
      const res = await cwRequest(this.ctx, { method: 'GET', path: '/service/priorities', query: { pageSize: 1000 } });
      return rows(res.data).flatMap((r) =>
        typeof r['id'] === 'number' && typeof r['name'] === 'string'
          ? [{ id: r['id'], name: r['name'], sort: r['sort'] }]
          : [],
      );
    });
    const p = list.find((x) => same(x.name, name));
    return p ? { id: p.id, name: p.name, ...(typeof p.sort === 'number' ? { sort: p.sort } : {}) } : undefined;
  }
}

/** The raw ticket as it was at `at`: dates not reached yet are removed, notes not written yet are left out. */
function asOf(fetched: FetchedTicket, raw: RawRecord, at: string): FetchedTicket {
  const t: RawRecord = { ...raw, _info: { ...(isRawRecord(raw['_info']) ? raw['_info'] : {}), lastUpdated: at } };
  const after = (v: unknown) => {
    const u = toUtc(v);
    return u !== undefined && u > at;
  };
  const later = ['dateResolved', 'closedDate', 'dateResponded'].filter((k) => after(t[k]));
  const u = omit(t, later);
  if (u['closedDate'] === undefined && u['closedFlag'] === true) u['closedFlag'] = false;
  const notes = fetched.notes.filter((n) => !isRawRecord(n) || !after(n['dateCreated']));
  const { gone: _gone, ...rest } = fetched;
  return { ...rest, ticket: u, notes };
}

/**
 * Audit entries → undoable changes, names resolved first. A team or status name is looked up on the board the ticket
 * was on just before the change (board changes replayed backwards), then on every other board. An entry whose name
 * resolves to nothing is counted as unreadable and leaves the field unchanged.
 */
async function changesOf(
  names: Names,
  current: RawRecord,
  entries: AuditEntry[],
): Promise<{ changes: RawChange<RawRecord>[]; unreadable: number }> {
  const parsed = entries.flatMap((e) => {
    const c = parseAuditEntry(e);
    return c ? [c] : [];
  });
  const boardChanges = parsed.filter((c) => c.field === 'board').sort((a, b) => (a.at < b.at ? 1 : -1));
  const boardBefore = async (at: string): Promise<unknown> => {
    let board: unknown = current['board'];
    for (const b of boardChanges)
      if (b.at >= at) board = b.from === '' ? undefined : ((await names.board(b.from)) ?? board);
    return board;
  };
  const changes: RawChange<RawRecord>[] = [];
  let unreadable = 0;
  for (const c of parsed) {
    let ref: RawRecord | null | undefined;
    if (c.from === '') ref = null;
    else if (c.field === 'board') ref = await names.board(c.from);
    else if (c.field === 'team') ref = await names.team(c.from, await boardBefore(c.at));
    else if (c.field === 'status') ref = await names.status(c.from, await boardBefore(c.at));
    else if (c.field === 'priority') ref = await names.priority(c.from);
    else ref = { identifier: c.from };
    if (ref === undefined) {
      unreadable++;
      continue;
    }
    const value = ref;
    changes.push({
      at: c.at,
      undo: (after) => (value === null ? omit(after, [c.field]) : { ...after, [c.field]: value }),
    });
  }
  return { changes, unreadable };
}

/** One ticket: its current state, its audit trail, the snapshots rebuilt from them. */
async function ticketHistory(
  ctx: CwContext,
  names: Names,
  ticketId: string,
  window: HistoryWindow,
): Promise<TicketHistoryRead | undefined> {
  const fetched = currentTicket(await fetchTicket(ctx, ticketId));
  if (!fetched || fetched.gone) return undefined;
  const current = fetched.ticket as RawRecord;
  const info = isRawRecord(current['_info']) ? current['_info'] : {};
  const createdAt = toUtc(info['dateEntered']) ?? toUtc(info['lastUpdated']);
  if (createdAt === undefined) return undefined;
  const { changes, unreadable } = await changesOf(names, current, await readAuditTrail(ctx, ticketId));
  const states = replayBackwards(current, createdAt, changes, window.to);
  return {
    ticketId,
    snapshots: states.map((s) => ({ at: s.at, fetched: asOf(fetched, s.raw, s.at) })),
    unreadable,
  };
}

/** One page of changed tickets (the reconciliation listing, up to 1,000) with their rebuilt snapshots. */
export async function readHistory(
  ctx: CwContext,
  window: HistoryWindow,
  page?: string,
): Promise<Result<HistoryPage, ConnectorError>> {
  const listed = await listChangedSince(ctx, window.from, page);
  if (!listed.ok) return listed;
  const names = new Names(ctx);
  const ids = listed.value.items.map((item) => item.ticketId);
  return attempt(() => readHistoryPage(ids, listed.value.nextPage, (id) => ticketHistory(ctx, names, id, window)));
}
