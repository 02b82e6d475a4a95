/**
 * Location matching compiled once (the contract's `locationMatches` re-reads the key spec and normalizes both sides
 * on every call). Same rule: every key the location names equals the ticket's value (Halo names
 * case-insensitively); a key the connector does not know never matches.
 */
/** Slots of a ticket location: queue id, queue name, team id, team name. */
const slotOf = (field, byName) => (field === 'queue' ? 0 : 2) + (byName ? 1 : 0);
export function compileLocation(location, spec) {
    const checks = [];
    for (const [key, want] of Object.entries(location)) {
        const rule = spec[key];
        if (!rule)
            return null;
        const ci = rule.caseInsensitive ?? false;
        const value = String(want).trim();
        checks.push({ slot: slotOf(rule.field, rule.by === 'name'), ci, value: ci ? value.toLowerCase() : value });
    }
    return checks;
}
const trimmed = (v) => (v === undefined || v === null ? undefined : String(v).trim());
export function locationView(ticket) {
    const { queue, team } = ticket.location;
    return [trimmed(queue?.id), trimmed(queue?.name), trimmed(team?.id), trimmed(team?.name)];
}
export function matchesLocation(view, matcher) {
    if (matcher === null)
        return false;
    for (const check of matcher) {
        const have = view[check.slot];
        if (have === undefined || (check.ci ? have.toLowerCase() : have) !== check.value)
            return false;
    }
    return true;
}
//# sourceMappingURL=location-match.js.map