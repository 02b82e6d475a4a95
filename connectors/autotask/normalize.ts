import { deriveTier, handoffSections } from '../../src/contract/index.js';
import type {
  FetchedTicket,
  FieldSource,
  HandoffSection,
  InstanceInfo,
  Ticket,
  TicketNote,
} from '../../src/contract/index.js';

import { entryMatches, idString, labelOf, priorityLevel, statusCategory } from './mapping.js';
import type { PicklistMap } from './mapping.js';
import { isOurNote, noteKind } from './notes.js';
import type { AutotaskLookups } from './read.js';
import { locationKeys } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';
import { instant, isoSeconds, parseInstant, versionOf } from './mapping.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Case-insensitive reads: responses are camelCase, the 2020 swagger and some proxies say PascalCase. */
function reader(o: unknown): (key: string) => unknown {
  const map = new Map<string, unknown>();
  if (isObj(o)) for (const [k, v] of Object.entries(o)) if (!map.has(k.toLowerCase())) map.set(k.toLowerCase(), v);
  return (key) => map.get(key.toLowerCase());
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
/** A positive id; Autotask has no "unassigned" resource, but 0 and negatives are treated as none. */
const positiveId = (v: unknown): string | undefined => {
  const id = idString(v);
  return id !== undefined && Number(id) > 0 ? id : undefined;
};
const fullName = (r: Obj | undefined): string | undefined => {
  if (!r) return undefined;
  const get = reader(r);
  const name = [text(get('firstName')), text(get('lastName'))].filter(Boolean).join(' ');
  return name || text(get('userName'));
};

/** The value of a UDF (`userDefinedFields: [{name, value}]`) by case-insensitive name. */
function udf(list: unknown, name: string | undefined): string | undefined {
  if (name === undefined || !Array.isArray(list)) return undefined;
  const hit = list.find(
    (u) => isObj(u) && typeof u.name === 'string' && u.name.toLowerCase() === name.toLowerCase(),
  ) as Obj | undefined;
  const v = hit?.value;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : text(v);
}

/**
 * A `fields:` source read from the ticket: standard fields by name (picklists show their label, several joined
 * with " / "), or a UDF by name (docs/psa-handoff-fields.md).
 */
function fromSource(
  source: FieldSource | undefined,
  get: (k: string) => unknown,
  pl: PicklistMap | undefined,
  udfs: unknown,
): string | undefined {
  if (!source) return undefined;
  if ('udf' in source) return udf(udfs, source.udf);
  const names = Array.isArray(source.field) ? source.field : [source.field];
  const parts = names
    .map((name) => {
      const raw = get(name);
      const id = idString(raw);
      if (id !== undefined) return labelOf(pl, name, id) ?? id;
      return typeof raw === 'string' ? text(raw)?.trim() : undefined;
    })
    .filter((v): v is string => v !== undefined && v !== '');
  return parts.length > 0 ? parts.join(' / ') : undefined;
}

/**
 * Handoff sections an Autotask instance can fill: everything but `environment`, which Autotask has no standard
 * field for unless the instance maps one (`fields.environment`, e.g. `{field: [issueType, subIssueType]}` or a UDF,
 * or `mapping.udfs.environment`). Urgency defaults to the priority, affected systems to the configuration item.
 */
export function handoffFillable(instance: InstanceInfo, settings: AutotaskSettings): HandoffSection[] {
  const envMapped = instance.fields?.environment !== undefined || settings.mapping.udfs?.environment !== undefined;
  return handoffSections.filter((s) => s !== 'environment' || envMapped);
}

const TRUTHY = /^(y|yes|true|1|vip|x)$/i;

function companyOf(
  get: (k: string) => unknown,
  lk: AutotaskLookups,
  instance: InstanceInfo,
  settings: AutotaskSettings,
): Ticket['company'] {
  // Company 0 is the MSP's own organization (Autotask's "zero company"): a real company, not a placeholder.
  const raw = idString(get('companyID'));
  const id = raw !== undefined && Number(raw) >= 0 ? raw : '';
  const c = reader(lk.company);
  const name = text(c('companyName'));
  const classification = idString(c('classification'));
  const vip =
    (id !== '' && (instance.mapping.vipCompanies ?? []).some((e) => entryMatches(e, id, name))) ||
    (classification !== undefined &&
      (settings.mapping.vipClassifications ?? []).some((e) => idString(e) === classification)) ||
    TRUTHY.test(udf(c('userDefinedFields'), settings.mapping.vipCompanyUdf) ?? '');
  return name === undefined ? { id, vip } : { id, name, vip };
}

function contactOf(get: (k: string) => unknown, lk: AutotaskLookups): Ticket['contact'] {
  const id = positiveId(get('contactID'));
  if (id === undefined) return undefined;
  const c = reader(lk.contact);
  const out: NonNullable<Ticket['contact']> = { id };
  const name = fullName(lk.contact);
  const email = text(c('emailAddress'));
  if (name) out.name = name;
  if (email) out.email = email;
  return out;
}

/** The ticket's company location (`companyLocationID`; name from the CompanyLocations lookup, docs/psa/autotask.md §5.5). */
function siteOf(get: (k: string) => unknown, lk: AutotaskLookups): Ticket['site'] {
  const id = positiveId(get('companyLocationID'));
  if (id === undefined) return undefined;
  const name = text(reader(lk.location)('name'))?.trim();
  return name ? { id, name } : { id };
}

function usersAffectedOf(instance: InstanceInfo, udfs: unknown, impact: string | undefined): number | undefined {
  const rule = instance.mapping.usersAffected;
  if (!rule) return undefined;
  if ('customField' in rule) {
    const v = udf(udfs, rule.customField);
    const n = v === undefined ? NaN : Number(v.trim());
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
  }
  if (impact === undefined) return undefined;
  const hit = Object.entries(rule.fromImpact).find(([k]) => k.trim().toLowerCase() === impact.trim().toLowerCase());
  return hit?.[1];
}

/** Notes newest first; ours = our marker AND written by our API user (also when Autotask stamped an impersonator). */
function notesOf(
  raw: unknown[],
  lk: AutotaskLookups,
  settings: AutotaskSettings,
): { recent: TicketNote[]; latest?: string } {
  const me = lk.apiResourceId === undefined ? undefined : String(lk.apiResourceId);
  const customerPublish = noteKind('customer', settings, lk.notePicklists as PicklistMap | undefined).publish;
  const notes = raw.filter(isObj).map((n) => {
    const get = reader(n);
    const title = text(get('title'))?.trim();
    const body = text(get('description'))?.trim();
    const joined = title && body && !body.startsWith(title) ? `${title}\n${body}` : (body ?? title ?? '');
    const at = parseInstant(get('createDateTime')) ?? parseInstant(get('lastActivityDate')) ?? 0;
    const author = positiveId(get('creatorResourceID')) ?? positiveId(get('createdByContactID'));
    const ours = isOurNote(joined, n, me);
    const publish = idString(get('publish'));
    return {
      at,
      author,
      text: joined,
      ours,
      internal: publish !== String(customerPublish),
      id: Number(get('id') ?? 0),
    };
  });
  notes.sort((a, b) => b.at - a.at || b.id - a.id);
  const recent = notes.slice(0, 5).map((n) => {
    const note: TicketNote = { at: isoSeconds(n.at), internal: n.internal, text: n.text, ours: n.ours };
    if (n.author) note.author = n.author;
    return note;
  });
  const latest = notes.find((n) => !n.ours && n.text !== '')?.text;
  return latest === undefined ? { recent } : { recent, latest };
}

/** Pure: Autotask ticket JSON + lookups + instance mapping → the normalized Ticket (docs/spec.md §3). Never throws. */
export function normalize(fetched: FetchedTicket, instance: InstanceInfo, settings: AutotaskSettings): Ticket {
  const get = reader(fetched.ticket);
  const lk: AutotaskLookups = isObj(fetched.lookups) ? (fetched.lookups as AutotaskLookups) : {};
  const pl = lk.picklists as PicklistMap | undefined;
  const udfs = get('userDefinedFields');
  const udfNames = settings.mapping.udfs ?? {};
  const fields = instance.fields ?? {};

  const statusId = idString(get('status')) ?? '';
  const statusName = labelOf(pl, 'status', statusId);
  const category = statusCategory(instance.mapping.statuses, statusId, statusName);
  const priorityId = idString(get('priority')) ?? '';
  const priorityName = labelOf(pl, 'priority', priorityId);
  const location = locationOf(get, pl);
  const ownerId = positiveId(get('assignedResourceID'));
  const ownerName = fullName(lk.owner);

  const { created, version, updated } = timesOf(get);
  const notes = notesOf(Array.isArray(fetched.notes) ? fetched.notes : [], lk, settings);

  const ticket: Ticket = {
    ref: { instance: instance.id, psa: 'autotask', id: positiveId(get('id')) ?? '' },
    title: text(get('title'))?.trim() ?? '',
    status: { id: statusId, name: statusName ?? (statusId ? `Status ${statusId}` : 'Unknown'), category },
    priority: {
      id: priorityId,
      name: priorityName ?? (priorityId ? `Priority ${priorityId}` : 'None'),
      level: priorityLevel(instance.mapping.priorities, priorityId, priorityName),
    },
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
    site: siteOf(get, lk),
    // `fields:` first, then the connector's own UDF names, then the standard fields that carry them by default.
    affectedSystems: fromSource(fields.affectedSystems, get, pl, udfs) ?? ciName(get, lk),
    environment: fromSource(fields.environment, get, pl, udfs) ?? udf(udfs, udfNames.environment),
    impact: fromSource(fields.impact, get, pl, udfs) ?? udf(udfs, udfNames.impact),
    urgency: fromSource(fields.urgency, get, pl, udfs) ?? udf(udfs, udfNames.urgency) ?? priorityName,
    firstRespondedAt: instant(get('firstResponseDateTime')),
    resolvedAt:
      category === 'resolved' || category === 'closed'
        ? (instant(get('resolvedDateTime')) ?? instant(get('completedDate')))
        : undefined,
    psaSla: slaOf(get),
  });
  const users = usersAffectedOf(instance, udfs, ticket.impact);
  if (users !== undefined) ticket.usersAffected = users;
  return ticket;
}

/** The ticket's queue (Autotask's only location level), named from the picklist when it has a label. */
function locationOf(get: (k: string) => unknown, pl: PicklistMap | undefined): Ticket['location'] {
  const queueId = positiveId(get('queueID'));
  const queueName = labelOf(pl, 'queueID', queueId);
  return queueId === undefined ? {} : { queue: queueName ? { id: queueId, name: queueName } : { id: queueId } };
}

/** Creation instant, change version (last tracked modification, else last activity, else creation) and update instant. */
function timesOf(get: (k: string) => unknown): { created: string | undefined; version: string; updated: string } {
  const created = instant(get('createDate'));
  const version =
    versionOf(get('lastTrackedModificationDateTime')) ??
    versionOf(get('lastActivityDate')) ??
    versionOf(get('createDate')) ??
    new Date(0).toISOString();
  const updated =
    instant(get('lastActivityDate')) ?? instant(get('lastTrackedModificationDateTime')) ?? created ?? instant(version)!;
  return { created, version, updated };
}

function categoryOf(get: (k: string) => unknown, pl: PicklistMap | undefined): string[] {
  const issue = idString(get('issueType'));
  const sub = idString(get('subIssueType'));
  const out: string[] = [];
  if (issue !== undefined) out.push(labelOf(pl, 'issueType', issue) ?? issue);
  if (sub !== undefined) out.push(labelOf(pl, 'subIssueType', sub) ?? sub);
  return out;
}

function ciName(get: (k: string) => unknown, lk: AutotaskLookups): string | undefined {
  const id = positiveId(get('configurationItemID'));
  if (id === undefined) return undefined;
  const ci = reader(lk.configurationItem);
  return (
    text(ci('referenceTitle')) ?? text(ci('referenceNumber')) ?? text(ci('serialNumber')) ?? `Configuration item ${id}`
  );
}

function slaOf(get: (k: string) => unknown): Ticket['psaSla'] {
  const sla: NonNullable<Ticket['psaSla']> = {};
  const respondBy = instant(get('firstResponseDueDateTime'));
  const resolveBy = instant(get('resolvedDueDateTime')) ?? instant(get('dueDateTime'));
  const met = get('serviceLevelAgreementHasBeenMet');
  if (respondBy) sla.respondBy = respondBy;
  if (resolveBy) sla.resolveBy = resolveBy;
  if (typeof met === 'boolean') sla.met = met;
  return Object.keys(sla).length > 0 ? sla : undefined;
}

/** Sets only the defined values (the model's optional fields are absent, never `undefined`). */
function assignOptional(ticket: Ticket, values: Partial<Ticket>): void {
  for (const [k, v] of Object.entries(values)) if (v !== undefined) (ticket as Record<string, unknown>)[k] = v;
}
