import { createHash } from 'node:crypto';
import { recurringKey } from '../contract/index.js';
import { ownerMatches } from './state.js';
function walk(c, visit) {
    if (!c)
        return;
    visit(c);
    for (const sub of c.any ?? [])
        walk(sub, visit);
    for (const sub of c.all ?? [])
        walk(sub, visit);
}
export function policyFacts(policy, groups) {
    const slaRules = new Set();
    const recurring = [];
    for (const rule of policy.rules) {
        walk(rule.when, (c) => {
            if (c.slaUsed)
                slaRules.add(rule.id);
            if (!c.recurring)
                return;
            const key = recurringKey(c.recurring.within, c.recurring.same);
            if (!recurring.some((r) => r.key === key))
                recurring.push({ key, within: c.recurring.within, same: [...c.recurring.same].sort(), keepMs: 0 });
        });
    }
    // Windows over the same fields share one set of tickets (the signature names only the fields' values): none may
    // trim away what the longest of them still counts.
    for (const r of recurring) {
        const sameSet = r.same.join(',');
        r.keepMs = Math.max(...recurring.filter((o) => o.same.join(',') === sameSet).map((o) => o.within));
    }
    return { slaRules, recurring, groups };
}
/** The values a ticket is grouped by, or undefined when one is missing (such tickets never match, SPEC §2). */
export function signature(ticket, same) {
    const parts = [];
    for (const f of same) {
        if (f === 'company') {
            if (!ticket.company.id)
                return undefined;
            parts.push(`company=${ticket.company.id}`);
        }
        else {
            if (ticket.category.length === 0)
                return undefined;
            parts.push(`category=${ticket.category.map((s) => s.toLowerCase()).join('/')}`);
        }
    }
    return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 24);
}
/**
 * Records the ticket under every recurring signature of the policy and reads the instance-wide counters the engine
 * gets through the state (recurring count, round-robin cursors, member loads).
 */
export async function readCounters(args) {
    const { store, facts, instanceId, ticket, now } = args;
    const created = Date.parse(ticket.createdAt);
    const recurringCounts = {};
    for (const r of facts.recurring) {
        const sig = signature(ticket, r.same);
        if (sig === undefined || Number.isNaN(created))
            continue;
        await store.recordRecurring(instanceId, sig, ticket.ref.id, created, now - r.keepMs - 86_400_000);
        recurringCounts[r.key] = await store.countRecurring(instanceId, sig, now - r.within, now);
    }
    const [groupCursors, memberLoads] = await Promise.all([store.groupCursors(instanceId), store.memberLoads(instanceId)]);
    const first = facts.recurring[0];
    return { recurringCount: (first && recurringCounts[first.key]) ?? 0, recurringCounts, groupCursors, memberLoads };
}
/** Every member named by a group (members and on-call rotations), in config order, without repeats. */
export function allMembers(groups) {
    const out = new Set();
    for (const g of Object.values(groups)) {
        for (const m of g.members)
            out.add(m);
        for (const m of g.oncall?.rotation ?? [])
            out.add(m);
    }
    return [...out];
}
/** Keeps `least-loaded` counts current: which group member owns this ticket while it is open. */
export async function updateOwnerLoad(args) {
    const { store, facts, info, ticket } = args;
    const open = ticket.status.category !== 'resolved' && ticket.status.category !== 'closed';
    const member = open && ticket.owner ? allMembers(facts.groups).find((m) => ownerMatches(ticket.owner, m, info.mapping.members[m])) : undefined;
    await store.setTicketOwner(info.id, ticket.ref.id, member ?? null);
}
/** After our reassign through a round-robin group: the next move starts after the member just assigned. */
export async function advanceRoundRobin(args) {
    const { group, owner } = args;
    if (!group || !owner)
        return;
    const config = args.facts.groups[group];
    if (config?.assign !== 'round-robin')
        return;
    const i = config.members.indexOf(owner);
    await args.store.setCursor(args.instanceId, group, i < 0 ? 0 : (i + 1) % config.members.length);
}
//# sourceMappingURL=ticket-counters.js.map