import type { FetchedTicket } from './connector.js';
import type { ConnectorError } from './errors.js';
import type { Result } from './result.js';

/**
 * Ticket history read back from a PSA (`backtest --from-psa`, docs/backtest.md "--from-psa"): each connector lists
 * the tickets changed in a window, reads the history its PSA keeps (ConnectWise audit trail, Autotask TicketHistory,
 * Halo actions) and rebuilds the raw ticket as it was at each change. The caller normalizes every snapshot with the
 * connector's own `normalize`, so a rebuilt ticket reads exactly like a live one.
 */

/** A PSA's raw JSON object (a ticket, a history row) before the connector's own schemas read it. */
export type RawRecord = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export const isRawRecord = (v: unknown): v is RawRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface HistoryWindow {
  /** ISO instant: tickets changed at or after it are read. */
  from: string;
  /** ISO instant: snapshots after it are left out. */
  to: string;
}

export interface HistorySnapshot {
  at: string;
  fetched: FetchedTicket;
}

export interface TicketHistoryRead {
  ticketId: string;
  /** In time order; the first is the ticket at creation (or at the oldest instant the history can rebuild). */
  snapshots: HistorySnapshot[];
  /** History entries the reader could not use (a text it cannot parse, a name it cannot resolve). */
  unreadable: number;
}

export interface HistoryPage {
  tickets: TicketHistoryRead[];
  /** Opaque token for the next page; absent on the last page. */
  nextPage?: string;
}

/** One change of one field, as the PSA's history recorded it: undone on the raw ticket to step back in time. */
export interface RawChange<T> {
  at: string;
  /** Returns the raw ticket as it was just before this change (never mutates `after`). */
  undo(after: T): T;
}

/**
 * Replays changes backwards from the current raw ticket: the state after the newest change is the current ticket,
 * each earlier state undoes one more change. Returns one state per distinct instant, oldest first, starting with the
 * state at `createdAt` (before any change). Changes before `createdAt` or after `until` are ignored (the
 * current ticket already holds them, or they happened after the window). Pure.
 */
export function replayBackwards<T>(
  current: T,
  createdAt: string,
  changes: readonly RawChange<T>[],
  until: string,
): { at: string; raw: T }[] {
  const created = Date.parse(createdAt);
  const end = Date.parse(until);
  const usable = changes
    .map((c, i) => ({ c, i, ms: Date.parse(c.at) }))
    .filter((x) => Number.isFinite(x.ms) && x.ms >= created)
    .sort((a, b) => a.ms - b.ms || a.i - b.i);
  // Changes after the window are undone first: the snapshots stop at `until`.
  let state = current;
  for (const x of [...usable].reverse()) if (x.ms > end) state = x.c.undo(state);
  const kept = usable.filter((x) => x.ms <= end);
  const out: { at: string; raw: T }[] = [];
  for (let k = kept.length - 1; k >= 0; k--) {
    const x = kept[k]!;
    const at = new Date(x.ms).toISOString();
    if (out.length === 0 || out[0]!.at !== at) out.unshift({ at, raw: state });
    state = x.c.undo(state);
  }
  if (created <= end) {
    const at = new Date(created).toISOString();
    if (out.length === 0 || out[0]!.at !== at) out.unshift({ at, raw: state });
  }
  return out;
}

/**
 * Changes written in words, as PSA histories record them: `Status changed from "New" to "In Progress"` (also
 * `… has been changed from …`, `… was changed from …`), one per line or separated by `;`. Values are what the PSA
 * shows (names, labels), quoted; `""` is an empty value. Lines in any other form are not returned. Pure.
 */
export function parseChangeText(text: string): { label: string; from: string; to: string }[] {
  const out: { label: string; from: string; to: string }[] = [];
  for (const part of text.split(/\r?\n|;\s+(?=[A-Z])/)) {
    const m = /^\s*(.+?)\s+(?:has been\s+|was\s+)?changed\s+from\s+"(.*)"\s+to\s+"(.*)"\s*\.?\s*$/i.exec(part);
    if (m) out.push({ label: m[1]!.trim(), from: m[2]!.trim(), to: m[3]!.trim() });
  }
  return out;
}

/**
 * One page of history, the flow every connector's reader shares: each listed ticket read in turn (in order), the
 * tickets with no snapshot in the window left out, the listing's next-page token passed on. A thrown error ends the
 * page (the caller turns it into an `err` value with `attempt`).
 */
export async function readHistoryPage(
  ticketIds: readonly string[],
  nextPage: string | undefined,
  readTicket: (ticketId: string) => Promise<TicketHistoryRead | undefined>,
): Promise<HistoryPage> {
  const tickets: TicketHistoryRead[] = [];
  for (const id of ticketIds) {
    const h = await readTicket(id);
    if (h && h.snapshots.length > 0) tickets.push(h);
  }
  return { tickets, ...(nextPage ? { nextPage } : {}) };
}

/** The current ticket a history is rebuilt from: `undefined` when the PSA no longer has it, any other error thrown. */
export function currentTicket(fetched: Result<FetchedTicket, ConnectorError>): FetchedTicket | undefined {
  if (fetched.ok) return fetched.value;
  if (fetched.error.code === 'not_found') return undefined;
  throw fetched.error;
}
