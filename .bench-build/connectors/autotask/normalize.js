import { deriveTier } from '../../src/contract/index.js';
import { entryMatches, idString, labelOf, priorityLevel, statusCategory } from './mapping.js';
import { MARKER, noteKind } from './note-format.js';
import { locationKeys } from './schemas.js';
import { instant, isoSeconds, parseInstant, versionOf } from './time.js';
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Case-insensitive reads: responses are camelCase, the 2020 swagger and some proxies say PascalCase. */
function reader(o) {
    const map = new Map();
    if (isObj(o))
        for (const [k, v] of Object.entries(o))
            if (!map.has(k.toLowerCase()))
                map.set(k.toLowerCase(), v);
    return (key) => map.get(key.toLowerCase());
}
const text = (v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
/** A positive id; Autotask has no "unassigned" resource, but 0 and negatives are treated as none. */
const positiveId = (v) => {
    const id = idString(v);
    return id !== undefined && Number(id) > 0 ? id : undefined;
};
const fullName = (r) => {
    if (!r)
        return undefined;
    const get = reader(r);
    const name = [text(get('firstName')), text(get('lastName'))].filter(Boolean).join(' ');
    return name || text(get('userName'));
};
/** The value of a UDF (`userDefinedFields: [{name, value}]`) by case-insensitive name. */
function udf(list, name) {
    if (name === undefined || !Array.isArray(list))
        return undefined;
    const hit = list.find((u) => isObj(u) && typeof u.name === 'string' && u.name.toLowerCase() === name.toLowerCase());
    const v = hit?.value;
    return typeof v === 'number' || typeof v === 'boolean' ? String(v) : text(v);
}
const TRUTHY = /^(y|yes|true|1|vip|x)$/i;
function companyOf(get, lk, instance, settings) {
    // Company 0 is the MSP's own organization (Autotask's "zero company"): a real company, not a placeholder.
    const raw = idString(get('companyID'));
    const id = raw !== undefined && Number(raw) >= 0 ? raw : '';
    const c = reader(lk.company);
    const name = text(c('companyName'));
    const classification = idString(c('classification'));
    const vip = (id !== '' && (instance.mapping.vipCompanies ?? []).some((e) => entryMatches(e, id, name))) ||
        (classification !== undefined && (settings.mapping.vipClassifications ?? []).some((e) => idString(e) === classification)) ||
        TRUTHY.test(udf(c('userDefinedFields'), settings.mapping.vipCompanyUdf) ?? '');
    return name === undefined ? { id, vip } : { id, name, vip };
}
function contactOf(get, lk) {
    const id = positiveId(get('contactID'));
    if (id === undefined)
        return undefined;
    const c = reader(lk.contact);
    const out = { id };
    const name = fullName(lk.contact);
    const email = text(c('emailAddress'));
    if (name)
        out.name = name;
    if (email)
        out.email = email;
    return out;
}
function usersAffectedOf(instance, udfs, impact) {
    const rule = instance.mapping.usersAffected;
    if (!rule)
        return undefined;
    if ('customField' in rule) {
        const v = udf(udfs, rule.customField);
        const n = v === undefined ? NaN : Number(v.trim());
        return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
    }
    if (impact === undefined)
        return undefined;
    const hit = Object.entries(rule.fromImpact).find(([k]) => k.trim().toLowerCase() === impact.trim().toLowerCase());
    return hit?.[1];
}
/** Notes newest first; ours = the marker or written by our API user (also when Autotask stamped an impersonator). */
function notesOf(raw, lk, settings) {
    const me = lk.apiResourceId === undefined ? undefined : String(lk.apiResourceId);
    const customerPublish = noteKind('customer', settings, lk.notePicklists).publish;
    const notes = raw.filter(isObj).map((n) => {
        const get = reader(n);
        const title = text(get('title'))?.trim();
        const body = text(get('description'))?.trim();
        const joined = title && body && !body.startsWith(title) ? `${title}\n${body}` : (body ?? title ?? '');
        const at = parseInstant(get('createDateTime')) ?? parseInstant(get('lastActivityDate')) ?? 0;
        const author = positiveId(get('creatorResourceID')) ?? positiveId(get('createdByContactID'));
        const ours = MARKER.test(joined) || (me !== undefined && (author === me || positiveId(get('impersonatorCreatorResourceID')) === me));
        const publish = idString(get('publish'));
        return { at, author, text: joined, ours, internal: publish !== String(customerPublish), id: Number(get('id') ?? 0) };
    });
    notes.sort((a, b) => b.at - a.at || b.id - a.id);
    const recent = notes.slice(0, 5).map((n) => {
        const note = { at: isoSeconds(n.at), internal: n.internal, text: n.text, ours: n.ours };
        if (n.author)
            note.author = n.author;
        return note;
    });
    const latest = notes.find((n) => !n.ours && n.text !== '')?.text;
    return latest === undefined ? { recent } : { recent, latest };
}
/** Pure: Autotask ticket JSON + lookups + instance mapping → the normalized Ticket (SPEC §3). Never throws. */
export function normalizeAutotask(fetched, instance, settings) {
    const get = reader(fetched.ticket);
    const lk = isObj(fetched.lookups) ? fetched.lookups : {};
    const pl = lk.picklists;
    const udfs = get('userDefinedFields');
    const udfNames = settings.mapping.udfs ?? {};
    const statusId = idString(get('status')) ?? '';
    const statusName = labelOf(pl, 'status', statusId);
    const category = statusCategory(instance.mapping.statuses, statusId, statusName);
    const priorityId = idString(get('priority')) ?? '';
    const priorityName = labelOf(pl, 'priority', priorityId);
    const queueId = positiveId(get('queueID'));
    const queueName = labelOf(pl, 'queueID', queueId);
    const location = queueId === undefined ? {} : { queue: queueName ? { id: queueId, name: queueName } : { id: queueId } };
    const ownerId = positiveId(get('assignedResourceID'));
    const ownerName = fullName(lk.owner);
    const created = instant(get('createDate'));
    const version = versionOf(get('lastTrackedModificationDateTime')) ?? versionOf(get('lastActivityDate')) ?? versionOf(get('createDate')) ?? new Date(0).toISOString();
    const updated = instant(get('lastActivityDate')) ?? instant(get('lastTrackedModificationDateTime')) ?? created ?? instant(version);
    const notes = notesOf(Array.isArray(fetched.notes) ? fetched.notes : [], lk, settings);
    const ticket = {
        ref: { instance: instance.id, psa: 'autotask', id: positiveId(get('id')) ?? '' },
        title: text(get('title'))?.trim() ?? '',
        status: { id: statusId, name: statusName ?? (statusId ? `Status ${statusId}` : 'Unknown'), category },
        priority: { id: priorityId, name: priorityName ?? (priorityId ? `Priority ${priorityId}` : 'None'), level: priorityLevel(instance.mapping.priorities, priorityId, priorityName) },
        location,
        tier: deriveTier({ location }, instance.mapping.tiers, locationKeys),
        owner: ownerId === undefined ? null : ownerName ? { id: ownerId, name: ownerName } : { id: ownerId },
        company: companyOf(get, lk, instance, settings),
        category: categoryOf(get, pl),
        createdAt: created ?? updated,
        updatedAt: updated,
        recentNotes: notes.recent,
        version,
    };
    assignOptional(ticket, {
        number: text(get('ticketNumber')),
        description: text(get('description'))?.trim(),
        latestNote: notes.latest,
        contact: contactOf(get, lk),
        affectedSystems: ciName(get, lk),
        environment: udf(udfs, udfNames.environment),
        impact: udf(udfs, udfNames.impact),
        urgency: udf(udfs, udfNames.urgency),
        firstRespondedAt: instant(get('firstResponseDateTime')),
        resolvedAt: category === 'resolved' || category === 'closed' ? (instant(get('resolvedDateTime')) ?? instant(get('completedDate'))) : undefined,
        psaSla: slaOf(get),
    });
    const users = usersAffectedOf(instance, udfs, ticket.impact);
    if (users !== undefined)
        ticket.usersAffected = users;
    return ticket;
}
function categoryOf(get, pl) {
    const issue = idString(get('issueType'));
    const sub = idString(get('subIssueType'));
    const out = [];
    if (issue !== undefined)
        out.push(labelOf(pl, 'issueType', issue) ?? issue);
    if (sub !== undefined)
        out.push(labelOf(pl, 'subIssueType', sub) ?? sub);
    return out;
}
function ciName(get, lk) {
    const id = positiveId(get('configurationItemID'));
    if (id === undefined)
        return undefined;
    const ci = reader(lk.configurationItem);
    return text(ci('referenceTitle')) ?? text(ci('referenceNumber')) ?? text(ci('serialNumber')) ?? `Configuration item ${id}`;
}
function slaOf(get) {
    const sla = {};
    const respondBy = instant(get('firstResponseDueDateTime'));
    const resolveBy = instant(get('resolvedDueDateTime')) ?? instant(get('dueDateTime'));
    const met = get('serviceLevelAgreementHasBeenMet');
    if (respondBy)
        sla.respondBy = respondBy;
    if (resolveBy)
        sla.resolveBy = resolveBy;
    if (typeof met === 'boolean')
        sla.met = met;
    return Object.keys(sla).length > 0 ? sla : undefined;
}
/** Sets only the defined values (the model's optional fields are absent, never `undefined`). */
function assignOptional(ticket, values) {
    for (const [k, v] of Object.entries(values))
        if (v !== undefined)
            ticket[k] = v;
}
//# sourceMappingURL=normalize.js.map