import { idString } from './mapping.js';
/** The owner value of a plan (`mapping.members` entry or member name): identifier string, numeric id or an object. */
export function memberTarget(owner) {
    if (typeof owner === 'string' && owner.trim() !== '')
        return { identifier: owner.trim() };
    if (typeof owner === 'number' && Number.isInteger(owner) && owner > 0)
        return { id: owner };
    if (typeof owner === 'object' && owner !== null) {
        const o = owner;
        if (typeof o.identifier === 'string' && o.identifier.trim() !== '')
            return { identifier: o.identifier.trim() };
        const id = idString(o.id);
        if (id !== undefined)
            return { id: Number(id) };
    }
    return undefined;
}
function ownerIs(current, owner) {
    if ('identifier' in owner)
        return current.owner?.identifier?.toLowerCase() === owner.identifier.toLowerCase();
    return idString(current.owner?.id) === String(owner.id);
}
const refId = (r) => {
    const id = idString(r?.id);
    return id === undefined ? undefined : Number(id);
};
/** The operations that move `current` to `target`, in a stable order (board before its board-scoped fields). */
export function buildPatch(current, target) {
    const ops = [];
    if (target.board !== undefined && refId(current.board) !== target.board)
        ops.push({ op: 'replace', path: 'board', value: { id: target.board } });
    if (target.status !== undefined && refId(current.status) !== target.status)
        ops.push({ op: 'replace', path: 'status', value: { id: target.status } });
    if (target.team === null) {
        if (refId(current.team) !== undefined)
            ops.push({ op: 'remove', path: 'team' });
    }
    else if (target.team !== undefined && refId(current.team) !== target.team) {
        ops.push({ op: 'replace', path: 'team', value: { id: target.team } });
    }
    if (target.owner !== undefined && !ownerIs(current, target.owner))
        ops.push({ op: 'replace', path: 'owner', value: target.owner });
    if (target.priority !== undefined && refId(current.priority) !== target.priority)
        ops.push({ op: 'replace', path: 'priority', value: { id: target.priority } });
    return ops;
}
/** Fields of `target` that the re-read ticket does not show (the documented false 200). */
export function notApplied(readBack, target) {
    const missing = [];
    if (target.board !== undefined && refId(readBack.board) !== target.board)
        missing.push('board');
    if (target.status !== undefined && refId(readBack.status) !== target.status)
        missing.push('status');
    if (target.team === null ? refId(readBack.team) !== undefined : target.team !== undefined && refId(readBack.team) !== target.team)
        missing.push('team');
    if (target.owner !== undefined && !ownerIs(readBack, target.owner))
        missing.push('owner');
    if (target.priority !== undefined && refId(readBack.priority) !== target.priority)
        missing.push('priority');
    return missing;
}
/**
 * `POST /service/tickets/{id}/notes` body (connectwise.md §4.5): exactly one tab flag. Internal handoff notes go to the
 * Internal tab without notification processing; customer notes go to Discussion and let the board's
 * notification rules email the contact.
 */
export function noteBody(text, visibility) {
    const internal = visibility === 'internal';
    return {
        text,
        detailDescriptionFlag: !internal,
        internalAnalysisFlag: internal,
        resolutionFlag: false,
        processNotifications: !internal,
    };
}
//# sourceMappingURL=patch.js.map