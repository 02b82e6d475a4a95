/**
 * Pure lookups from the PSA's values to the instance mapping (SPEC §3 "Mapping values"): a mapping value matches a
 * ConnectWise id (number or numeric string) or, for strings, the name case-insensitively.
 */
/** A ConnectWise id as a string, or undefined for missing/placeholder ids (0 and negatives are never real records). */
export function idString(value) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0)
        return String(value);
    if (typeof value === 'string' && /^\d+$/.test(value.trim()) && Number(value) > 0)
        return value.trim();
    return undefined;
}
/** True when the mapping value names this reference (by id, or by name case-insensitively). */
export function matchesIdOrName(value, ref) {
    if (!ref)
        return false;
    const id = idString(ref.id);
    if (typeof value === 'number')
        return id !== undefined && String(value) === id;
    const v = value.trim();
    if (/^\d+$/.test(v) && id !== undefined && String(Number(v)) === String(Number(id)))
        return true;
    return typeof ref.name === 'string' && ref.name.trim().toLowerCase() === v.toLowerCase();
}
/**
 * Status → category. Mapped statuses win; an unmapped status reads as `open` (SPEC §3) unless ConnectWise itself says
 * the ticket is closed (`closedFlag`) or merged into another ticket (SPEC §4: merged tickets count as closed).
 */
export function statusCategory(status, statuses, flags) {
    if (flags.merged)
        return 'closed';
    for (const [category, values] of Object.entries(statuses)) {
        if (values?.some((v) => matchesIdOrName(v, status)))
            return category;
    }
    return flags.closed ? 'closed' : 'open';
}
const levels = { P1: 1, P2: 2, P3: 3, P4: 4 };
/** Priority → level 1–4 via `mapping.priorities`; unmapped → null (no SLA clocks). */
export function priorityLevel(priority, priorities) {
    for (const [name, values] of Object.entries(priorities)) {
        if (values?.some((v) => matchesIdOrName(v, priority)))
            return levels[name];
    }
    return null;
}
/** `vipCompanies` entries match the company id or, in ConnectWise, its identifier (case-insensitive). */
export function isVipCompany(company, vipCompanies) {
    if (!company)
        return false;
    const id = idString(company.id);
    const identifier = company.identifier?.trim().toLowerCase();
    return vipCompanies.some((v) => {
        const s = String(v).trim().toLowerCase();
        return (id !== undefined && s === id) || (identifier !== undefined && identifier !== '' && s === identifier);
    });
}
const zoned = /(?:[zZ]|[+-]\d{2}:?\d{2})$/;
/**
 * A PSA datetime as `YYYY-MM-DDTHH:mm:ssZ` (SPEC §2 "Instants"). ConnectWise datetimes without a zone are UTC
 * (SPEC §3); unparseable values → undefined, never a throw.
 */
export function toUtc(value) {
    if (typeof value !== 'string' || value.trim() === '')
        return undefined;
    const v = value.trim();
    const withZone = zoned.test(v) || !v.includes('T') ? v : `${v}Z`;
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(withZone) ? `${withZone}T00:00:00Z` : withZone);
    if (Number.isNaN(ms))
        return undefined;
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
//# sourceMappingURL=mapping.js.map