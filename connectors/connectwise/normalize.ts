import { deriveTier, mappableFields } from '../../src/contract/index.js';
import type { FetchedTicket, FieldSource, InstanceInfo, Mapping, Ticket } from '../../src/contract/index.js';

import { idString, isVipCompany, priorityLevel, statusCategory, toUtc } from './mapping.js';
import { summarizeNotes } from './notes.js';
import { cwTicketSchema, locationKeys } from './schemas.js';
import type { ConnectWiseSettings, CwRef, CwTicket } from './schemas.js';

/** Epoch fallback for tickets without any date (never seen in practice; keeps the model total). */
const epoch = '1970-01-01T00:00:00Z';

/** Parses the ticket JSON tolerantly: a non-object reads as an empty ticket instead of throwing. */
export function parseTicket(raw: unknown): CwTicket {
  const parsed = cwTicketSchema.safeParse(raw);
  return parsed.success ? parsed.data : {};
}

const text = (v: string | null | undefined): string | undefined => {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
};

function refOf(r: CwRef | null | undefined): { id: string; name?: string } | undefined {
  const id = idString(r?.id);
  if (id === undefined) return undefined;
  const name = text(r?.name);
  return name === undefined ? { id } : { id, name };
}

/** Owner by member identifier (what `mapping.members` holds); missing or placeholder owners → null. */
function ownerOf(owner: CwRef | null | undefined, placeholders: readonly string[]): Ticket['owner'] {
  const identifier = text(owner?.identifier);
  const id = identifier ?? idString(owner?.id);
  if (id === undefined) return null;
  if (placeholders.some((p) => p.toLowerCase() === id.toLowerCase())) return null;
  const name = text(owner?.name);
  return name === undefined ? { id } : { id, name };
}

function contactOf(t: CwTicket): Ticket['contact'] {
  const id = idString(t.contact?.id) ?? '';
  const name = text(t.contact?.name) ?? text(t.contactName);
  const email = text(t.contactEmailAddress);
  if (id === '' && name === undefined && email === undefined) return undefined;
  return { id, ...(name === undefined ? {} : { name }), ...(email === undefined ? {} : { email }) };
}

/** `mapping.usersAffected`: a custom field caption, or the impact label mapped to a count (docs/spec.md §3). */
function usersAffectedOf(t: CwTicket, rule: Mapping['usersAffected']): number | undefined {
  if (!rule) return undefined;
  if ('customField' in rule) {
    const field = t.customFields?.find((f) => f.caption?.trim().toLowerCase() === rule.customField.toLowerCase());
    const n =
      typeof field?.value === 'number'
        ? field.value
        : Number(typeof field?.value === 'string' ? field.value.trim() : NaN);
    return Number.isFinite(n) && field?.value !== '' ? n : undefined;
  }
  const impact = text(t.impact)?.toLowerCase();
  if (impact === undefined) return undefined;
  const hit = Object.entries(rule.fromImpact).find(([label]) => label.toLowerCase() === impact);
  return hit?.[1];
}

/** Site name (the ticket's location at the customer); the vendor Ticket model has no configuration list inline. */
/** The customer's site (`site` {id, name}, `siteName` when the reference has no name): `calendarFor` site entries (docs/psa/connectwise.md §4.10). */
function siteOf(t: CwTicket): Ticket['site'] {
  const site = refOf(t.site);
  if (!site) return undefined;
  const name = site.name ?? text(t.siteName);
  return name === undefined ? site : { ...site, name };
}

function environmentOf(t: CwTicket): string | undefined {
  return text(t.site?.name) ?? text(t.siteName);
}

function psaSlaOf(t: CwTicket): Ticket['psaSla'] {
  const respondBy = toUtc(t.respondByGoalUTC);
  const resolveBy = toUtc(t.resolutionGoalUTC);
  const met = t.isInSla ?? undefined;
  if (respondBy === undefined && resolveBy === undefined && met === undefined) return undefined;
  return {
    ...(respondBy ? { respondBy } : {}),
    ...(resolveBy ? { resolveBy } : {}),
    ...(met === undefined ? {} : { met }),
  };
}

function datesOf(t: CwTicket, closed: boolean) {
  const updated = toUtc(t._info?.['lastUpdated']);
  const created = toUtc(t._info?.['dateEntered']) ?? updated ?? epoch;
  const resolved = toUtc(t.dateResolved) ?? (closed ? toUtc(t.closedDate) : undefined);
  const responded = toUtc(t.dateResponded);
  return {
    createdAt: created,
    updatedAt: updated ?? created,
    ...(responded ? { firstRespondedAt: responded } : {}),
    ...(resolved ? { resolvedAt: resolved } : {}),
    // docs/spec.md §4: the ConnectWise version is `_info.lastUpdated`.
    version: updated ?? created,
  };
}

/**
 * A `fields:` source read from the raw ticket: standard fields by name (a reference shows its `name`, several are
 * joined with " / "), or a custom field by `caption` (`customFields[]`; docs/psa-handoff-fields.md).
 */
export function cwFieldSource(source: FieldSource | undefined, raw: unknown): string | undefined {
  if (!source || typeof raw !== 'object' || raw === null) return undefined;
  const t = raw as Record<string, unknown>;
  const show = (v: unknown): string | undefined => {
    if (typeof v === 'string') return text(v)?.trim() || undefined;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'object' && v !== null)
      return show((v as Record<string, unknown>)['name']) ?? show((v as Record<string, unknown>)['identifier']);
    return undefined;
  };
  if ('udf' in source) {
    const list = Array.isArray(t['customFields']) ? (t['customFields'] as unknown[]) : [];
    const hit = list.find(
      (c) =>
        typeof c === 'object' &&
        c !== null &&
        String((c as Record<string, unknown>)['caption'] ?? '').toLowerCase() === source.udf.toLowerCase(),
    );
    return hit ? show((hit as Record<string, unknown>)['value']) : undefined;
  }
  const parts = (Array.isArray(source.field) ? source.field : [source.field])
    .map((f) => show(t[f]))
    .filter((v): v is string => v !== undefined);
  return parts.length > 0 ? parts.join(' / ') : undefined;
}

/** Ticket configurations (`ConfigurationReference.deviceIdentifier`, else `Configuration <id>`), comma-separated. */
export function affectedSystemsOf(lookups: FetchedTicket['lookups']): string | undefined {
  const rows = lookups?.['configurations'];
  if (!Array.isArray(rows)) return undefined;
  const names = rows
    .map((r: unknown) => {
      if (typeof r !== 'object' || r === null) return undefined;
      const row = r as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? text(v) : undefined);
      return (
        str(row['deviceIdentifier']) ??
        str(row['name']) ??
        (idString(row['id']) ? `Configuration ${idString(row['id'])}` : undefined)
      );
    })
    .filter((n): n is string => n !== undefined);
  return names.length > 0 ? [...new Set(names)].join(', ') : undefined;
}

/** The optional model fields: present only when the PSA has a value (absent ≠ empty for rules and handoff notes). */
function optionalFields(t: CwTicket, mapping: Mapping, notes: ReturnType<typeof summarizeNotes>): Partial<Ticket> {
  const contact = contactOf(t);
  const environment = environmentOf(t);
  const site = siteOf(t);
  const usersAffected = usersAffectedOf(t, mapping.usersAffected);
  const psaSla = psaSlaOf(t);
  const impact = text(t.impact);
  const urgency = text(t.severity);
  return {
    ...(notes.description === undefined ? {} : { description: notes.description }),
    ...(notes.latestNote === undefined ? {} : { latestNote: notes.latestNote }),
    ...(contact ? { contact } : {}),
    ...(site ? { site } : {}),
    ...(environment ? { environment } : {}),
    ...(usersAffected === undefined ? {} : { usersAffected }),
    ...(impact ? { impact } : {}),
    ...(urgency ? { urgency } : {}),
    ...(psaSla ? { psaSla } : {}),
  };
}

/** The instance's `fields:` mapping wins over the defaults (site, severity, impact, configurations). */
function mappedFields(instance: InstanceInfo, raw: unknown): Partial<Ticket> {
  const out: Partial<Ticket> = {};
  for (const key of mappableFields) {
    const v = cwFieldSource(instance.fields?.[key], raw);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Pure: ConnectWise ticket (+ notes) → normalized Ticket (docs/spec.md §3). Never throws on missing or unknown fields. */
export function normalize(fetched: FetchedTicket, instance: InstanceInfo, settings: ConnectWiseSettings): Ticket {
  const t = parseTicket(fetched.ticket);
  const mapping = instance.mapping;
  const closed = t.closedFlag === true;
  const merged = idString(t.mergedParentTicket?.id) !== undefined;
  const notes = summarizeNotes(Array.isArray(fetched.notes) ? fetched.notes : [], settings.connection.apiMember);
  const queue = refOf(t.board);
  const team = refOf(t.team);
  const location: Ticket['location'] = { ...(queue ? { queue } : {}), ...(team ? { team } : {}) };
  const id = idString(t.id) ?? String(t.id ?? '');
  const companyName = text(t.company?.name);
  return {
    ref: { instance: instance.id, psa: 'connectwise', id },
    number: id,
    title: text(t.summary) ?? '',
    ...optionalFields(t, mapping, notes),
    ...((a) => (a ? { affectedSystems: a } : {}))(affectedSystemsOf(fetched.lookups)),
    ...mappedFields(instance, fetched.ticket),
    recentNotes: notes.recentNotes,
    status: {
      id: idString(t.status?.id) ?? '',
      name: text(t.status?.name) ?? '',
      category: statusCategory(t.status, mapping.statuses, { closed, merged }),
    },
    priority: {
      id: idString(t.priority?.id) ?? '',
      name: text(t.priority?.name) ?? '',
      level: priorityLevel(t.priority, mapping.priorities),
    },
    location,
    tier: deriveTier({ location }, mapping.tiers, locationKeys),
    owner: ownerOf(t.owner, settings.mapping.ownerPlaceholders ?? []),
    company: {
      id: idString(t.company?.id) ?? text(t.company?.identifier) ?? '',
      ...(companyName ? { name: companyName } : {}),
      vip: isVipCompany(t.company, mapping.vipCompanies),
    },
    category: [t.type, t.subType, t.item].map((r) => text(r?.name)).filter((c): c is string => c !== undefined),
    ...datesOf(t, closed || merged),
  };
}
