import { ownerMatches } from './state.js';
const MAX_MOVES = 100;
const MAX_NEAR = 100;
const terminal = new Set(['resolved', 'closed']);
const iso = (ms) => new Date(ms).toISOString();
/** The tier the ticket is in according to the history. */
export function currentTier(h) {
    const last = h.moves[h.moves.length - 1];
    return last ? last.to : h.initialTier;
}
/** When the current visit began. */
export function currentVisitStart(h) {
    return h.moves[h.moves.length - 1]?.at ?? h.createdAt;
}
/** The instant a change seen now most likely happened: the ticket's last modification, within [previous read, now]. */
function changeInstant(ticket, prevObservedMs, now) {
    const updated = Date.parse(ticket.updatedAt);
    if (Number.isNaN(updated))
        return now;
    return Math.min(now, Math.max(prevObservedMs, updated));
}
function start(args) {
    const { ticket } = args;
    return {
        v: 1,
        instanceId: args.instanceId,
        ticketId: ticket.ref.id,
        createdAt: ticket.createdAt,
        initialTier: ticket.tier,
        moves: [],
        clockStops: [],
        nearMisses: [],
        observedAt: iso(args.now),
    };
}
/** First note or version by the new owner after our latest move (still the current visit). */
function detectHandoff(h, ticket, changeAt) {
    const move = h.moves[h.moves.length - 1];
    if (!move || move.by !== 'us' || move.handoffAt !== undefined)
        return;
    const moveMs = Date.parse(move.at);
    // PSAs stamp notes to the second: a note in the same second as our move is after it.
    const moveSecond = Math.floor(moveMs / 1000) * 1000;
    // Without an owner of ours, whoever takes the ticket after the move is its new owner (taking it is their first version).
    const pickedUp = move.owner === undefined && ticket.owner && ticket.owner.id !== move.previousOwnerId ? ticket.owner : undefined;
    const isNewOwner = (who) => move.owner !== undefined
        ? ownerMatches(who, move.owner, move.ownerIdentity)
        : pickedUp !== undefined && ownerMatches(who, pickedUp.id, pickedUp.name);
    const notes = (ticket.recentNotes ?? [])
        .filter((n) => !n.ours && n.author !== undefined && Date.parse(n.at) >= moveSecond && isNewOwner({ id: n.author }))
        .map((n) => Date.parse(n.at));
    let first = notes.length > 0 ? Math.min(...notes) : Infinity;
    if (pickedUp && Date.parse(ticket.updatedAt) > moveMs)
        first = Math.min(first, changeAt);
    if (Number.isFinite(first))
        move.handoffAt = iso(Math.max(first, moveMs));
}
function recordEnd(h, ticket, changeAt) {
    if (terminal.has(ticket.status.category)) {
        const resolved = ticket.resolvedAt && !Number.isNaN(Date.parse(ticket.resolvedAt)) ? ticket.resolvedAt : iso(changeAt);
        h.endedAt ??= resolved;
        h.resolvedAt ??= resolved;
    }
    else if (h.endedAt !== undefined) {
        // Reopened: the visit goes on; the next resolution counts instead.
        delete h.endedAt;
        delete h.resolvedAt;
    }
}
function recordClocks(h, ticket, decision, now) {
    for (const clock of ['firstResponse', 'resolution']) {
        const c = decision?.clocks[clock];
        if (!c?.stopped || h.clockStops.some((s) => s.clock === clock))
            continue;
        const at = clock === 'firstResponse' ? ticket.firstRespondedAt : ticket.resolvedAt;
        h.clockStops.push({ clock, at: at ?? iso(now), met: !c.breached });
    }
}
function recordProposal(h, args) {
    const move = args.decision?.actions.find((a) => a.type === 'reassign');
    if (args.mode !== 'observe' || move?.type !== 'reassign')
        return;
    if (args.decision?.reasons.some((r) => r.rule === move.rule && r.suppressed !== undefined))
        return;
    const visitAt = Date.parse(currentVisitStart(h));
    const proposals = h.proposals ?? [];
    if (proposals.some((p) => p.rule === move.rule && Date.parse(p.at) >= visitAt))
        return;
    h.proposals = [...proposals, { at: iso(args.now), from: currentTier(h), to: move.tier, rule: move.rule }].slice(-MAX_MOVES);
}
function recordNearMisses(h, decision, now) {
    const visitAt = currentVisitStart(h);
    const tier = currentTier(h);
    for (const n of decision?.nearMisses ?? []) {
        if (h.nearMisses.some((x) => x.rule === n.rule && x.visitAt === visitAt))
            continue;
        h.nearMisses.push({ at: iso(now), tier, rule: n.rule, visitAt });
    }
    h.nearMisses = h.nearMisses.slice(-MAX_NEAR);
}
/** Our reassigns newer than the last one recorded in the history. */
function newMovesOfOurs(h, ours) {
    const lastOurs = [...h.moves].reverse().find((m) => m.by === 'us');
    const after = lastOurs ? Date.parse(lastOurs.at) : -Infinity;
    return (ours?.escalations ?? []).filter((e) => Date.parse(e.at) > after).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
function pushOurs(h, e, args) {
    const last = args.ours?.lastReassign;
    const mine = last && last.at === e.at ? last : undefined;
    h.moves.push({
        at: e.at, from: currentTier(h), to: e.tier ?? null, by: 'us', rule: e.rule,
        ...(e.kind ? { kind: e.kind } : {}),
        businessMinutes: Math.max(0, args.businessMinutes(Date.parse(currentVisitStart(h)), Date.parse(e.at))),
        ...(mine?.owner !== undefined ? { owner: mine.owner, ownerIdentity: mine.ownerIdentity } : {}),
        previousOwnerId: h.lastOwnerId ?? null,
    });
}
/**
 * Folds one evaluation into the history: a tier change nobody of ours made (a human move), the new owner's first
 * activity, the end (or reopening) of the ticket, stopped clocks, near misses, then our applied move.
 */
export function recordEvaluation(prev, args) {
    const h = prev
        ? { ...prev, moves: prev.moves.map((m) => ({ ...m })), clockStops: [...prev.clockStops], nearMisses: [...prev.nearMisses] }
        : start(args);
    const { ticket, now } = args;
    const prevObserved = Date.parse(h.observedAt);
    const changeAt = changeInstant(ticket, Number.isNaN(prevObserved) ? now : prevObserved, now);
    const fresh = newMovesOfOurs(h, args.ours);
    // Moves of ours applied before this read (a recorded decision completed by a retry) come first, so reading their
    // result is no human move; moves of this evaluation (at or after the read) come last.
    for (const m of fresh.filter((e) => Date.parse(e.at) < now))
        pushOurs(h, m, args);
    if (prev && ticket.tier !== currentTier(h))
        h.moves.push({ at: iso(changeAt), from: currentTier(h), to: ticket.tier, by: 'human' });
    detectHandoff(h, ticket, changeAt);
    recordEnd(h, ticket, changeAt);
    recordClocks(h, ticket, args.decision, now);
    recordNearMisses(h, args.decision, now);
    recordProposal(h, args);
    h.lastOwnerId = ticket.owner?.id ?? null;
    for (const m of fresh.filter((e) => Date.parse(e.at) >= now))
        pushOurs(h, m, args);
    h.moves = h.moves.slice(-MAX_MOVES);
    h.observedAt = iso(now);
    return h;
}
/** A `deleted` event or a 404: the ticket's last visit ends now. */
export function recordGone(prev, now) {
    return prev.endedAt === undefined ? { ...prev, endedAt: iso(now), observedAt: iso(now) } : prev;
}
//# sourceMappingURL=escalation-metrics-history.js.map