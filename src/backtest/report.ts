import { z } from 'zod';

import type { NoteAction } from '../contract/index.js';

import type { SimDecision, TicketOutcome } from './simulate.js';

/**
 * The backtest report (docs/backtest.md "Report"): built incrementally from per-ticket outcomes, so memory holds
 * counts and at most `keepDecisions` decisions, never the whole input. Accumulators are plain data: each worker
 * thread fills its own and the main thread merges them (`mergeAccumulators`), in input order, deterministically.
 */

const Count = z.record(z.string(), z.number().int());
const Dist = z.object({
  count: z.number().int(),
  p50Minutes: z.number().nullable(),
  p90Minutes: z.number().nullable(),
  maxMinutes: z.number().nullable(),
});

export const BacktestDecisionSchema = z.object({
  instanceId: z.string(),
  ticketId: z.string(),
  at: z.string(),
  rule: z.string(),
  kind: z.string(),
  actions: z.array(z.looseObject({ type: z.string(), rule: z.string() })),
  reasons: z.array(z.looseObject({ rule: z.string(), kind: z.string(), text: z.string() })),
  /** `snapshot`: decided on an observation of the ticket; `scheduled`: at a `nextCheckAt` the engine asked for. */
  trigger: z.enum(['snapshot', 'scheduled']),
});

export const BacktestReportSchema = z.object({
  instanceId: z.string(),
  policy: z.string(),
  tickets: z.number().int(),
  evaluations: z.number().int(),
  window: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  decisions: z.array(BacktestDecisionSchema),
  decisionsTotal: z.number().int(),
  /** More decisions than `keepDecisions`: the list holds the first ones (counts below are over all of them). */
  decisionsTruncated: z.boolean(),
  perRule: z.record(z.string(), z.object({ fired: z.number().int(), tickets: z.number().int(), kind: z.string() })),
  /** Escalations (moves) per target tier. */
  perTier: Count,
  timeToEscalate: Dist.extend({ buckets: z.array(z.object({ label: z.string(), count: z.number().int() })) }),
  breaches: z.object({
    /** Tickets whose SLA clock really breached (from their real statuses and timestamps). */
    tickets: z.number().int(),
    clocks: z.object({ firstResponse: z.number().int(), resolution: z.number().int() }),
    /** Of those, tickets the policy moved before the breach, or only flagged (note, notify, priority, tag). */
    escalatedBefore: z.number().int(),
    flaggedBefore: z.number().int(),
    missed: z.number().int(),
    leadTime: Dist,
  }),
  overEscalation: z.object({
    escalatedTickets: z.number().int(),
    /** Escalated tickets that were really resolved in the tier they started in, without an SLA breach. */
    resolvedInStartTierWithoutBreach: z.number().int(),
    ratio: z.number().nullable(),
  }),
  load: z.object({ groups: Count, members: Count }),
  notes: z.object({
    total: z.number().int(),
    byTemplate: Count,
    samples: z.array(
      z.object({
        ticketId: z.string(),
        at: z.string(),
        rule: z.string(),
        visibility: z.string(),
        template: z.string(),
        text: z.string(),
      }),
    ),
  }),
  humanReassignments: z.number().int(),
});
export type BacktestReport = z.infer<typeof BacktestReportSchema>;
export type BacktestDecision = z.infer<typeof BacktestDecisionSchema>;

export interface Accumulator {
  tickets: number;
  evaluations: number;
  from: number;
  to: number;
  decisions: SimDecision[];
  decisionsTotal: number;
  perRule: Record<string, { fired: number; tickets: number; kind: string }>;
  perTier: Record<string, number>;
  escalateMinutes: number[];
  breachTickets: number;
  breachClocks: { firstResponse: number; resolution: number };
  escalatedBefore: number;
  flaggedBefore: number;
  leadMinutes: number[];
  escalatedTickets: number;
  overEscalated: number;
  groups: Record<string, number>;
  members: Record<string, number>;
  notes: number;
  byTemplate: Record<string, number>;
  noteSamples: BacktestReport['notes']['samples'];
  humanReassignments: number;
}

export function newAccumulator(): Accumulator {
  return {
    tickets: 0,
    evaluations: 0,
    from: Infinity,
    to: -Infinity,
    decisions: [],
    decisionsTotal: 0,
    perRule: {},
    perTier: {},
    escalateMinutes: [],
    breachTickets: 0,
    breachClocks: { firstResponse: 0, resolution: 0 },
    escalatedBefore: 0,
    flaggedBefore: 0,
    leadMinutes: [],
    escalatedTickets: 0,
    overEscalated: 0,
    groups: {},
    members: {},
    notes: 0,
    byTemplate: {},
    noteSamples: [],
    humanReassignments: 0,
  };
}

/** Note samples a report keeps (with their texts). */
export const NOTE_SAMPLES = 5;
const inc = (r: Record<string, number>, k: string, n = 1) => {
  r[k] = (r[k] ?? 0) + n;
};

/** Folds one ticket's outcome into the accumulator. */
export function addOutcome(acc: Accumulator, o: TicketOutcome, keepDecisions: number): void {
  acc.tickets++;
  acc.evaluations += o.evaluations;
  acc.humanReassignments += o.humanReassignments;
  const created = Date.parse(o.createdAt);
  if (created < acc.from) acc.from = created;
  const end = o.resolvedAt ? Date.parse(o.resolvedAt) : created;
  if (end > acc.to) acc.to = end;
  const { firstMove, firstAct } = addDecisions(acc, o, keepDecisions);
  if (firstMove !== undefined) addEscalation(acc, o, created, firstMove);
  if (o.breaches.length > 0) addBreach(acc, o, firstMove, firstAct);
}

/** Counts the ticket's decisions, rule firings and actions; returns when the policy first moved it and first acted. */
function addDecisions(
  acc: Accumulator,
  o: TicketOutcome,
  keepDecisions: number,
): { firstMove: number | undefined; firstAct: number | undefined } {
  const rulesHere = new Set<string>();
  let firstMove: number | undefined;
  let firstAct: number | undefined;
  for (const d of o.decisions) {
    acc.decisionsTotal++;
    if (acc.decisions.length < keepDecisions) acc.decisions.push(d);
    const at = Date.parse(d.at);
    firstAct ??= at;
    addRuleFirings(acc, d, rulesHere);
    for (const a of d.actions) {
      if (a.type === 'reassign') firstMove ??= at;
      addAction(acc, o.ticketId, d, a);
    }
  }
  return { firstMove, firstAct };
}

/** Rules that acted in this decision (not suppressed); `rulesHere` counts each rule once per ticket. */
function addRuleFirings(acc: Accumulator, d: SimDecision, rulesHere: Set<string>): void {
  for (const r of d.reasons) {
    if (r.suppressed !== undefined || !d.actions.some((a) => a.rule === r.rule)) continue;
    const e = (acc.perRule[r.rule] ??= { fired: 0, tickets: 0, kind: r.kind });
    e.fired++;
    if (!rulesHere.has(r.rule)) e.tickets++;
    rulesHere.add(r.rule);
  }
}

/** A move counts per target tier, group and member; a note per template, the first few kept as samples. */
function addAction(acc: Accumulator, ticketId: string, d: SimDecision, a: SimDecision['actions'][number]): void {
  if (a.type === 'reassign') {
    inc(acc.perTier, a.tier ?? 'none');
    if (a.group) inc(acc.groups, a.group);
    if (a.owner) inc(acc.members, a.owner);
  } else if (a.type === 'note') {
    const n = a as NoteAction;
    acc.notes++;
    inc(acc.byTemplate, `${n.visibility}/${n.template}`);
    if (acc.noteSamples.length < NOTE_SAMPLES)
      acc.noteSamples.push({
        ticketId,
        at: d.at,
        rule: n.rule,
        visibility: n.visibility,
        template: n.template,
        text: n.text,
      });
  }
}

/** A ticket the policy moved: time to the first move, and whether it was over-escalated. */
function addEscalation(acc: Accumulator, o: TicketOutcome, created: number, firstMove: number): void {
  acc.escalatedTickets++;
  acc.escalateMinutes.push(Math.max(0, (firstMove - created) / 60_000));
  const breached = o.breaches.length > 0;
  if (!breached && o.resolvedAt !== null && o.realTiers.last === o.realTiers.first) acc.overEscalated++;
}

/** A ticket that really breached: which clocks, and whether the policy moved or flagged it before the first due. */
function addBreach(
  acc: Accumulator,
  o: TicketOutcome,
  firstMove: number | undefined,
  firstAct: number | undefined,
): void {
  acc.breachTickets++;
  for (const b of o.breaches) acc.breachClocks[b.clock]++;
  const due = Math.min(...o.breaches.map((b) => Date.parse(b.dueAt)));
  // Strictly before: a move at the breach instant (the sla-breach rule itself) did not prevent it.
  if (firstMove !== undefined && firstMove < due) acc.escalatedBefore++;
  else if (firstAct !== undefined && firstAct < due) acc.flaggedBefore++;
  const lead =
    firstMove !== undefined && firstMove < due
      ? firstMove
      : firstAct !== undefined && firstAct < due
        ? firstAct
        : undefined;
  if (lead !== undefined) acc.leadMinutes.push((due - lead) / 60_000);
}

/** Merges `b` into `a` (b's tickets come after a's in input order). */
export function mergeAccumulators(a: Accumulator, b: Accumulator, keepDecisions: number): void {
  a.tickets += b.tickets;
  a.evaluations += b.evaluations;
  a.from = Math.min(a.from, b.from);
  a.to = Math.max(a.to, b.to);
  for (const d of b.decisions) if (a.decisions.length < keepDecisions) a.decisions.push(d);
  a.decisionsTotal += b.decisionsTotal;
  for (const [rule, e] of Object.entries(b.perRule)) {
    const m = (a.perRule[rule] ??= { fired: 0, tickets: 0, kind: e.kind });
    m.fired += e.fired;
    m.tickets += e.tickets;
  }
  for (const [k, n] of Object.entries(b.perTier)) inc(a.perTier, k, n);
  for (const x of b.escalateMinutes) a.escalateMinutes.push(x);
  a.breachTickets += b.breachTickets;
  a.breachClocks.firstResponse += b.breachClocks.firstResponse;
  a.breachClocks.resolution += b.breachClocks.resolution;
  a.escalatedBefore += b.escalatedBefore;
  a.flaggedBefore += b.flaggedBefore;
  for (const x of b.leadMinutes) a.leadMinutes.push(x);
  a.escalatedTickets += b.escalatedTickets;
  a.overEscalated += b.overEscalated;
  for (const [k, n] of Object.entries(b.groups)) inc(a.groups, k, n);
  for (const [k, n] of Object.entries(b.members)) inc(a.members, k, n);
  a.notes += b.notes;
  for (const [k, n] of Object.entries(b.byTemplate)) inc(a.byTemplate, k, n);
  for (const s of b.noteSamples) if (a.noteSamples.length < NOTE_SAMPLES) a.noteSamples.push(s);
  a.humanReassignments += b.humanReassignments;
}

function dist(values: number[]): z.infer<typeof Dist> {
  if (values.length === 0) return { count: 0, p50Minutes: null, p90Minutes: null, maxMinutes: null };
  const s = [...values].sort((x, y) => x - y);
  const q = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10;
  return {
    count: s.length,
    p50Minutes: q(0.5),
    p90Minutes: q(0.9),
    maxMinutes: Math.round(s[s.length - 1]! * 10) / 10,
  };
}

export const ESCALATE_BUCKETS: [string, number][] = [
  ['< 15 min', 15],
  ['15–60 min', 60],
  ['1–2 h', 120],
  ['2–4 h', 240],
  ['4–8 h', 480],
  ['8–24 h', 1440],
  ['≥ 24 h', Infinity],
];

const sortKeys = <T>(r: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(r).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

function decisionJson(d: SimDecision): BacktestDecision {
  return {
    instanceId: d.instanceId,
    ticketId: d.ticketId,
    at: d.at,
    rule: d.rule,
    kind: d.kind,
    actions: d.actions.map((a) => ({ ...a })),
    reasons: d.reasons.map((r) => ({ ...r })),
    trigger: d.trigger,
  };
}

export function finishReport(
  acc: Accumulator,
  meta: { instanceId: string; policy: string; keepDecisions: number },
): BacktestReport {
  const buckets = ESCALATE_BUCKETS.map(([label]) => ({ label, count: 0 }));
  for (const m of acc.escalateMinutes) buckets[ESCALATE_BUCKETS.findIndex(([, max]) => m < max)]!.count++;
  return {
    instanceId: meta.instanceId,
    policy: meta.policy,
    tickets: acc.tickets,
    evaluations: acc.evaluations,
    window: {
      from: Number.isFinite(acc.from) ? new Date(acc.from).toISOString() : null,
      to: Number.isFinite(acc.to) ? new Date(acc.to).toISOString() : null,
    },
    decisions: acc.decisions.map(decisionJson),
    decisionsTotal: acc.decisionsTotal,
    decisionsTruncated: acc.decisionsTotal > acc.decisions.length,
    perRule: sortKeys(acc.perRule),
    perTier: sortKeys(acc.perTier),
    timeToEscalate: { ...dist(acc.escalateMinutes), buckets },
    breaches: {
      tickets: acc.breachTickets,
      clocks: acc.breachClocks,
      escalatedBefore: acc.escalatedBefore,
      flaggedBefore: acc.flaggedBefore,
      missed: acc.breachTickets - acc.escalatedBefore - acc.flaggedBefore,
      leadTime: dist(acc.leadMinutes),
    },
    overEscalation: {
      escalatedTickets: acc.escalatedTickets,
      resolvedInStartTierWithoutBreach: acc.overEscalated,
      ratio: acc.escalatedTickets === 0 ? null : Math.round((acc.overEscalated / acc.escalatedTickets) * 1000) / 1000,
    },
    load: { groups: sortKeys(acc.groups), members: sortKeys(acc.members) },
    notes: { total: acc.notes, byTemplate: sortKeys(acc.byTemplate), samples: acc.noteSamples },
    humanReassignments: acc.humanReassignments,
  };
}

// ---- --compare: two policies over the same timelines -------------------------------------------------------------

export const ComparisonSchema = z.object({
  baseline: z.string(),
  candidate: z.string(),
  /** Per rule: times fired under each policy (rules present in either). */
  rules: z.array(
    z.object({ rule: z.string(), baseline: z.number().int(), candidate: z.number().int(), delta: z.number().int() }),
  ),
  escalations: z.object({
    baseline: z.number().int(),
    candidate: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
  }),
  ticketsAffected: z.number().int(),
  /** The first tickets whose moves differ (at most 200). */
  tickets: z.array(
    z.object({
      instanceId: z.string(),
      ticketId: z.string(),
      added: z.array(z.string()),
      removed: z.array(z.string()),
    }),
  ),
});
export type Comparison = z.infer<typeof ComparisonSchema>;

export interface DiffAccumulator {
  added: number;
  removed: number;
  ticketsAffected: number;
  tickets: Comparison['tickets'];
}

export const newDiff = (): DiffAccumulator => ({ added: 0, removed: 0, ticketsAffected: 0, tickets: [] });
const MAX_DIFF_TICKETS = 200;

/** A move as compared across policies: rule and target tier, at its instant. */
const moves = (o: TicketOutcome) =>
  o.decisions.flatMap((d) =>
    d.actions.flatMap((a) => (a.type === 'reassign' ? [`${d.at} ${a.rule} → ${a.tier ?? 'none'}`] : [])),
  );

export function addDiff(diff: DiffAccumulator, base: TicketOutcome, cand: TicketOutcome): void {
  const a = moves(base);
  const b = moves(cand);
  const added = b.filter((m) => !a.includes(m));
  const removed = a.filter((m) => !b.includes(m));
  if (added.length === 0 && removed.length === 0) return;
  diff.added += added.length;
  diff.removed += removed.length;
  diff.ticketsAffected++;
  if (diff.tickets.length < MAX_DIFF_TICKETS)
    diff.tickets.push({ instanceId: base.instanceId, ticketId: base.ticketId, added, removed });
}

export function mergeDiff(a: DiffAccumulator, b: DiffAccumulator): void {
  a.added += b.added;
  a.removed += b.removed;
  a.ticketsAffected += b.ticketsAffected;
  for (const t of b.tickets) if (a.tickets.length < MAX_DIFF_TICKETS) a.tickets.push(t);
}

export function finishComparison(base: BacktestReport, cand: BacktestReport, diff: DiffAccumulator): Comparison {
  const names = [...new Set([...Object.keys(base.perRule), ...Object.keys(cand.perRule)])].sort();
  const sum = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
  return {
    baseline: base.policy,
    candidate: cand.policy,
    rules: names.map((rule) => {
      const x = base.perRule[rule]?.fired ?? 0;
      const y = cand.perRule[rule]?.fired ?? 0;
      return { rule, baseline: x, candidate: y, delta: y - x };
    }),
    escalations: {
      baseline: sum(base.perTier),
      candidate: sum(cand.perTier),
      added: diff.added,
      removed: diff.removed,
    },
    ticketsAffected: diff.ticketsAffected,
    tickets: diff.tickets,
  };
}

export const BacktestResultSchema = z.object({
  report: BacktestReportSchema,
  compare: z.object({ report: BacktestReportSchema, comparison: ComparisonSchema }).optional(),
});
export type BacktestResult = z.infer<typeof BacktestResultSchema>;
