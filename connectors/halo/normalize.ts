import { deriveTier, mappableFields } from '../../src/contract/index.js';
import type {
  FetchedTicket,
  FieldSource,
  IdOrName,
  InstanceInfo,
  Mapping,
  StatusCategory,
  Ticket,
} from '../../src/contract/index.js';

import { haloInstant, laterOf } from './mapping.js';
import type { NamedId, PriorityRow } from './lookups.js';
import { htmlToText, normalizeNotes } from './notes.js';
import { locationKeys } from './schemas.js';
import type { HaloSettings } from './schemas.js';

/** What `fetchTicket` puts in `FetchedTicket.lookups` (all optional: a failed lookup only costs names). */
export interface HaloLookups {
  ownAgentId?: string;
  statuses?: NamedId[];
  teams?: NamedId[];
  priorities?: PriorityRow[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}
const asList = (v: unknown): IdOrName[] =>
  (Array.isArray(v) ? v : [v]).filter(
    (x): x is IdOrName => typeof x === 'number' || (typeof x === 'string' && x !== ''),
  );
const arr = <T>(v: unknown, guard: (x: unknown) => x is T): T[] => (Array.isArray(v) ? v.filter(guard) : []);
const isNamed = (x: unknown): x is NamedId => isObj(x) && typeof x.id === 'number' && typeof x.name === 'string';
const isPriority = (x: unknown): x is PriorityRow =>
  isObj(x) && typeof x.priorityid === 'number' && typeof x.name === 'string';

function readLookups(raw: Record<string, unknown> | undefined): HaloLookups {
  if (!raw) return {};
  const out: HaloLookups = {
    statuses: arr(raw.statuses, isNamed),
    teams: arr(raw.teams, isNamed),
    priorities: arr(raw.priorities, isPriority),
  };
  if (typeof raw.ownAgentId === 'string') out.ownAgentId = raw.ownAgentId;
  return out;
}

/** docs/spec.md §3: a mapping value matches the PSA id (number / numeric string) or, for other strings, the name (any case). */
export function idOrNameMatches(value: IdOrName, id: number | undefined, name: string | undefined): boolean {
  if (typeof value === 'number' || /^\s*\d+\s*$/.test(value)) return id !== undefined && Number(value) === id;
  return name !== undefined && value.trim().toLowerCase() === name.toLowerCase();
}

function statusOf(t: Obj, mapping: Mapping, lookups: HaloLookups): Ticket['status'] {
  const id = int(t.status_id);
  const name = str(t.status_name) ?? lookups.statuses?.find((s) => s.id === id)?.name;
  let category: StatusCategory = 'open'; // docs/spec.md §3: an unmapped status reads as open
  for (const [cat, values] of Object.entries(mapping.statuses ?? {}) as [StatusCategory, IdOrName[]][]) {
    if (asList(values).some((v) => idOrNameMatches(v, id, name))) {
      category = cat;
      break;
    }
  }
  const idText = id === undefined ? '' : String(id);
  return { id: idText, name: name ?? idText, category };
}

function priorityOf(t: Obj, mapping: Mapping, lookups: HaloLookups): Ticket['priority'] {
  const id = int(t.priority_id);
  const slaId = int(t.sla_id);
  const rows = lookups.priorities?.filter((p) => p.priorityid === id) ?? [];
  const name = str(t.priority_name) ?? (rows.find((p) => p.slaid === slaId) ?? rows[0])?.name;
  let level: 1 | 2 | 3 | 4 | null = null;
  for (const [p, lvl] of [
    ['P1', 1],
    ['P2', 2],
    ['P3', 3],
    ['P4', 4],
  ] as const) {
    if (asList(mapping.priorities?.[p]).some((v) => idOrNameMatches(v, id, name))) {
      level = lvl;
      break;
    }
  }
  const idText = id === undefined ? '' : String(id);
  return { id: idText, name: name ?? idText, level };
}

function locationOf(t: Obj, lookups: HaloLookups): Ticket['location'] {
  const team = str(t.team);
  if (!team) return {};
  // Tickets carry the team *name* only (pitfall 1); the id comes from /api/Team (webhook bodies may carry team_id).
  const id = lookups.teams?.find((x) => x.name.toLowerCase() === team.toLowerCase())?.id ?? int(t.team_id);
  return { team: { id: id === undefined ? team : String(id), name: team } };
}

/**
 * Halo's unassigned agent is a system account (pitfall 2), and it is agent 1 whatever its display name (renamed or
 * localized tenants included). Sources: a live `POST /Tickets` answer for a new team-only ticket carries `agent_id: 1`
 * and no agent (patrickthibaudeau/moodle-local_cts_co README.md @d604002); HaloAPI `Get-HaloAgent.ps1`
 * "-IncludeUnassigned: Include the system unassigned agent account"; Halo report SQL lists agents `WHERE unum <> 1`;
 * stellarcyber/halopsa-ticket-sync reads `agent_name === 'Unassigned'`. 0/null mean no agent too.
 */
function ownerOf(t: Obj): Ticket['owner'] {
  const id = int(t.agent_id);
  const name = str(t.agent_name);
  if (id === undefined || id <= 1) return null;
  if (name && /^unassigned$/i.test(name)) return null;
  return name ? { id: String(id), name } : { id: String(id) };
}

function categoryOf(t: Obj): string[] {
  // category_1..4 form the path; a value may itself hold Halo's `Parent>Child` levels.
  return [t.category_1, t.category_2, t.category_3, t.category_4]
    .flatMap((c) => (typeof c === 'string' ? c.split('>') : []))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function usersAffectedOf(t: Obj, mapping: Mapping): number | undefined {
  const rule = mapping.usersAffected;
  if (!rule) return undefined;
  if ('customField' in rule) {
    const want = rule.customField.toLowerCase();
    const field = arr(t.customfields, isObj).find((f) =>
      [f.name, f.label].some((n) => typeof n === 'string' && n.toLowerCase() === want),
    );
    const n = Number(field?.value ?? field?.display);
    return field && Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
  }
  const impact = int(t.impact);
  const label = str(t.impact_name);
  for (const [k, n] of Object.entries(rule.fromImpact)) if (idOrNameMatches(k, impact, label)) return n;
  return undefined;
}

function affectedSystemsOf(t: Obj): string | undefined {
  const assets = arr(t.assets, isObj)
    .map((a) => str(a.inventory_number) ?? str(a.key_field) ?? str(a.assettype_name))
    .filter((s): s is string => s !== undefined);
  return str(t.assetstring) ?? str(t.asset_key_field_string) ?? (assets.length > 0 ? assets.join(', ') : undefined);
}

function slaOf(t: Obj): Ticket['psaSla'] {
  const sla: NonNullable<Ticket['psaSla']> = {};
  const respondBy = haloInstant(t.respondbydate);
  const resolveBy = haloInstant(t.fixbydate);
  if (respondBy) sla.respondBy = respondBy;
  if (resolveBy) sla.resolveBy = resolveBy;
  // 'I' = in/met, 'O' = out/missed: the meaning of the `faults.slastate` column in Halo report SQL (public report
  // examples count `slastate = 'I'` as "SLA met", `'O'` as "SLA missed"). UNVERIFIED for the API field of the same
  // name (typed string, no values, in the OpenAPI), so anything else stays unknown.
  const state = str(t.slastate)?.toUpperCase();
  if (state === 'I' || state === 'O') sla.met = state === 'I';
  return Object.keys(sla).length > 0 ? sla : undefined;
}

function companyOf(t: Obj, mapping: Mapping): Ticket['company'] {
  const companyId = int(t.client_id);
  const companyName = str(t.client_name);
  const vip =
    t.is_vip === true ||
    (companyId !== undefined && (mapping.vipCompanies ?? []).some((v) => String(v).trim() === String(companyId)));
  const id = companyId === undefined ? '' : String(companyId);
  return companyName ? { id, name: companyName, vip } : { id, vip };
}

/** Created, updated and version instants: Halo `last_update`, else `lastactiondate` (docs/spec.md §4). */
function datesOf(t: Obj): Pick<Ticket, 'createdAt' | 'updatedAt' | 'version'> {
  const lastUpdate = haloInstant(t.last_update);
  const lastAction = haloInstant(t.lastactiondate);
  const createdAt =
    haloInstant(t.dateoccurred) ?? haloInstant(t.datecreated) ?? lastAction ?? lastUpdate ?? '1970-01-01T00:00:00Z';
  const updatedAt = laterOf(lastUpdate, lastAction) ?? createdAt;
  return { createdAt, updatedAt, version: lastUpdate ?? lastAction ?? updatedAt };
}

function contactOf(t: Obj): Ticket['contact'] | undefined {
  const userId = int(t.user_id);
  const userName = str(t.user_name);
  const email = str(t.user_email);
  if (userId === undefined && !userName && !email) return undefined;
  return {
    id: userId === undefined ? '' : String(userId),
    ...(userName ? { name: userName } : {}),
    ...(email ? { email } : {}),
  };
}

/** The optional fields a Halo ticket may carry (absent ones stay absent). */
function optionalFields(t: Obj, mapping: Mapping, status: Ticket['status']): Partial<Ticket> {
  const out: Partial<Ticket> = {};
  const id = int(t.id);
  if (id !== undefined) out.number = String(id);
  const description =
    str(t.details) ?? (typeof t.details_html === 'string' ? str(htmlToText(t.details_html)) : undefined);
  if (description) out.description = description;
  const contact = contactOf(t);
  if (contact) out.contact = contact;
  const environment = str(t.site_name);
  if (environment) out.environment = environment;
  // The customer's site (`site_id`, `site_name`): `calendarFor` site entries (docs/psa/halo.md §4.5).
  const siteId = int(t.site_id);
  if (siteId !== undefined) out.site = environment ? { id: String(siteId), name: environment } : { id: String(siteId) };
  const affected = affectedSystemsOf(t);
  if (affected) out.affectedSystems = affected;
  const users = usersAffectedOf(t, mapping);
  if (users !== undefined) out.usersAffected = users;
  const impact = str(t.impact_name) ?? (int(t.impact) === undefined ? undefined : String(int(t.impact)));
  if (impact) out.impact = impact;
  const urgency = int(t.urgency);
  if (urgency !== undefined) out.urgency = String(urgency);
  const responded = haloInstant(t.responsedate);
  if (responded) out.firstRespondedAt = responded;
  const closed = haloInstant(t.dateclosed);
  if (closed && (status.category === 'resolved' || status.category === 'closed')) out.resolvedAt = closed;
  const sla = slaOf(t);
  if (sla) out.psaSla = sla;
  return out;
}

/** Pure: Halo ticket JSON (+ actions, lookups) → the normalized Ticket (docs/spec.md §3). Never throws on odd input. */
export function normalize(fetched: FetchedTicket, instance: InstanceInfo, _settings: HaloSettings): Ticket {
  const t: Obj = isObj(fetched.ticket) ? fetched.ticket : {};
  const lookups = readLookups(fetched.lookups);
  const mapping = (instance.mapping ?? {}) as Mapping;
  const id = int(t.id);
  const location = locationOf(t, lookups);
  const status = statusOf(t, mapping, lookups);
  const ticket: Ticket = {
    ref: { instance: instance.id, psa: 'halo', id: id === undefined ? '' : String(id) },
    title: str(t.summary) ?? '',
    status,
    priority: priorityOf(t, mapping, lookups),
    location,
    tier: deriveTier({ location }, mapping.tiers ?? {}, locationKeys),
    owner: ownerOf(t),
    company: companyOf(t, mapping),
    category: categoryOf(t),
    ...datesOf(t),
    ...optionalFields(t, mapping, status),
  };
  const notes = normalizeNotes(fetched.notes, lookups.ownAgentId);
  ticket.recentNotes = notes.recentNotes;
  if (notes.latestNote !== undefined) ticket.latestNote = notes.latestNote;
  for (const key of mappableFields) {
    const v = haloFieldSource(instance.fields?.[key], t);
    if (v !== undefined) ticket[key] = v;
  }
  return ticket;
}

/**
 * A `fields:` source (docs/psa-handoff-fields.md): standard ticket fields by name (objects show `name`, several are
 * joined with " / "), or a custom field by `name` (`customfields[]`: `display`, else `value`).
 */
export function haloFieldSource(source: FieldSource | undefined, t: Obj): string | undefined {
  if (!source) return undefined;
  const show = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v.trim() || undefined;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (isObj(v)) return show(v.name);
    return undefined;
  };
  if ('udf' in source) {
    const list = Array.isArray(t.customfields) ? (t.customfields as unknown[]) : [];
    const hit = list.find(
      (c) => isObj(c) && typeof c.name === 'string' && c.name.toLowerCase() === source.udf.toLowerCase(),
    );
    return isObj(hit) ? (show(hit.display) ?? show(hit.value)) : undefined;
  }
  const parts = (Array.isArray(source.field) ? source.field : [source.field])
    .map((f) => show(t[f]))
    .filter((v): v is string => v !== undefined);
  return parts.length > 0 ? parts.join(' / ') : undefined;
}
