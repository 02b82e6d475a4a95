import { ownerMatches } from '../pipeline/state.js';
import { allMembers, signature } from '../pipeline/ticket-counters.js';
export class CrossTicketBuilder {
    facts;
    memberIdentities;
    recurring = new Map();
    loads = new Map();
    members;
    horizon = -Infinity;
    constructor(facts, memberIdentities) {
        this.facts = facts;
        this.memberIdentities = memberIdentities;
        this.members = allMembers(facts.groups);
    }
    add(timeline) {
        const snaps = timeline.snapshots;
        const seen = Date.parse(snaps[0].at);
        for (const r of this.facts.recurring) {
            for (const s of snaps) {
                const created = Date.parse(s.ticket.createdAt);
                const sig = signature(s.ticket, r.same);
                if (sig === undefined || Number.isNaN(created))
                    continue;
                let bySig = this.recurring.get(r.key);
                if (!bySig)
                    this.recurring.set(r.key, (bySig = new Map()));
                let tickets = bySig.get(sig);
                if (!tickets)
                    bySig.set(sig, (tickets = new Map()));
                const key = `${timeline.instance}\n${s.ticket.ref.id}`;
                if (!tickets.has(key))
                    tickets.set(key, [created, seen]);
            }
        }
        for (let i = 0; i < snaps.length; i++) {
            const s = snaps[i];
            const member = this.memberOf(s.ticket);
            if (member === undefined)
                continue;
            const at = Date.parse(s.at);
            const end = i + 1 < snaps.length ? Date.parse(snaps[i + 1].at) : Infinity;
            let l = this.loads.get(member);
            if (!l)
                this.loads.set(member, (l = { starts: [], ends: [] }));
            l.starts.push(at);
            if (end !== Infinity)
                l.ends.push(end);
        }
        const last = Date.parse(snaps[snaps.length - 1].at);
        if (last > this.horizon)
            this.horizon = last;
    }
    memberOf(ticket) {
        const open = ticket.status.category !== 'resolved' && ticket.status.category !== 'closed';
        if (!open || !ticket.owner)
            return undefined;
        return this.members.find((m) => ownerMatches(ticket.owner, m, this.memberIdentities[m]));
    }
    /** Merges another builder's data (one per worker in the first pass). */
    merge(data) {
        for (const [key, bySig] of Object.entries(data.recurring)) {
            let mine = this.recurring.get(key);
            if (!mine)
                this.recurring.set(key, (mine = new Map()));
            for (const [sig, times] of Object.entries(bySig)) {
                let tickets = mine.get(sig);
                if (!tickets)
                    mine.set(sig, (tickets = new Map()));
                // Worker data carries no ticket ids: the shards are disjoint, so a running index keeps them distinct.
                for (let k = 0; k < times.length; k += 2)
                    tickets.set(`#${tickets.size}`, [times[k], times[k + 1]]);
            }
        }
        for (const [member, l] of Object.entries(data.loads)) {
            let mine = this.loads.get(member);
            if (!mine)
                this.loads.set(member, (mine = { starts: [], ends: [] }));
            for (const s of l.starts)
                mine.starts.push(s);
            for (const e of l.ends)
                mine.ends.push(e);
        }
        if (data.horizon > this.horizon)
            this.horizon = data.horizon;
    }
    build() {
        const recurring = {};
        for (const [key, bySig] of this.recurring) {
            const out = {};
            for (const [sig, tickets] of bySig)
                out[sig] = [...tickets.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]).flat();
            recurring[key] = out;
        }
        const loads = {};
        for (const [m, l] of this.loads)
            loads[m] = { starts: [...l.starts].sort((a, b) => a - b), ends: [...l.ends].sort((a, b) => a - b) };
        return { recurring, loads, horizon: this.horizon };
    }
}
/** Tickets created in [from, to] and first observed by `to` (pairs sorted by createdAt). */
function countRecurring(pairs, from, to) {
    let lo = 0;
    let hi = pairs.length / 2;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (pairs[mid * 2] < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    let n = 0;
    for (let k = lo * 2; k < pairs.length && pairs[k] <= to; k += 2)
        if (pairs[k + 1] <= to)
            n++;
    return n;
}
/** Number of sorted values ≤ x. */
function countAtMost(sorted, x) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
/** The counters a live worker would read at `now` for `ticket` (cursors are the simulation's own, per ticket). */
export function countersAt(data, facts, ticket, now, groupCursors) {
    const recurringCounts = {};
    for (const r of facts.recurring) {
        const sig = signature(ticket, r.same);
        if (sig === undefined)
            continue;
        const times = data.recurring[r.key]?.[sig];
        if (!times)
            continue;
        recurringCounts[r.key] = countRecurring(times, now - r.within, now);
    }
    const memberLoads = {};
    for (const [m, l] of Object.entries(data.loads)) {
        const n = countAtMost(l.starts, now) - countAtMost(l.ends, now);
        if (n > 0)
            memberLoads[m] = n;
    }
    const first = facts.recurring[0];
    return { recurringCount: (first && recurringCounts[first.key]) ?? 0, recurringCounts, groupCursors, memberLoads };
}
//# sourceMappingURL=cross-ticket.js.map