import type { Decision } from '../../contract/index.js';
import type { AppConfig } from '../../config/types.js';
import { compileCalendars } from '../../engine/calendar.js';
import type { BusinessCalendar } from '../../engine/types.js';
import type { TicketRecord, TicketStore } from '../../store/ticket-store.js';

// `GET /api/tickets` (issue 16, the console's "At risk" page): every open ticket across instances, with what will
// happen to it next — the earliest SLA due instant or scheduled check — in business time.

export type TicketSort = 'risk' | 'updated';

export interface TicketListQuery {
  /** Only these instances (all configured ones when omitted). */
  instances: string[];
  sort: TicketSort;
  tier?: string;
  /** Queue or team name/id (the ticket's location). */
  group?: string;
  /** Company name or id (case-insensitive substring of the name, or exact id). */
  company?: string;
  limit: number;
  /** Offset into the sorted list, as returned in `nextCursor`. */
  cursor?: string;
}

export interface ListedClock {
  name: 'firstResponse' | 'resolution';
  dueAt: string;
  paused: boolean;
  breached: boolean;
  usedPct: number;
  /** Business ms left until `dueAt` at `asOf` (negative: overdue by that much business time). */
  businessRemainingMs: number;
}

export interface ListedTicket {
  instanceId: string;
  psa: string;
  ticketId: string;
  number: string | null;
  title: string;
  company: string;
  priority: string;
  tier: string | null;
  status: string;
  statusCategory: string;
  owner: string | null;
  location: string | null;
  updatedAt: string;
  nextCheckAt: string | null;
  clocks: ListedClock[];
  /** The calendar the SLA clocks count in, its zone, and whether it is open at `asOf` with no clock paused. */
  calendar: { name: string; timezone: string; openNow: boolean; nextChangeAt: string | null };
  /** Rules close to firing (near misses of the last evaluation). */
  nextRules: { rule: string; text: string }[];
  /** The earliest of the open SLA due instants and the next check: what the list is sorted by. */
  risk: { at: string; kind: 'sla' | 'check' } | null;
}

export interface TicketListPage {
  asOf: string;
  total: number;
  items: ListedTicket[];
  nextCursor: string | null;
}

const CLOSED = new Set(['resolved', 'closed']);
const toSecond = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The calendar a ticket's SLA clocks count in: the priority's `sla.<P>.calendar`, else the policy's. */
function calendarFor(
  config: AppConfig,
  record: TicketRecord,
  calendars: Record<string, BusinessCalendar>,
): BusinessCalendar {
  const instance = config.instances.find((i) => i.info.id === record.instanceId);
  const policy = instance ? config.policies[instance.info.policy] : undefined;
  const level = record.ticket.priority.level;
  const slaCalendar = level === null ? undefined : policy?.sla[`P${level}`]?.calendar;
  const name = slaCalendar ?? policy?.calendar ?? 'always';
  return calendars[name] ?? calendars['always']!;
}

function listed(record: TicketRecord, calendar: BusinessCalendar, now: number): ListedTicket {
  const t = record.ticket;
  const decision: Decision | undefined = record.lastDecision;
  const clocks: ListedClock[] = [];
  for (const name of ['firstResponse', 'resolution'] as const) {
    const c = decision?.clocks[name];
    if (!c || c.stopped) continue;
    const due = Date.parse(c.dueAt);
    const remaining = due >= now ? calendar.businessBetween(now, due) : -calendar.businessBetween(due, now);
    clocks.push({
      name,
      dueAt: c.dueAt,
      paused: c.paused,
      breached: c.breached || due <= now,
      usedPct: c.usedPct,
      businessRemainingMs: remaining,
    });
  }
  const candidates: { at: number; kind: 'sla' | 'check' }[] = clocks
    .filter((c) => !c.paused)
    .map((c) => ({ at: Date.parse(c.dueAt), kind: 'sla' as const }));
  if (record.nextCheckAt !== null) candidates.push({ at: Date.parse(record.nextCheckAt), kind: 'check' });
  candidates.sort((a, b) => a.at - b.at);
  const first = candidates[0];
  const anyPaused = clocks.some((c) => c.paused);
  const edge = calendar.nextEdge(now);
  const location =
    t.location.team?.name ?? t.location.queue?.name ?? t.location.team?.id ?? t.location.queue?.id ?? null;
  return {
    instanceId: record.instanceId,
    psa: record.psa,
    ticketId: record.ticketId,
    number: t.number ?? null,
    title: t.title,
    company: t.company.name ?? t.company.id,
    priority: t.priority.name,
    tier: record.tier,
    status: t.status.name,
    statusCategory: t.status.category,
    owner: t.owner === null ? null : (t.owner.name ?? t.owner.id),
    location,
    updatedAt: t.updatedAt,
    nextCheckAt: record.nextCheckAt,
    clocks,
    calendar: {
      name: calendar.name,
      timezone: calendar.timezone,
      openNow: calendar.isOpen(now) && !anyPaused,
      nextChangeAt: Number.isFinite(edge) ? toSecond(edge) : null,
    },
    nextRules: (decision?.nearMisses ?? []).map((m) => ({ rule: m.rule, text: m.text })),
    risk: first ? { at: toSecond(first.at), kind: first.kind } : null,
  };
}

function matches(t: ListedTicket, record: TicketRecord, q: TicketListQuery): boolean {
  if (q.tier !== undefined && t.tier !== q.tier) return false;
  if (q.group !== undefined) {
    const loc = record.ticket.location;
    const names = [loc.queue?.name, loc.queue?.id, loc.team?.name, loc.team?.id]
      .filter((v): v is string => v !== undefined)
      .map((v) => v.toLowerCase());
    if (!names.includes(q.group.toLowerCase())) return false;
  }
  if (q.company !== undefined) {
    const c = record.ticket.company;
    const needle = q.company.toLowerCase();
    if (c.id !== q.company && !(c.name ?? '').toLowerCase().includes(needle)) return false;
  }
  return true;
}

/** Lists open tickets across instances, filtered and sorted, one page at a time. */
export function createTicketLister(deps: { config: AppConfig; tickets: TicketStore; now: () => number }) {
  const calendars = compileCalendars(deps.config.calendars);
  return async (q: TicketListQuery): Promise<TicketListPage> => {
    const now = deps.now();
    const all: ListedTicket[] = [];
    for (const instanceId of q.instances) {
      for (const record of await deps.tickets.list(instanceId)) {
        if (CLOSED.has(record.statusCategory) || CLOSED.has(record.ticket.status.category)) continue;
        const item = listed(record, calendarFor(deps.config, record, calendars), now);
        if (matches(item, record, q)) all.push(item);
      }
    }
    const key = (t: ListedTicket) => (t.risk ? Date.parse(t.risk.at) : Infinity);
    if (q.sort === 'risk')
      all.sort(
        (a, b) => key(a) - key(b) || a.instanceId.localeCompare(b.instanceId) || a.ticketId.localeCompare(b.ticketId),
      );
    else all.sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt) || a.ticketId.localeCompare(b.ticketId));
    const offset = q.cursor === undefined ? 0 : Number(q.cursor);
    const items = all.slice(offset, offset + q.limit);
    const end = offset + items.length;
    return { asOf: toSecond(now), total: all.length, items, nextCursor: end < all.length ? String(end) : null };
  };
}
