import type { Ticket } from '../contract/index.js';
import { ownerMatches } from '../store/ticket-state.js';
import type { InstanceCounters } from '../store/ticket-state.js';
import { allMembers, signature } from '../store/ticket-counters.js';
import type { PolicyFacts } from '../store/ticket-counters.js';

type RecurringFacts = PolicyFacts['recurring'][number];

import type { IndexTicket, IndexTimeline } from './timeline.js';

/**
 * The instance-wide counters the engine reads through the ticket state (docs/spec.md §2 `recurring`, `least-loaded`), built
 * for a backtest from every timeline in a first pass, so each ticket can then be simulated on its own (in any order,
 * on any worker) and still see what the live service would have counted:
 *
 * - recurring: live records each ticket's createdAt under its company/category signature when it is first evaluated
 *   and counts tickets created in [now − within, now]; with every ticket recorded up front the count at `now` is the
 *   same whatever order tickets are simulated in.
 * - member loads: live counts, per group member, the open tickets it owns as last observed; here the owner intervals
 *   come from the real snapshots (a simulated move of another ticket does not change them — stated in docs/backtest.md).
 *
 * Plain arrays and records only: the index is handed to worker threads by structured clone.
 */
export interface CrossTicketData {
  /**
   * Per recurring window key: signature → distinct tickets as [createdAt ms, first observed ms] pairs flattened,
   * sorted by createdAt. Live records a ticket when it first evaluates it, so a ticket counts from its first snapshot.
   */
  recurring: Record<string, Record<string, number[]>>;
  /** Per group member: sorted starts and ends of "open and owned by the member" intervals. */
  loads: Record<string, { starts: number[]; ends: number[] }>;
  /** The latest snapshot instant of every timeline (where scheduled checks stop). */
  horizon: number;
}

/** What a signature reads of a ticket. */
type SigFields = Pick<IndexTicket, 'company' | 'category'>;

/**
 * `signature` (a SHA-256 of the fields' values) memoized on those values: a backtest asks for it at every snapshot and
 * every evaluation of every ticket, over a handful of distinct companies and categories. Bounded.
 */
const sigMemo = new Map<RecurringFacts['same'], Map<string, string | undefined>>();
/** And per ticket object (the simulation evaluates the same object at every scheduled check between snapshots). */
const sigByTicket = new WeakMap<SigFields, Map<RecurringFacts['same'], string | undefined>>();
function signatureOf(ticket: SigFields, same: RecurringFacts['same']): string | undefined {
  let mine = sigByTicket.get(ticket);
  if (!mine) sigByTicket.set(ticket, (mine = new Map()));
  if (mine.has(same)) return mine.get(same);
  const sig = signatureByValue(ticket, same);
  mine.set(same, sig);
  return sig;
}
function signatureByValue(ticket: SigFields, same: RecurringFacts['same']): string | undefined {
  let bySame = sigMemo.get(same);
  if (!bySame) sigMemo.set(same, (bySame = new Map()));
  // Length-prefixed values: an exact key whatever characters the id and categories hold.
  let key = `${ticket.company.id.length}:${ticket.company.id}`;
  for (const c of ticket.category) key += `|${c.length}:${c}`;
  if (bySame.has(key)) return bySame.get(key);
  if (bySame.size >= 50_000) bySame.clear();
  const sig = signature(ticket, same);
  bySame.set(key, sig);
  return sig;
}

/** Per index: its member load arrays as entries (read at every evaluation; computed once). */
const loadEntries = new WeakMap<CrossTicketData['loads'], [string, { starts: number[]; ends: number[] }][]>();

export class CrossTicketBuilder {
  private readonly recurring = new Map<string, Map<string, Map<string, [number, number]>>>();
  /** Pairs merged from other builders, flattened (one entry per ticket: no key string per ticket on the main thread). */
  private readonly mergedRecurring = new Map<string, Map<string, number[]>>();
  private readonly loads = new Map<string, { starts: number[]; ends: number[] }>();
  private readonly members: string[];
  /** owner id → owner name (undefined included) → the member it is (see `memberOf`). */
  private readonly ownerMemo = new Map<string, Map<string | undefined, string | undefined>>();
  private horizon = -Infinity;

  constructor(
    private readonly facts: PolicyFacts,
    private readonly memberIdentities: Readonly<Record<string, unknown>>,
  ) {
    this.members = allMembers(facts.groups);
  }

  add(timeline: IndexTimeline): void {
    const snaps = timeline.snapshots;
    const seen = Date.parse(snaps[0]!.at);
    for (const r of this.facts.recurring) {
      for (const s of snaps) {
        const created = Date.parse(s.ticket.createdAt);
        const sig = signatureOf(s.ticket, r.same);
        if (sig === undefined || Number.isNaN(created)) continue;
        let bySig = this.recurring.get(r.key);
        if (!bySig) this.recurring.set(r.key, (bySig = new Map()));
        let tickets = bySig.get(sig);
        if (!tickets) bySig.set(sig, (tickets = new Map()));
        const key = `${timeline.instance}\n${s.ticket.ref.id}`;
        if (!tickets.has(key)) tickets.set(key, [created, seen]);
      }
    }
    for (let i = 0; i < snaps.length; i++) {
      const s = snaps[i]!;
      const member = this.memberOf(s.ticket);
      if (member === undefined) continue;
      const at = Date.parse(s.at);
      const end = i + 1 < snaps.length ? Date.parse(snaps[i + 1]!.at) : Infinity;
      let l = this.loads.get(member);
      if (!l) this.loads.set(member, (l = { starts: [], ends: [] }));
      l.starts.push(at);
      if (end !== Infinity) l.ends.push(end);
    }
    const last = Date.parse(snaps[snaps.length - 1]!.at);
    if (last > this.horizon) this.horizon = last;
  }

  private memberOf(ticket: IndexTicket): string | undefined {
    const open = ticket.status.category !== 'resolved' && ticket.status.category !== 'closed';
    const owner = ticket.owner;
    if (!open || !owner) return undefined;
    // Memoized on the owner's id and name (all `ownerMatches` reads): a handful of people own every snapshot.
    let byName = this.ownerMemo.get(owner.id);
    if (!byName) {
      if (this.ownerMemo.size >= 50_000) this.ownerMemo.clear();
      this.ownerMemo.set(owner.id, (byName = new Map()));
    }
    if (byName.has(owner.name)) return byName.get(owner.name);
    const member = this.members.find((m) => ownerMatches(owner, m, this.memberIdentities[m]));
    byName.set(owner.name, member);
    return member;
  }

  /** Merges another builder's data (one per worker in the first pass). */
  merge(data: CrossTicketData): void {
    for (const [key, bySig] of Object.entries(data.recurring)) {
      let mine = this.mergedRecurring.get(key);
      if (!mine) this.mergedRecurring.set(key, (mine = new Map()));
      for (const [sig, times] of Object.entries(bySig)) {
        let pairs = mine.get(sig);
        if (!pairs) mine.set(sig, (pairs = []));
        // Worker data carries no ticket ids: the shards are disjoint, so every pair is another ticket.
        for (const t of times) pairs.push(t);
      }
    }
    for (const [member, l] of Object.entries(data.loads)) {
      let mine = this.loads.get(member);
      if (!mine) this.loads.set(member, (mine = { starts: [], ends: [] }));
      for (const s of l.starts) mine.starts.push(s);
      for (const e of l.ends) mine.ends.push(e);
    }
    if (data.horizon > this.horizon) this.horizon = data.horizon;
  }

  build(): CrossTicketData {
    const all = new Map<string, Map<string, [number, number][]>>();
    for (const [key, bySig] of this.recurring) {
      for (const [sig, tickets] of bySig) pairsOf(all, key, sig).push(...tickets.values());
    }
    for (const [key, bySig] of this.mergedRecurring) {
      for (const [sig, flat] of bySig) {
        const to = pairsOf(all, key, sig);
        for (let k = 0; k < flat.length; k += 2) to.push([flat[k]!, flat[k + 1]!]);
      }
    }
    const recurring: CrossTicketData['recurring'] = {};
    for (const [key, bySig] of all) {
      const out: Record<string, number[]> = {};
      for (const [sig, pairs] of bySig) out[sig] = pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]).flat();
      recurring[key] = out;
    }
    const loads: CrossTicketData['loads'] = {};
    for (const [m, l] of this.loads)
      loads[m] = { starts: [...l.starts].sort((a, b) => a - b), ends: [...l.ends].sort((a, b) => a - b) };
    return { recurring, loads, horizon: this.horizon };
  }
}

function pairsOf(all: Map<string, Map<string, [number, number][]>>, key: string, sig: string): [number, number][] {
  let bySig = all.get(key);
  if (!bySig) all.set(key, (bySig = new Map()));
  let pairs = bySig.get(sig);
  if (!pairs) bySig.set(sig, (pairs = []));
  return pairs;
}

/** Tickets created in [from, to] and first observed by `to` (pairs sorted by createdAt). */
function countRecurring(pairs: readonly number[], from: number, to: number): number {
  let lo = 0;
  let hi = pairs.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pairs[mid * 2]! < from) lo = mid + 1;
    else hi = mid;
  }
  let n = 0;
  for (let k = lo * 2; k < pairs.length && pairs[k]! <= to; k += 2) if (pairs[k + 1]! <= to) n++;
  return n;
}

/** Number of sorted values ≤ x. */
function countAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What `countersAt` looked up last, for the caller to pass again (a simulation evaluates one ticket, whose company and
 * categories rarely change): per recurring window of the policy, the creation instants of its signature.
 */
export interface RecurringLookup {
  /** The signature fields looked up last (a signature reads nothing else). */
  company?: string;
  category?: readonly string[];
  data?: CrossTicketData;
  times: (readonly number[] | undefined)[];
}

function sameFields(memo: RecurringLookup, ticket: SigFields, data: CrossTicketData): boolean {
  const a = memo.category;
  const b = ticket.category;
  if (memo.data !== data || memo.company !== ticket.company.id || !a || a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function recurringTimes(data: CrossTicketData, facts: PolicyFacts, ticket: Ticket, memo?: RecurringLookup) {
  if (memo && sameFields(memo, ticket, data)) return memo.times;
  const times = facts.recurring.map((r) => {
    const sig = signatureOf(ticket, r.same);
    return sig === undefined ? undefined : data.recurring[r.key]?.[sig];
  });
  if (memo) {
    memo.company = ticket.company.id;
    memo.category = ticket.category;
    memo.data = data;
    memo.times = times;
  }
  return times;
}

/** The counters a live worker would read at `now` for `ticket` (cursors are the simulation's own, per ticket). */
export function countersAt(
  data: CrossTicketData,
  facts: PolicyFacts,
  ticket: Ticket,
  now: number,
  groupCursors: Record<string, number>,
  memo?: RecurringLookup,
): InstanceCounters {
  const recurringCounts: Record<string, number> = {};
  const times = recurringTimes(data, facts, ticket, memo);
  for (let k = 0; k < facts.recurring.length; k++) {
    const r = facts.recurring[k]!;
    const t = times[k];
    if (!t) continue;
    recurringCounts[r.key] = countRecurring(t, now - r.within, now);
  }
  const memberLoads: Record<string, number> = {};
  let entries = loadEntries.get(data.loads);
  if (!entries) loadEntries.set(data.loads, (entries = Object.entries(data.loads)));
  for (const [m, l] of entries) {
    const n = countAtMost(l.starts, now) - countAtMost(l.ends, now);
    if (n > 0) memberLoads[m] = n;
  }
  const first = facts.recurring[0];
  return { recurringCount: (first && recurringCounts[first.key]) ?? 0, recurringCounts, groupCursors, memberLoads };
}
