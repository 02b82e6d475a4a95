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
 * The built index keeps its numbers in typed arrays over one SharedArrayBuffer: handed to worker threads, every thread
 * reads the same memory (a structured clone shares it), so it is held once however many workers run.
 */
export interface CrossTicketData {
  /**
   * Per recurring window key: signature → distinct tickets as [createdAt ms, first observed ms] pairs flattened,
   * sorted by createdAt. Live records a ticket when it first evaluates it, so a ticket counts from its first snapshot.
   */
  recurring: Record<string, Record<string, Float64Array>>;
  /** Per group member: sorted starts and ends of "open and owned by the member" intervals. */
  loads: Record<string, { starts: Float64Array; ends: Float64Array }>;
  /** The latest snapshot instant of every timeline (where scheduled checks stop). */
  horizon: number;
}

/**
 * What a builder has gathered and not sorted yet (a worker's share of pass 1, sent to the main thread once, its
 * buffers transferred): the recurring pairs flattened, one entry per ticket, and the load intervals, each in the order
 * they were added.
 */
export interface CrossTicketShard {
  recurring: Record<string, Record<string, Float64Array>>;
  loads: Record<string, { starts: Float64Array; ends: Float64Array }>;
  horizon: number;
}

/** The buffers of a shard (to transfer rather than copy). */
export function shardBuffers(shard: CrossTicketShard): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const bySig of Object.values(shard.recurring))
    for (const a of Object.values(bySig)) out.push(a.buffer as ArrayBuffer);
  for (const l of Object.values(shard.loads)) out.push(l.starts.buffer as ArrayBuffer, l.ends.buffer as ArrayBuffer);
  return out;
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
const loadEntries = new WeakMap<CrossTicketData['loads'], [string, { starts: Float64Array; ends: Float64Array }][]>();

function listIn<K>(map: Map<K, number[]>, key: K): number[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

export class CrossTicketBuilder {
  /** Tickets added since the last `flush`, by window and signature: a ticket counts once however many snapshots. */
  private readonly pending = new Map<string, Map<string, Map<string, [number, number]>>>();
  /** Flushed and merged pairs, flattened (one entry per ticket: no key string per ticket is kept). */
  private readonly pairs = new Map<string, Map<string, number[]>>();
  private readonly loads = new Map<string, { starts: number[]; ends: number[] }>();
  /** Shards merged from other builders, kept as they came until `build` copies them into the index. */
  private readonly shards: CrossTicketShard[] = [];
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
        let bySig = this.pending.get(r.key);
        if (!bySig) this.pending.set(r.key, (bySig = new Map()));
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

  /**
   * Ends a batch: its tickets' pairs join the flat lists and the per-ticket keys are dropped. A ticket id counts once
   * per batch (as when every batch had a builder of its own, merged afterwards): lines are distinct tickets.
   */
  flush(): void {
    for (const [key, bySig] of this.pending) {
      let mine = this.pairs.get(key);
      if (!mine) this.pairs.set(key, (mine = new Map()));
      for (const [sig, tickets] of bySig) {
        const flat = listIn(mine, sig);
        for (const [created, seen] of tickets.values()) flat.push(created, seen);
      }
    }
    this.pending.clear();
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

  /** What this builder gathered, unsorted (a worker's share of pass 1); the builder is empty afterwards. */
  shard(): CrossTicketShard {
    this.flush();
    const recurring: CrossTicketShard['recurring'] = {};
    for (const [key, bySig] of this.pairs) {
      const out: Record<string, Float64Array> = (recurring[key] = {});
      for (const [sig, flat] of bySig) out[sig] = Float64Array.from(flat);
    }
    const loads: CrossTicketShard['loads'] = {};
    for (const [m, l] of this.loads)
      loads[m] = { starts: Float64Array.from(l.starts), ends: Float64Array.from(l.ends) };
    const shard = { recurring, loads, horizon: this.horizon };
    this.pairs.clear();
    this.loads.clear();
    this.horizon = -Infinity;
    return shard;
  }

  /** Merges another builder's shard (one per worker in the first pass; the shards' tickets are distinct). */
  merge(shard: CrossTicketShard): void {
    this.shards.push(shard);
    if (shard.horizon > this.horizon) this.horizon = shard.horizon;
  }

  /**
   * The index, sorted, in one SharedArrayBuffer (each list copied once, from this builder and the merged shards, and
   * sorted in place). Deterministic whatever the order tickets were added or merged in: pairs sort by createdAt then
   * first observation, loads by instant, and members come in the policy's order.
   */
  build(): CrossTicketData {
    this.flush();
    const parts: Lists[] = [this.own(), ...this.shards];
    const sigs = new Map<string, Set<string>>();
    const members = new Set<string>();
    let total = 0;
    for (const part of parts) {
      for (const [key, bySig] of Object.entries(part.recurring)) {
        let set = sigs.get(key);
        if (!set) sigs.set(key, (set = new Set()));
        for (const [sig, flat] of Object.entries(bySig)) {
          set.add(sig);
          total += flat.length;
        }
      }
      for (const [m, l] of Object.entries(part.loads)) {
        members.add(m);
        total += l.starts.length + l.ends.length;
      }
    }
    const memory = new SharedArrayBuffer(total * Float64Array.BYTES_PER_ELEMENT);
    let offset = 0;
    /** A view of the next `n` numbers, filled with `lists` one after another. */
    const concat = (lists: ArrayLike<number>[]): Float64Array => {
      const n = lists.reduce((a, l) => a + l.length, 0);
      const v = new Float64Array(memory, offset * Float64Array.BYTES_PER_ELEMENT, n);
      offset += n;
      let at = 0;
      for (const l of lists) {
        v.set(l, at);
        at += l.length;
      }
      return v;
    };
    const recurring: CrossTicketData['recurring'] = {};
    for (const [key, set] of sigs) {
      const out: Record<string, Float64Array> = (recurring[key] = {});
      for (const sig of set) out[sig] = sortPairs(concat(present(parts.map((p) => p.recurring[key]?.[sig]))));
    }
    const loads: CrossTicketData['loads'] = {};
    for (const m of [...members].sort((a, b) => rank(this.members, a) - rank(this.members, b) || (a < b ? -1 : 1))) {
      const of = (pick: 'starts' | 'ends') => concat(present(parts.map((p) => p.loads[m]?.[pick]))).sort();
      loads[m] = { starts: of('starts'), ends: of('ends') };
    }
    this.shards.length = 0;
    return { recurring, loads, horizon: this.horizon };
  }

  /** This builder's own lists, as a shard (not copied). */
  private own(): Lists {
    const recurring: Lists['recurring'] = {};
    for (const [key, bySig] of this.pairs) recurring[key] = Object.fromEntries(bySig);
    return { recurring, loads: Object.fromEntries(this.loads) };
  }
}

/** Unsorted lists of a builder or a shard. */
interface Lists {
  recurring: Record<string, Record<string, ArrayLike<number>>>;
  loads: Record<string, { starts: ArrayLike<number>; ends: ArrayLike<number> }>;
}

const present = <T>(xs: (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

/** A member's place in the policy's list (members of no group last, by name: `loads` holds group members only). */
function rank(members: readonly string[], m: string): number {
  const i = members.indexOf(m);
  return i < 0 ? members.length : i;
}

/** [createdAt, seen] pairs flattened, sorted in place by createdAt then seen. */
function sortPairs(flat: Float64Array): Float64Array {
  const n = flat.length / 2;
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((a, b) => flat[a * 2]! - flat[b * 2]! || flat[a * 2 + 1]! - flat[b * 2 + 1]!);
  const copy = flat.slice();
  for (let k = 0; k < n; k++) {
    flat[k * 2] = copy[order[k]! * 2]!;
    flat[k * 2 + 1] = copy[order[k]! * 2 + 1]!;
  }
  return flat;
}

/** Tickets created in [from, to] and first observed by `to` (pairs sorted by createdAt). */
function countRecurring(pairs: Float64Array, from: number, to: number): number {
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
function countAtMost(sorted: Float64Array, x: number): number {
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
  times: (Float64Array | undefined)[];
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
