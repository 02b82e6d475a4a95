import { hash } from 'node:crypto';

import type { Action, Decision, Reason, Ticket, TicketState } from '../contract/index.js';
import type { LastReassign, TicketRecord } from './ticket-store.js';

/**
 * Pure transitions of the stored per-ticket state (docs/spec.md §4 "Per-ticket state"): what an observation of the
 * re-fetched ticket changes (tier visits, status history, manual changes) and what a decision changes (fired rules,
 * our reassigns, tags). No I/O here, so every rule is unit-tested.
 */

const MAX_HISTORY = 100;
const MAX_FIRED = 200;
const MAX_APPLIED = 200;
/** Instant → ISO string, remembering the last one (an observation and its decision format the same instant often). */
let lastMs = NaN;
let lastIso = '';
const iso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString(); // the store may not import the engine's faster isoMillis (docs/architecture.md)
    lastMs = ms;
  }
  return lastIso;
};
/**
 * ISO string → instant, as Date.parse; the string `iso` made last needs no parsing: `Date` keeps whole milliseconds
 * (truncated toward zero) and toISOString round-trips them exactly.
 */
const parseIso = (s: string): number => (s === lastIso ? Math.trunc(lastMs) + 0 : Date.parse(s));

/** Parses a version as an instant, else as a number; null when neither. */
function versionValue(v: string): number | null {
  const t = Date.parse(v);
  if (!Number.isNaN(t) && /\d{4}-\d{2}-\d{2}/.test(v)) return t;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : null;
}

/** True when `fetched` is strictly older than `stored` (the job is then dropped). Unknown formats never drop. */
export function isOlderVersion(fetched: string, stored: string | undefined): boolean {
  if (stored === undefined || fetched === stored) return false;
  const a = versionValue(fetched);
  const b = versionValue(stored);
  if (a === null || b === null) return false;
  return a < b;
}

/** Whether the ticket's owner is the group member we assigned (by member name or any part of its PSA identity). */
export function ownerMatches(owner: Ticket['owner'], member: string, identity: unknown): boolean {
  if (!owner) return false;
  const have = [owner.id, owner.name].filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase());
  const want = [member];
  if (typeof identity === 'string' || typeof identity === 'number') want.push(String(identity));
  else if (identity && typeof identity === 'object') {
    for (const v of Object.values(identity)) if (typeof v === 'string' || typeof v === 'number') want.push(String(v));
  }
  return want.some((w) => have.includes(w.toLowerCase()));
}

/** The instant a change seen now most likely happened: the ticket's last modification, within [previous read, now]. */
function changeInstant(ticket: Ticket, prevObservedMs: number, nowMs: number): number {
  const updated = Date.parse(ticket.updatedAt);
  if (Number.isNaN(updated)) return nowMs;
  return Math.min(nowMs, Math.max(prevObservedMs, updated));
}

function manualSignature(ticket: Ticket, last: LastReassign | undefined): string | undefined {
  if (!last) return undefined; // tickets we never moved have no hold
  const tierDiffers = ticket.tier !== last.tier;
  const ownerDiffers = last.owner !== undefined && !ownerMatches(ticket.owner, last.owner, last.ownerIdentity);
  if (!tierDiffers && !ownerDiffers) return undefined;
  return `${ticket.tier ?? ''}\n${ticket.owner?.id ?? ''}`;
}

export interface ObserveArgs {
  instanceId: string;
  ticket: Ticket;
  now: number;
}

/** Folds a fresh read of the ticket into its record (creates the record on first sight, docs/spec.md §4 defaults). */
export function observeTicket(prev: TicketRecord | undefined, { instanceId, ticket, now }: ObserveArgs): TicketRecord {
  if (!prev) {
    return {
      v: 1,
      instanceId,
      ticketId: ticket.ref.id,
      psa: ticket.ref.psa,
      ticket,
      version: ticket.version,
      firstSeenAt: iso(now),
      observedAt: iso(now),
      tier: ticket.tier,
      tierSince: ticket.createdAt,
      statusCategory: ticket.status.category,
      statusHistory: [],
      owner: ticket.owner,
      fired: [],
      escalations: [],
      tags: [],
      nextCheckAt: null,
    };
  }
  const prevObserved = parseIso(prev.observedAt);
  const at = changeInstant(ticket, Number.isNaN(prevObserved) ? now : prevObserved, now);
  // A copy, then assignments: the same record as `{ ...prev, ticket, … }` (same keys, same order), without the
  // literal's slower per-key definition of keys the copy already has.
  const next: TicketRecord = { ...prev };
  next.ticket = ticket;
  next.version = ticket.version;
  next.observedAt = iso(now);
  next.owner = ticket.owner;
  if (ticket.tier !== prev.tier) {
    const ours =
      prev.lastReassign && prev.lastReassign.tier === ticket.tier && Date.parse(prev.lastReassign.at) >= prevObserved;
    next.tier = ticket.tier;
    next.tierSince = ours ? prev.lastReassign!.at : iso(at);
  }
  if (ticket.status.category !== prev.statusCategory) {
    const history =
      prev.statusHistory.length > 0
        ? [...prev.statusHistory]
        : [{ category: prev.statusCategory, at: ticket.createdAt }];
    history.push({ category: ticket.status.category, at: iso(at) });
    next.statusHistory = history.slice(-MAX_HISTORY);
    next.statusCategory = ticket.status.category;
    // A status change after our move while the ticket is with the owner we assigned: they picked it up.
    const last = prev.lastReassign;
    if (
      last?.owner !== undefined &&
      at > Date.parse(last.at) &&
      ownerMatches(ticket.owner, last.owner, last.ownerIdentity)
    ) {
      next.ownerActivityAt = iso(at);
    }
  }
  const sig = manualSignature(ticket, prev.lastReassign);
  if (sig === undefined) delete next.manualChange;
  else if (prev.manualChange?.sig !== sig) next.manualChange = { sig, at: iso(at) };
  return next;
}

export interface InstanceCounters {
  recurringCount: number;
  /** One count per `recurring` window of the policy (`recurringKey`). */
  recurringCounts?: Record<string, number>;
  groupCursors: Record<string, number>;
  memberLoads: Record<string, number>;
}

/** The engine's view of the record (docs/spec.md §4 "Evaluate input" state). */
export function toEngineState(record: TicketRecord, counters: InstanceCounters): TicketState {
  return {
    tierSince: record.tierSince,
    statusHistory: record.statusHistory,
    escalations: record.escalations,
    fired: record.fired,
    ...(record.manualChange ? { lastManualChangeAt: record.manualChange.at } : {}),
    recurringCount: counters.recurringCount,
    ...(counters.recurringCounts ? { recurringCounts: counters.recurringCounts } : {}),
    groupCursors: counters.groupCursors,
    memberLoads: counters.memberLoads,
    ...(record.ownerActivityAt ? { ownerActivityAt: record.ownerActivityAt } : {}),
    ...(record.updatePromise ? { updatePromise: record.updatePromise } : {}),
    ...(record.rca ? { rca: record.rca } : {}),
  };
}

/**
 * Deterministic id of one action: instance, ticket, rule, tier visit and what the action is. A retried or
 * re-decided action in the same visit gets the same id, hence the same note marker (no second note).
 */
export function actionId(record: Pick<TicketRecord, 'instanceId' | 'ticketId' | 'tierSince'>, action: Action): string {
  // One-shot `hash` (same digest as createHash().update().digest()): no Hash object per call.
  return hash('sha256', actionIdInput(record, action), 'hex').slice(0, 16);
}

/** What `actionId` hashes (exported so a caller deciding many times per visit, the backtest, can memoize the hash). */
export function actionIdInput(
  record: Pick<TicketRecord, 'instanceId' | 'ticketId' | 'tierSince'>,
  action: Action,
): string {
  const what =
    action.type === 'reassign'
      ? `${action.tier ?? ''}/${action.group ?? ''}`
      : action.type === 'priority'
        ? action.priority
        : action.type === 'note'
          ? `${action.visibility}/${action.template}`
          : action.type === 'notify'
            ? action.notifier
            : action.tag;
  return [record.instanceId, record.ticketId, action.rule, record.tierSince, action.type, what].join('\n');
}

/** Note marker embedded in the text (`[esc:7f3a2c1d]`): one definition, in src/contract/marker.ts. */
export { markerOf } from '../contract/index.js';

/** Reasons that count as fired: suppressed rules may fire again once the hold ends or the count drops. */
function firedReasons(reasons: readonly Reason[]): Reason[] {
  return reasons.filter((r) => r.suppressed === undefined);
}

const clockKeys = ['firstResponse', 'resolution'] as const;

/** The SLA clocks an slaUsed rule fired on (read from `matched`); undefined lets the engine assume all of them. */
function clocksOf(reason: Reason, slaRules: ReadonlySet<string>): ('firstResponse' | 'resolution')[] | undefined {
  if (!slaRules.has(reason.rule)) return undefined;
  const named = clockKeys.filter((c) => c in reason.matched);
  return named.length > 0 ? named : undefined;
}

export interface ApplyArgs {
  decision: Decision;
  now: number;
  /** Our reassign when it was applied (enforce mode, PSA accepted it). */
  reassign?: LastReassign & { kind?: string };
  /** Ids of actions now applied (or proposed in observe mode): later evaluations skip them. */
  appliedIds: readonly string[];
  /** Rules whose `when` uses slaUsed. */
  slaRules: ReadonlySet<string>;
  trigger: string;
  /** Rules with dead-lettered actions: not recorded as fired, so a dead-letter retry can decide them again. */
  failedRules?: ReadonlySet<string>;
}

/** The last `n` items: `list` itself when it has no more (callers pass a fresh array). */
const lastOf = <T>(list: T[], n: number): T[] => (list.length > n ? list.slice(-n) : list);

/** Folds a decision into the record: fired rules, our reassign, tags, the next check. */
export function applyDecision(record: TicketRecord, args: ApplyArgs): TicketRecord {
  const at = iso(args.now);
  const fired = [...record.fired];
  for (const reason of firedReasons(args.decision.reasons)) {
    if (args.failedRules?.has(reason.rule)) continue;
    const clocks = reason.clocks ?? clocksOf(reason, args.slaRules);
    fired.push({ rule: reason.rule, at, tier: record.tier, ...(clocks ? { clocks } : {}) });
  }
  // Each record gets its own lists: the live pipeline updates them in place (sharing them broke backtest parity).
  const newTags: string[] = [];
  for (const a of args.decision.actions) if (a.type === 'tag') newTags.push(a.tag);
  const applied = appliedIdsOf(record);
  const next: TicketRecord = { ...record }; // then assigned in this order: as the `{ ...record, … }` literal
  next.fired = lastOf(fired, MAX_FIRED);
  next.tags = newTags.length === 0 && record.tags.length === 0 ? [] : [...new Set([...record.tags, ...newTags])];
  next.lastDecision = args.decision;
  next.lastEvaluatedAt = at;
  next.nextCheckAt = args.decision.nextCheckAt;
  next.appliedActionIds = lastOf(applied.concat(args.appliedIds), MAX_APPLIED);
  // Our customer note promised the next update by an instant: kept for `updateOverdue` (the newest promise wins).
  for (const a of args.decision.actions) {
    if (a.type === 'note' && a.promisedUpdateBy !== undefined && !args.failedRules?.has(a.rule))
      next.updatePromise = { madeAt: at, by: a.promisedUpdateBy };
  }
  // RCA follow-up (policy.rca): the request and the one overdue notification are kept so neither repeats.
  for (const r of args.decision.reasons) {
    if (args.failedRules?.has(r.rule)) continue;
    if (r.rule === 'rca-required' && !record.rca) next.rca = { requestedAt: at };
    if (r.rule === 'rca-overdue' && record.rca) next.rca = { ...record.rca, overdueNotifiedAt: at };
  }
  if (args.reassign) {
    const { kind, ...last } = args.reassign;
    next.escalations = [
      ...record.escalations,
      { rule: last.rule, ...(kind ? { kind } : {}), tier: last.tier, at: last.at },
    ].slice(-MAX_FIRED);
    next.lastReassign = last;
    delete next.manualChange;
    // Our move starts a new visit now: our own write comes back only as an ignored echo, so without this a human
    // moving the ticket back would look like the old visit going on (its fired rules and timeInTier carried over).
    next.tier = last.tier;
    next.tierSince = last.at;
  }
  return next;
}

/** Ids of actions already applied in earlier evaluations (kept on the record). */
export function appliedIdsOf(record: TicketRecord): string[] {
  return record.appliedActionIds ?? [];
}
