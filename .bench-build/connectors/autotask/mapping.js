/** An id (number) or numeric string from the payload, as a string. */
export function idString(v) {
    if (typeof v === 'number' && Number.isFinite(v))
        return String(v);
    if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v))
        return String(Number(v));
    return undefined;
}
/** The label of a picklist value (case-insensitive field name; Autotask's own casing varies). */
export function labelOf(picklists, field, value) {
    if (!picklists || value === undefined)
        return undefined;
    const key = Object.keys(picklists).find((k) => k.toLowerCase() === field.toLowerCase());
    const label = key === undefined ? undefined : picklists[key]?.find((p) => p.value === value)?.label;
    return label === undefined || label === '' ? undefined : label;
}
/** A mapping entry matches a PSA id (number or numeric string) or, for other strings, its name case-insensitively. */
export function entryMatches(entry, id, name) {
    const asId = idString(entry);
    if (asId !== undefined)
        return asId === id;
    return name !== undefined && String(entry).trim().toLowerCase() === name.trim().toLowerCase();
}
/** SPEC §3: mapped id or name → its category; an unmapped status reads as `open`. */
export function statusCategory(statuses, id, name) {
    for (const [category, entries] of Object.entries(statuses ?? {})) {
        if (entries?.some((e) => entryMatches(e, id, name)))
            return category;
    }
    return 'open';
}
/** SPEC §3: P1–P4 by mapped id or name; unmapped → null (no SLA clocks). */
export function priorityLevel(priorities, id, name) {
    const levels = [1, 2, 3, 4];
    for (const level of levels) {
        const entries = priorities?.[`P${level}`];
        if (entries?.some((e) => entryMatches(e, id, name)))
            return level;
    }
    return null;
}
/** The picklist value to write for a mapping entry: the id itself, or the value whose label matches the name. */
export function picklistValue(picklists, field, entry) {
    const asId = idString(entry);
    if (asId !== undefined)
        return Number(asId);
    const key = picklists ? Object.keys(picklists).find((k) => k.toLowerCase() === field.toLowerCase()) : undefined;
    const found = key === undefined ? undefined : picklists?.[key]?.find((p) => p.label.trim().toLowerCase() === String(entry).trim().toLowerCase());
    return found === undefined ? undefined : Number(found.value);
}
//# sourceMappingURL=mapping.js.map