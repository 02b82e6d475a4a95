import { createHash } from 'node:crypto';

import { recurringKey } from '../contract/index.js';
import type {
  Condition,
  Decision,
  GroupConfig,
  InstanceInfo,
  Policy,
  ReassignAction,
  Ticket,
} from '../contract/index.js';
import type { CountersStore, OwnerClaim } from './counters-store.js';

import { ownerMatches } from './ticket-state.js';
import type { InstanceCounters } from './ticket-state.js';

type SameField = 'company' | 'category';

/** What the pipeline needs to know about a policy besides the engine: SLA rules, recurring windows, groups. */
export interface PolicyFacts {
  /** Rules whose `when` uses `slaUsed` (fired once per clock). */
  slaRules: ReadonlySet<string>;
  /** Every distinct `recurring` window (by `recurringKey`); the first one also gives `state.recurringCount`. */
  recurring: { key: string; within: number; same: SameField[]; keepMs: number }[];
  groups: Readonly<Record<string, GroupConfig>>;
  /** Rules whose `when` uses `notPickedUpFor`, and its shortest duration (ms): when owner activity is worth reading. */
  pickup?: { rules: ReadonlySet<string>; minMs: number };
}

function walk(c: Condition | undefined, visit: (c: Condition) => void): void {
  if (!c) return;
  visit(c);
  for (const sub of c.any ?? []) walk(sub, visit);
  for (const sub of c.all ?? []) walk(sub, visit);
}

export function policyFacts(policy: Policy, groups: Readonly<Record<string, GroupConfig>>): PolicyFacts {
  const slaRules = new Set<string>();
  const recurring: PolicyFacts['recurring'] = [];
  const pickupRules = new Set<string>();
  let pickupMs = Infinity;
  for (const rule of policy.rules) {
    walk(rule.when, (c) => {
      if (c.slaUsed) slaRules.add(rule.id);
      if (typeof c.notPickedUpFor === 'number') {
        pickupRules.add(rule.id);
        pickupMs = Math.min(pickupMs, c.notPickedUpFor);
      }
      if (!c.recurring) return;
      const key = recurringKey(c.recurring.within, c.recurring.same);
      if (!recurring.some((r) => r.key === key))
        recurring.push({
          key,
          within: c.recurring.within,
          same: [...c.recurring.same].sort() as SameField[],
          keepMs: 0,
        });
    });
  }
  // Windows over the same fields share one set of tickets (the signature names only the fields' values): none may
  // trim away what the longest of them still counts.
  for (const r of recurring) {
    const sameSet = r.same.join(',');
    r.keepMs = Math.max(...recurring.filter((o) => o.same.join(',') === sameSet).map((o) => o.within));
  }
  return {
    slaRules,
    recurring,
    groups,
    ...(pickupRules.size > 0 ? { pickup: { rules: pickupRules, minMs: pickupMs } } : {}),
  };
}

/** The values a ticket is grouped by, or undefined when one is missing (such tickets never match, docs/spec.md §2). */
export function signature(
  ticket: { company: { id: string }; category: readonly string[] },
  same: readonly SameField[],
): string | undefined {
  const parts: string[] = [];
  for (const f of same) {
    if (f === 'company') {
      if (!ticket.company.id) return undefined;
      parts.push(`company=${ticket.company.id}`);
    } else {
      if (ticket.category.length === 0) return undefined;
      parts.push(`category=${ticket.category.map((s) => s.toLowerCase()).join('/')}`);
    }
  }
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}

/**
 * Records the ticket under every recurring signature of the policy and reads the instance-wide counters the engine
 * gets through the state (recurring count, round-robin cursors, member loads).
 */
export async function readCounters(args: {
  store: CountersStore;
  facts: PolicyFacts;
  instanceId: string;
  ticket: Ticket;
  now: number;
}): Promise<InstanceCounters> {
  const { store, facts, instanceId, ticket, now } = args;
  const created = Date.parse(ticket.createdAt);
  const recurringCounts: Record<string, number> = {};
  for (const r of facts.recurring) {
    const sig = signature(ticket, r.same);
    if (sig === undefined || Number.isNaN(created)) continue;
    // Kept a day beyond the longest window over these fields (late or re-read tickets); the key expires with it.
    const keepMs = r.keepMs + 86_400_000;
    await store.recordRecurring(
      instanceId,
      sig,
      { id: ticket.ref.id, createdAtMs: created },
      { keepSinceMs: now - keepMs, ttlMs: keepMs },
    );
    recurringCounts[r.key] = await store.countRecurring(instanceId, sig, now - r.within, now);
  }
  const [groupCursors, memberLoads] = await Promise.all([
    store.groupCursors(instanceId),
    store.memberLoads(instanceId),
  ]);
  const first = facts.recurring[0];
  return { recurringCount: (first && recurringCounts[first.key]) ?? 0, recurringCounts, groupCursors, memberLoads };
}

/** Every member named by a group (members and on-call rotations), in config order, without repeats. */
export function allMembers(groups: Readonly<Record<string, GroupConfig>>): string[] {
  const out = new Set<string>();
  for (const g of Object.values(groups)) {
    for (const m of g.members) out.add(m);
    for (const m of g.oncall?.rotation ?? []) out.add(m);
  }
  return [...out];
}

/** Keeps `least-loaded` counts current: which group member owns this ticket while it is open. */
export async function updateOwnerLoad(args: {
  store: CountersStore;
  facts: PolicyFacts;
  info: InstanceInfo;
  ticket: Ticket;
}): Promise<void> {
  const { store, facts, info, ticket } = args;
  const open = ticket.status.category !== 'resolved' && ticket.status.category !== 'closed';
  const member =
    open && ticket.owner
      ? allMembers(facts.groups).find((m) => ownerMatches(ticket.owner, m, info.mapping.members[m]))
      : undefined;
  await store.setTicketOwner(info.id, ticket.ref.id, member ?? null);
}

/**
 * The owner pick of a decision as a claim on the counters it was made from (docs/spec.md §2 Ownership): round-robin picks
 * from the group's cursor, least-loaded from its members' loads. Undefined when the move picks no one through
 * counters (no group, on-call, owner unchanged).
 */
export function ownerClaimOf(args: {
  facts: PolicyFacts;
  ticketId: string;
  decision: Decision;
  counters: InstanceCounters;
}): OwnerClaim | undefined {
  const { facts, ticketId, decision, counters } = args;
  const move = decision.actions.find((a): a is ReassignAction => a.type === 'reassign');
  if (!move?.group || move.owner === undefined) return undefined;
  const config = facts.groups[move.group];
  const base = { ticketId, member: move.owner, group: move.group };
  if (config?.assign === 'round-robin') {
    const i = config.members.indexOf(move.owner);
    return {
      ...base,
      cursor: { expected: counters.groupCursors[move.group] ?? 0, next: i < 0 ? 0 : (i + 1) % config.members.length },
    };
  }
  if (config?.assign === 'least-loaded') {
    return { ...base, loads: Object.fromEntries(config.members.map((m) => [m, counters.memberLoads[m] ?? 0])) };
  }
  return undefined;
}
