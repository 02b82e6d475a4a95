import type { NearMiss } from '../contract/index.js';
import { categoryMatches } from './category.js';
import type { ClockName, CompiledRule, CondNode, Leaf, TimeLeaf } from './compiled.js';
import { clockNames } from './compiled.js';
import { durationValue, holds, isVip, recurringCountOf, slaClock } from './conditions.js';
import { categoryOf, exactPct, matchingPhrase } from './context.js';
import type { EvalContext } from './context.js';
import { lastMoveAt, openPromiseBy } from './follow.js';
import { isoInstant } from './format.js';

/**
 * Human text and the machine-readable `matched` values of a rule that holds (docs/spec.md §4: `matched` is the contract),
 * and near misses (0.9 × threshold ≤ v < threshold while every other condition holds).
 */

const MIN = 60_000;
const minutes = (ms: number): number => Math.floor(ms / MIN);
/** Thresholds are shown in (possibly fractional) minutes: `45s` reads 0.75, never rounded to a wrong 1. */
const thresholdMinutes = (ms: number): number => Math.round((ms / MIN) * 1000) / 1000;

/** Filters echo the ticket's own fields; they are only reported when nothing more telling matched. */
const filterKinds: ReadonlySet<Leaf['k']> = new Set(['tier', 'priority', 'status', 'vip', 'owner']);

interface Part {
  id: number;
  filter: boolean;
  text: string;
  /** Keys with a `threshold` placeholder get the shared `threshold` key (first one) or `<key>Threshold`. */
  values: Record<string, unknown>;
  threshold?: { key: string; value: number };
}

function comparisonText(cmp: Record<string, number | undefined>): string {
  const ops: Record<string, string> = { gte: '>=', gt: '>', lte: '<=', lt: '<', eq: '=' };
  return Object.entries(cmp)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${ops[k] ?? k} ${String(v)}`)
    .join(' and ');
}

function slaPart(leaf: Leaf & { k: 'slaUsed' }, ctx: EvalContext, met: ClockName[]): Part {
  const values: Record<string, unknown> = {};
  const texts: string[] = [];
  for (const name of clockNames) {
    const clock = slaClock(leaf, ctx, name);
    if (!clock || exactPct(clock) < leaf.pct) continue;
    met.push(name);
    values[name] = clock.usedPct;
    texts.push(`slaUsed.${name} ${clock.usedPct}% >= ${leaf.pct}%`);
  }
  return { id: leaf.id, filter: false, text: texts.join(', '), values, threshold: { key: 'slaUsed', value: leaf.pct } };
}

function part(
  leaf: Leaf,
  text: string,
  values: Record<string, unknown>,
  threshold?: { key: string; value: number },
): Part {
  const p: Part = { id: leaf.id, filter: filterKinds.has(leaf.k), text, values };
  if (threshold) p.threshold = threshold;
  return p;
}

function leafPart(leaf: Leaf, ctx: EvalContext, met: ClockName[]): Part {
  const t = ctx.ticket;
  switch (leaf.k) {
    case 'tier':
      return part(leaf, `tier ${String(ctx.tier)}`, { tier: ctx.tier });
    case 'priority': {
      const p = `P${String(t.priority.level)}`;
      return part(leaf, `priority ${p}`, { priority: p });
    }
    case 'status':
      return part(leaf, `status ${t.status.category}`, { status: t.status.category });
    case 'vip':
      return part(leaf, isVip(ctx) ? 'VIP' : 'not VIP', { vip: isVip(ctx) });
    case 'owner':
      return part(leaf, 'no owner', { owner: null });
    case 'text': {
      const phrase = matchingPhrase(ctx, leaf)?.text ?? '';
      return part(leaf, `text matches "${phrase}"`, { text: phrase });
    }
    case 'category': {
      const pattern = leaf.patterns.find((p) => categoryMatches(p, categoryOf(ctx)))?.text ?? '';
      const path = t.category.join('/');
      return part(leaf, `category ${path} matches "${pattern}"`, { category: path, pattern });
    }
    case 'usersAffected':
      return part(leaf, `usersAffected ${String(t.usersAffected)} ${comparisonText(leaf.cmp)}`, {
        usersAffected: t.usersAffected,
      });
    case 'recurring': {
      const n = recurringCountOf(ctx.state, leaf);
      return part(leaf, `recurring ${n} similar tickets >= ${leaf.count}`, { recurring: n, count: leaf.count });
    }
    case 'outsideCalendar':
      return part(leaf, `outside calendar ${leaf.name}`, { outsideCalendar: leaf.name });
    case 'age':
    case 'timeInTier': {
      const v = minutes(durationValue(leaf, ctx));
      const thr = thresholdMinutes(leaf.ms);
      return part(leaf, `${leaf.k} ${v} >= ${thr} business minutes`, { [leaf.k]: v }, { key: leaf.k, value: thr });
    }
    case 'slaUsed':
      return slaPart(leaf, ctx, met);
    case 'notPickedUp': {
      const moved = lastMoveAt(ctx);
      const v = minutes(ctx.calendar.businessBetween(moved, ctx.now));
      const thr = thresholdMinutes(leaf.ms);
      return part(
        leaf,
        `not picked up ${v} >= ${thr} business minutes since the move at ${isoInstant(moved)}`,
        { notPickedUpFor: v, movedAt: isoInstant(moved) },
        { key: 'notPickedUpFor', value: thr },
      );
    }
    case 'updateOverdue': {
      const by = isoInstant(openPromiseBy(ctx));
      return part(leaf, `customer update promised by ${by} not given`, { updateOverdue: true, promisedBy: by });
    }
  }
}

function collect(node: CondNode, ctx: EvalContext, out: Part[], met: ClockName[]): void {
  if (node.k === 'all') for (const child of node.items) collect(child, ctx, out, met);
  else if (node.k === 'any') {
    for (const child of node.items) if (holds(child, ctx)) collect(child, ctx, out, met);
  } else out.push(leafPart(node, ctx, met));
}

export interface Explanation {
  text: string;
  matched: Record<string, unknown>;
  /** Clocks whose slaUsed threshold was met (the rule fires once per clock). */
  clocks: ClockName[];
}

/** Explains a rule that holds at `ctx.now`. */
export function explain(rule: CompiledRule, ctx: EvalContext): Explanation {
  const parts: Part[] = [];
  const met: ClockName[] = [];
  collect(rule.when, ctx, parts, met);
  parts.sort((a, b) => a.id - b.id);
  const telling = parts.filter((p) => !p.filter);
  const shown = telling.length > 0 ? telling : parts;
  const matched: Record<string, unknown> = {};
  let thresholdUsed = false;
  for (const p of shown) {
    Object.assign(matched, p.values);
    if (p.threshold) {
      matched[thresholdUsed ? `${p.threshold.key}Threshold` : 'threshold'] = p.threshold.value;
      thresholdUsed = true;
    }
  }
  const text = shown.length > 0 ? shown.map((p) => p.text).join(', ') : 'always';
  return { text, matched, clocks: [...new Set(met)] };
}

function nearLeaf(leaf: TimeLeaf, ctx: EvalContext): { text: string; matched: Record<string, unknown> } | null {
  if (leaf.k === 'slaUsed') {
    for (const name of clockNames) {
      const clock = slaClock(leaf, ctx, name);
      if (!clock) continue;
      const v = exactPct(clock);
      if (v >= 0.9 * leaf.pct && v < leaf.pct) {
        return {
          text: `slaUsed.${name} ${clock.usedPct}% (fires at ${leaf.pct}%)`,
          matched: { [name]: clock.usedPct, threshold: leaf.pct },
        };
      }
    }
    return null;
  }
  const v = durationValue(leaf, ctx);
  if (!(v >= 0.9 * leaf.ms && v < leaf.ms)) return null;
  const thr = thresholdMinutes(leaf.ms);
  return {
    text: `${leaf.k} ${minutes(v)} business minutes (fires at ${thr})`,
    matched: { [leaf.k]: minutes(v), threshold: thr },
  };
}

/** A near miss of a rule that does not hold: the first time leaf within 10 % below its threshold, all else holding. */
export function nearMiss(rule: CompiledRule, ctx: EvalContext): NearMiss | null {
  for (const leaf of rule.timeLeaves) {
    const near = nearLeaf(leaf, ctx);
    if (near && holds(rule.when, ctx, leaf)) return { rule: rule.id, ...near };
  }
  return null;
}
