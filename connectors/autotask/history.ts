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

import { atRequest } from './client.js';
import type { AtContext } from './client.js';
import type { Picklists } from './lookups.js';
import { fetchTicket, listChangedSince } from './read.js';
import type { AutotaskLookups } from './read.js';
import { itemsSchema } from './schemas.js';
import { parseInstant } from './mapping.js';

/**
 * `backtest --from-psa` for Autotask (README.md "History"; docs/psa/autotask.md §10): tickets changed in the window
 * (`lastTrackedModificationDateTime` or `lastActivityDate` after its start, the reconciliation query), each ticket's
 * TicketHistory (`POST /TicketHistory/query` with exactly one filter, `ticketID eq`: any other filter or operator is
 * refused), replayed backwards from the current ticket. A history row is `{id, ticketID, action, detail, date,
 * resourceID}`: the change is only in `detail`, in words with picklist labels and resource names, so labels are
 * resolved through the ticket's picklists (already read with the ticket) and names through the resources.
 */

type Field = 'queueID' | 'status' | 'priority' | 'assignedResourceID';

const maxHistoryPages = 20;
const lookupTtlMs = 3_600_000;

export interface TicketHistoryRow {
  id?: number;
  ticketID?: number;
  action?: string;
  detail?: string;
  date?: string;
  resourceID?: number;
}

function fieldOf(label: string): Field | undefined {
  const l = label.trim().toLowerCase();
  if (l === 'queue') return 'queueID';
  if (l === 'status') return 'status';
  if (l === 'priority') return 'priority';
  if (l === 'primary resource' || l === 'resource' || l === 'assigned resource') return 'assignedResourceID';
  return undefined;
}

/** Every TicketHistory row of a ticket (500 per page, `nextPageUrl` POSTed with the same body). */
export async function readTicketHistory(ctx: AtContext, ticketId: string): Promise<TicketHistoryRow[]> {
  const body = { filter: [{ op: 'eq', field: 'ticketID', value: Number(ticketId) }] };
  const out: TicketHistoryRow[] = [];
  let path = '/TicketHistory/query';
  for (let page = 0; page < maxHistoryPages; page++) {
    const res = await atRequest(ctx, { method: 'POST', path, json: body, idempotent: true });
    const parsed = itemsSchema.safeParse(res.data);
    if (!parsed.success)
      throw new ConnectorError('invalid_response', 'Autotask answered the ticket history query without items', {
        retryable: true,
      });
    out.push(...parsed.data.items.filter(isRawRecord));
    const next = parsed.data.pageDetails?.nextPageUrl;
    if (!next) return out;
    path = next;
  }
  throw new ConnectorError(
    'invalid_response',
    `Autotask kept paging the history of ticket ${ticketId} past ${maxHistoryPages} pages`,
    { retryable: false },
  );
}

interface Resource {
  id: number;
  firstName?: string;
  lastName?: string;
  userName?: string;
}

/** Every resource (id and names), read once per run and cached: history rows name resources, not ids. */
async function resources(ctx: AtContext): Promise<Resource[]> {
  const key = `autotask:hist:resources:${ctx.instance.id}`;
  const hit = await ctx.cache.get<Resource[]>(key);
  if (hit) return hit;
  const body = { includeFields: ['id', 'firstName', 'lastName', 'userName'], filter: [{ op: 'exist', field: 'id' }] };
  const out: Resource[] = [];
  let path = '/Resources/query';
  for (let page = 0; page < maxHistoryPages; page++) {
    const res = await atRequest(ctx, { method: 'POST', path, json: body, idempotent: true });
    const parsed = itemsSchema.safeParse(res.data);
    if (!parsed.success) break;
    for (const r of parsed.data.items)
      if (isRawRecord(r) && typeof r['id'] === 'number') out.push(r as unknown as Resource);
    const next = parsed.data.pageDetails?.nextPageUrl;
    if (!next) break;
    path = next;
  }
  await ctx.cache.set(key, out, lookupTtlMs);
  return out;
}

const same = (a: unknown, b: string) => typeof a === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();
const fullName = (r: Resource) =>
  [r.firstName, r.lastName].filter((x) => typeof x === 'string' && x.trim() !== '').join(' ');

/** A picklist label (or the value itself) → the picklist value as a number. */
function picklistValue(picklists: Picklists | undefined, field: string, label: string): number | undefined {
  const hit = (picklists?.[field] ?? []).find((p) => same(p.label, label) || p.value === label);
  const n = hit ? Number(hit.value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The raw ticket at `at`: stamps set to it, later dates removed, later notes left out, the owner's record switched. */
function asOf(fetched: FetchedTicket, raw: RawRecord, at: string, people: Resource[]): FetchedTicket {
  const atMs = Date.parse(at);
  const t: RawRecord = { ...raw, lastTrackedModificationDateTime: at, lastActivityDate: at };
  const after = (v: unknown) => {
    const ms = parseInstant(v);
    return ms !== undefined && ms > atMs;
  };
  for (const k of ['completedDate', 'resolvedDateTime', 'firstResponseDateTime', 'resolutionPlanDateTime'])
    if (after(t[k])) t[k] = null;
  const notes = fetched.notes.filter((n) => !isRawRecord(n) || !after(n['createDateTime'] ?? n['lastActivityDate']));
  const lookups = { ...(fetched.lookups ?? {}) } as AutotaskLookups & Record<string, unknown>;
  const owner = people.find((p) => p.id === t['assignedResourceID']);
  if (t['assignedResourceID'] !== (fetched.ticket as RawRecord)['assignedResourceID']) {
    if (owner) lookups.owner = { ...owner };
    else delete lookups.owner;
  }
  return { ticket: t, notes, lookups };
}

async function changesOf(
  ctx: AtContext,
  picklists: Picklists | undefined,
  rows: TicketHistoryRow[],
): Promise<{ changes: RawChange<RawRecord>[]; unreadable: number }> {
  const changes: RawChange<RawRecord>[] = [];
  let unreadable = 0;
  for (const row of rows) {
    const ms = parseInstant(row.date);
    if (ms === undefined) continue;
    for (const c of parseChangeText(row.detail ?? '')) {
      const field = fieldOf(c.label);
      if (!field) continue;
      let value: number | null | undefined;
      if (c.from === '') value = null;
      else if (field === 'assignedResourceID')
        value = (await resources(ctx)).find((r) => same(fullName(r), c.from) || same(r.userName, c.from))?.id;
      else value = picklistValue(picklists, field, c.from);
      if (value === undefined) {
        unreadable++;
        continue;
      }
      const v = value;
      changes.push({
        at: iso(ms),
        undo: (afterState) => ({
          ...afterState,
          [field]: v,
          ...(field === 'assignedResourceID' && v === null ? { assignedResourceRoleID: null } : {}),
        }),
      });
    }
  }
  return { changes, unreadable };
}

async function ticketHistory(
  ctx: AtContext,
  ticketId: string,
  window: HistoryWindow,
): Promise<TicketHistoryRead | undefined> {
  const fetched = currentTicket(await fetchTicket(ctx, ticketId));
  if (!fetched) return undefined;
  const current = fetched.ticket as RawRecord;
  const createdMs = parseInstant(current['createDate']);
  if (createdMs === undefined) return undefined;
  const lookups = fetched.lookups as AutotaskLookups | undefined;
  const { changes, unreadable } = await changesOf(ctx, lookups?.picklists, await readTicketHistory(ctx, ticketId));
  const people = changes.length > 0 ? await resources(ctx) : [];
  const states = replayBackwards(current, iso(createdMs), changes, window.to);
  return {
    ticketId,
    snapshots: states.map((s) => ({ at: s.at, fetched: asOf(fetched, s.raw, s.at, people) })),
    unreadable,
  };
}

/** One page of changed tickets (the reconciliation query, up to 500) with their rebuilt snapshots. */
export async function readAutotaskHistory(
  ctx: AtContext,
  window: HistoryWindow,
  page?: string,
): Promise<Result<HistoryPage, ConnectorError>> {
  const listed = await listChangedSince(ctx, window.from, page);
  if (!listed.ok) return listed;
  const ids = listed.value.items.map((item) => item.ticketId);
  return attempt(() => readHistoryPage(ids, listed.value.nextPage, (id) => ticketHistory(ctx, id, window)));
}
