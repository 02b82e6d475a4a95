import type { Clock, Decision, NearMiss, Ticket, TicketState } from '../contract/index.js';
import { buildActions } from './actions.js';
import { computeClocks } from './clocks.js';
import { isEnginePolicy } from './compiled.js';
import type { ClockName, EnginePolicy } from './compiled.js';
import { HOLDS, NEVER, earliest, status } from './conditions.js';
import { instant } from './context.js';
import type { EvalContext } from './context.js';
import { explain, nearMiss } from './explain.js';
import { isoInstant } from './format.js';
import { locationView, matchesLocation } from './location-match.js';
import type { LocationView } from './location-match.js';
import { mayFire, readGuards, usedClocksOf } from './guards.js';
import type { Match } from './match.js';
import { resolveMove } from './moves.js';
import { rcaDecision } from './rca.js';
import { nextCheckAt } from './next-check.js';
import { parseInstant } from './time.js';
import type { ClockValue, CompiledPolicy } from './types.js';

/**
 * `evaluate`: one ticket, one instant → the Decision of docs/spec.md §4. Pure and synchronous: identical inputs give an
 * identical Decision (no clock reads, no randomness; `now` is an argument).
 */

export interface EvaluateInput {
  ticket: Ticket;
  /** Stored per-ticket state; every field defaults (tier entered and status unchanged since `createdAt`, none, 0). */
  state?: TicketState;
  /** Built by `compilePolicy`. */
  policy: CompiledPolicy;
  /** Epoch ms, an RFC 3339 string or a Date. */
  now: number | string | Date;
  /**
   * `false` leaves every note action's `text` empty (not rendered): the same actions, ids, templates and promises
   * otherwise. For callers that only count or identify the actions (the backtest renders texts only for the decisions
   * its report shows). @defaultValue true
   */
  noteTexts?: boolean;
}

const terminal = new Set(['resolved', 'closed']);
const noClocks: ReadonlySet<ClockName> = new Set();

function toEpoch(now: number | string | Date): number {
  const t = typeof now === 'number' ? now : typeof now === 'string' ? parseInstant(now) : now.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`evaluate: "now" is not a valid instant (${String(now)})`);
  return t;
}

/** The derived tier: `ticket.tier` when given, else the matching mapped location naming the most keys (else null). */
export function tierOf(policy: EnginePolicy, ticket: Ticket): string | null {
  return derive(policy, ticket, locationView(ticket)).tier;
}

function derive(policy: EnginePolicy, ticket: Ticket, view: LocationView): { tier: string | null; index: number } {
  if (typeof ticket.tier === 'string')
    return { tier: ticket.tier, index: policy.engine.tierIndex.get(ticket.tier) ?? -1 };
  for (const m of policy.engine.tierMatchers)
    if (matchesLocation(view, m.matcher)) return { tier: m.tier, index: m.tierIndex };
  return { tier: null, index: -1 };
}

/** The ticket's calendar by `calendarFor` (its site's or its customer's; first matching entry), else null. */
export function customerCalendar(policy: EnginePolicy, ticket: Ticket): string | null {
  const routes = policy.engine.calendarFor;
  if (routes.length === 0) return null;
  const company = [ticket.company.id, ticket.company.name];
  const site = ticket.site ? [ticket.site.id, ticket.site.name] : [];
  for (const r of routes) {
    const values = r.key === 'company' ? company : site;
    if (values.some((v) => v !== undefined && r.values.has(v.trim().toLowerCase()))) return r.calendar;
  }
  return null;
}

export function createContext(policy: EnginePolicy, ticket: Ticket, state: TicketState, now: number): EvalContext {
  const createdAt = instant(ticket.createdAt, Number.NaN);
  if (Number.isNaN(createdAt))
    throw new RangeError(`evaluate: ticket.createdAt is not a valid instant (${ticket.createdAt})`);
  const location = locationView(ticket);
  const { tier, index } = derive(policy, ticket, location);
  const p = policy.policy;
  const baseCalendar = customerCalendar(policy, ticket) ?? p.calendar;
  const clocks = computeClocks({
    ticket,
    statusHistory: state.statusHistory,
    pauseOn: p.pauseOn,
    sla: p.sla,
    vipFactor: p.vip.slaFactor,
    defaultCalendar: baseCalendar,
    calendars: policy.calendars,
    now,
  });
  return {
    policy,
    ticket,
    state,
    now,
    tier,
    location,
    tierIndex: index,
    createdAt,
    tierSince: instant(state.tierSince, createdAt),
    clocks,
    calendar: clocks.calendar,
    baseCalendar,
    usedClocks: noClocks,
    // Declared up front so every context has one hidden class (the lazy fields are filled on demand).
    text: undefined,
    category: undefined,
    timeInTierMs: undefined,
    ageMs: undefined,
  };
}

/** Far-future stand-in for a due instant that never comes (a calendar with no hours): the contract needs a string. */
const NEVER_DUE = '9999-12-31T23:59:59Z';

function clockJson(v: ClockValue): Clock {
  const dueAt = Number.isFinite(v.dueAt) ? isoInstant(v.dueAt) : NEVER_DUE;
  return {
    targetMinutes: v.targetMinutes,
    dueAt,
    elapsedMinutes: v.elapsedMinutes,
    usedPct: v.usedPct,
    breached: v.breached,
    paused: v.paused,
    stopped: v.stopped,
  };
}

function clocksJson(ctx: EvalContext): Decision['clocks'] {
  const out: Decision['clocks'] = {};
  if (ctx.clocks.firstResponse) out.firstResponse = clockJson(ctx.clocks.firstResponse);
  if (ctx.clocks.resolution) out.resolution = clockJson(ctx.clocks.resolution);
  return out;
}

/**
 * The ticket copied into one fixed property layout. Tickets arrive with whichever optional fields their PSA filled
 * (JSON from Redis, normalizer output), so each has its own hidden class; reading every field once here keeps the
 * dozens of reads that follow monomorphic — a measurable share of an evaluation.
 */
function uniformTicket(t: Ticket): Ticket {
  return {
    ref: t.ref,
    number: t.number,
    title: t.title,
    description: t.description,
    latestNote: t.latestNote,
    recentNotes: t.recentNotes,
    status: t.status,
    priority: t.priority,
    location: t.location,
    tier: t.tier,
    owner: t.owner,
    company: t.company,
    site: t.site,
    contact: t.contact,
    category: t.category,
    environment: t.environment,
    affectedSystems: t.affectedSystems,
    usersAffected: t.usersAffected,
    impact: t.impact,
    urgency: t.urgency,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    firstRespondedAt: t.firstRespondedAt,
    resolvedAt: t.resolvedAt,
    psaSla: t.psaSla,
    version: t.version,
  };
}

export function evaluate(input: EvaluateInput): Decision {
  const { policy } = input;
  if (!isEnginePolicy(policy)) throw new TypeError('evaluate: the policy was not built by compilePolicy');
  const ctx = createContext(policy, uniformTicket(input.ticket), input.state ?? {}, toEpoch(input.now));
  const clocks = clocksJson(ctx);
  // Resolved and closed tickets get no rule actions; only the RCA follow-up (`policy.rca`) may still act on them.
  if (terminal.has(ctx.ticket.status.category))
    return rcaDecision(ctx, clocks) ?? { actions: [], reasons: [], nearMisses: [], clocks, nextCheckAt: null };

  const guards = readGuards(ctx);
  const matches: Match[] = [];
  const nearMisses: NearMiss[] = [];
  const future: number[] = [];
  for (const rule of policy.engine.rules) {
    if (!mayFire(guards, rule)) continue;
    ctx.usedClocks = usedClocksOf(guards, rule);
    const s = status(rule.when, ctx);
    if (s === NEVER) continue;
    // A move that is not possible (down, same location, `next` from no tier) means the rule does not match.
    const move = resolveMove(rule.move, ctx);
    if (move.k === 'impossible') continue;
    if (s === HOLDS) {
      const why = explain(rule, ctx);
      matches.push({ rule, move, why });
      if (rule.usesSla && why.clocks.length > 0) {
        // Fired on some clocks now; it may fire again when another clock reaches the threshold.
        ctx.usedClocks = new Set<ClockName>([...ctx.usedClocks, ...why.clocks]);
        future.push(earliest(rule.when, ctx, ctx.now));
      }
      continue;
    }
    const miss = nearMiss(rule, ctx);
    if (miss) nearMisses.push(miss);
    future.push(earliest(rule.when, ctx, ctx.now));
  }
  const { actions, reasons } = buildActions(ctx, matches, guards, input.noteTexts !== false);
  return { actions, reasons, nearMisses, clocks, nextCheckAt: nextCheckAt(ctx, future, guards) };
}
