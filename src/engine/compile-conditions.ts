import { priorityNames, recurringKey } from '../contract/index.js';
import type { Condition, StatusCategory } from '../contract/index.js';
import { compileCategoryPattern } from './category.js';
import { clockNames } from './compiled.js';
import type { ClockName, CondNode, Leaf, TimeLeaf } from './compiled.js';
import { compilePhrases, phraseRegex } from './text.js';
import type { BusinessCalendar } from './types.js';

/** Compile-time context: where leaves get their ids, and where problems are collected. */
export interface ConditionCompiler {
  nextLeafId: number;
  readonly tiers: readonly string[];
  readonly calendars: Readonly<Record<string, BusinessCalendar>>;
  readonly problems: string[];
}

const toArray = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? (v as readonly T[]) : [v as T]);

function leaf<L extends Leaf>(c: ConditionCompiler, make: (id: number) => L): L {
  return make(c.nextLeafId++);
}

function compileStatus(c: ConditionCompiler, value: NonNullable<Condition['status']>): CondNode {
  if (typeof value === 'object' && !Array.isArray(value) && 'not' in value) {
    const categories = toArray(value.not) as readonly StatusCategory[];
    return leaf(c, (id) => ({ id, k: 'status', categories, not: true }));
  }
  const categories = toArray(value as StatusCategory | StatusCategory[]);
  return leaf(c, (id) => ({ id, k: 'status', categories, not: false }));
}

function compileSla(c: ConditionCompiler, value: NonNullable<Condition['slaUsed']>): CondNode[] {
  const out: CondNode[] = [];
  for (const clock of [...clockNames, 'any'] as const) {
    const pct = value[clock]?.gte;
    if (pct !== undefined) out.push(leaf(c, (id) => ({ id, k: 'slaUsed', clock: clock as ClockName | 'any', pct })));
  }
  return out;
}

function compileTier(c: ConditionCompiler, path: string, value: string | readonly string[]): CondNode {
  const tiers = toArray(value);
  for (const t of tiers) if (!c.tiers.includes(t)) c.problems.push(`${path}.tier: unknown tier "${t}"`);
  return leaf(c, (id) => ({ id, k: 'tier', tiers }));
}

function compileOutside(c: ConditionCompiler, path: string, name: string): CondNode | null {
  const calendar = c.calendars[name];
  if (!calendar) {
    c.problems.push(`${path}.outsideCalendar: unknown calendar "${name}"`);
    return null;
  }
  return leaf(c, (id) => ({ id, k: 'outsideCalendar', name, calendar }));
}

/** Priority names → levels (P1 → 1 … P4 → 4). */
function compilePriority(c: ConditionCompiler, value: NonNullable<Condition['priority']>): CondNode {
  const levels = toArray(value).map((p) => priorityNames.indexOf(p) + 1);
  return leaf(c, (id) => ({ id, k: 'priority', levels }));
}

/** Phrases, with one regex for any of them and one per phrase (to name the phrase that matched). */
function compileText(c: ConditionCompiler, value: NonNullable<Condition['text']>): CondNode {
  const phrases = compilePhrases(toArray(value));
  return leaf(c, (id) => ({
    id,
    k: 'text',
    phrases,
    any: phraseRegex(phrases),
    each: phrases.map((p) => phraseRegex([p])),
  }));
}

/** `recurring`: the count key (rules with the same window and `same` share a count) and the facts it needs. */
function compileRecurring(c: ConditionCompiler, r: NonNullable<Condition['recurring']>): CondNode {
  const key = recurringKey(r.within, r.same);
  return leaf(c, (id) => ({
    id,
    k: 'recurring',
    count: r.count,
    key,
    needCompany: r.same.includes('company'),
    needCategory: r.same.includes('category'),
  }));
}

/** A nested `any`/`all` list, each item compiled as a `when` of its own. */
function compileGroup(
  c: ConditionCompiler,
  path: string,
  key: 'any' | 'all',
  conds: NonNullable<Condition['any']>,
): CondNode {
  const items = conds.map((sub, i) => compileCondition(c, `${path}.${key}[${i}]`, sub));
  return key === 'any' ? { k: 'any', items } : { k: 'all', items };
}

/** One key of a `when` object → a node (null when the key is invalid; the problem is recorded). */
function compileKey(
  c: ConditionCompiler,
  path: string,
  cond: Condition,
  key: keyof Condition,
): CondNode | CondNode[] | null {
  switch (key) {
    case 'tier':
      return compileTier(c, path, cond.tier!);
    case 'priority':
      return compilePriority(c, cond.priority!);
    case 'status':
      return compileStatus(c, cond.status!);
    case 'text':
      return compileText(c, cond.text!);
    case 'category':
      return leaf(c, (id) => ({ id, k: 'category', patterns: toArray(cond.category!).map(compileCategoryPattern) }));
    case 'usersAffected':
      return leaf(c, (id) => ({ id, k: 'usersAffected', cmp: cond.usersAffected! }));
    case 'vip':
      return leaf(c, (id) => ({ id, k: 'vip', value: cond.vip! }));
    case 'owner':
      return leaf(c, (id) => ({ id, k: 'owner' }));
    case 'age':
    case 'timeInTier':
      return leaf(c, (id) => ({ id, k: key, ms: cond[key]! }));
    case 'slaUsed':
      return compileSla(c, cond.slaUsed!);
    case 'recurring':
      return compileRecurring(c, cond.recurring!);
    case 'outsideCalendar':
      return compileOutside(c, path, cond.outsideCalendar!);
    case 'notPickedUpFor':
      return leaf(c, (id) => ({ id, k: 'notPickedUp', ms: cond.notPickedUpFor! }));
    case 'updateOverdue':
      return leaf(c, (id) => ({ id, k: 'updateOverdue' }));
    case 'any':
    case 'all':
      return compileGroup(c, path, key, cond[key]!);
    default:
      c.problems.push(`${path}: unknown condition "${String(key)}"`);
      return null;
  }
}

/** `when` is an AND of its keys; `any`/`all` nest. An empty `when` always holds. */
export function compileCondition(c: ConditionCompiler, path: string, cond: Condition): CondNode {
  const items: CondNode[] = [];
  for (const key of Object.keys(cond) as (keyof Condition)[]) {
    if (cond[key] === undefined) continue;
    const node = compileKey(c, path, cond, key);
    if (node === null) continue;
    if (Array.isArray(node)) items.push(...node);
    else items.push(node as CondNode);
  }
  return items.length === 1 ? items[0]! : { k: 'all', items: orderForSpeed(items) };
}

const cost: Record<CondNode['k'], number> = {
  tier: 0,
  priority: 0,
  status: 0,
  vip: 0,
  owner: 0,
  usersAffected: 0,
  recurring: 0,
  category: 1,
  text: 2,
  notPickedUp: 2,
  updateOverdue: 2,
  outsideCalendar: 3,
  age: 3,
  timeInTier: 3,
  slaUsed: 3,
  all: 4,
  any: 4,
};

/** Cheap, ticket-only checks first, so most rules are rejected before any tokenizing or business-time maths. */
function orderForSpeed(items: CondNode[]): CondNode[] {
  return items
    .map((n, i) => ({ n, i }))
    .sort((a, b) => cost[a.n.k] - cost[b.n.k] || a.i - b.i)
    .map((x) => x.n);
}

/** Every time leaf of a condition tree, in tree order. */
export function timeLeavesOf(node: CondNode, out: TimeLeaf[] = []): TimeLeaf[] {
  if (node.k === 'all' || node.k === 'any') for (const child of node.items) timeLeavesOf(child, out);
  else if (node.k === 'age' || node.k === 'timeInTier' || node.k === 'slaUsed') out.push(node);
  return out;
}

/** True when the tree contains a leaf of kind `k`. */
export function usesLeaf(node: CondNode, kinds: readonly CondNode['k'][]): boolean {
  if (kinds.includes(node.k)) return true;
  return (node.k === 'all' || node.k === 'any') && node.items.some((child) => usesLeaf(child, kinds));
}
