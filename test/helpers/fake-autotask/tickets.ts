import { vendorModel } from '../vendor-schemas/autotask.js';

import { readQuery, runQuery } from './query.js';
import { zoneless } from './state.js';
import type { FakeState, Json } from './state.js';

/** One parsed request, path relative to `/atservicesrest/v1.0`. */
export interface FakeRequest {
  method: string;
  /** Lower-cased path segments after `V1.0` (`['tickets', '351181', 'notes']`). */
  seg: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteCtx {
  state: FakeState;
  /** `http://127.0.0.1:port/ATServicesRest/V1.0` for paging links. */
  restUrl: string;
  /** Returns true (and counts down) when the next ticket PATCH must answer 200 without changing anything. */
  falseWrite(): boolean;
  /** Remembers the body of a paged query: `nextPageUrl` must be POSTed with the same body. */
  pages: Map<string, { body: string; offset: number; entity: string }>;
}

export const errors = (status: number, ...messages: string[]): Reply => ({ status, body: { errors: messages } });
const notFound = (): Reply => ({ status: 404, body: { errors: ['The requested resource was not found.'] } });
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** Canonical (camelCase) names of a model's properties by lower-cased name. */
export function canonical(model: string): Map<string, string> {
  return new Map(Object.keys(vendorModel(model).properties ?? {}).map((k) => [k.toLowerCase(), k]));
}
const ticketProps = canonical('TicketModel');
const noteProps = canonical('TicketNoteModel');
/** Properties Autotask maintains itself: writes to them are ignored. */
const READ_ONLY = new Set([
  'id',
  'createdate',
  'ticketnumber',
  'lastactivitydate',
  'lasttrackedmodificationdatetime',
  'creatorresourceid',
  'createdatetime',
]);

/** Case-insensitive body → canonical names; unknown names give Autotask's 500. */
export function canonicalBody(
  body: Json,
  props: Map<string, string>,
): { ok: true; value: Json } | { ok: false; reply: Reply } {
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) {
    const name = props.get(k.toLowerCase());
    if (!name) return { ok: false, reply: errors(500, `Unable to find ${k} in the Entity.`) };
    out[name] = v;
  }
  return { ok: true, value: out };
}

function checkInt(field: string, v: unknown): Reply | undefined {
  if (v === null || typeof v === 'number') return undefined;
  return errors(500, `Conversion failed when converting the varchar value '${String(v)}' to data type int. (${field})`);
}

function validateTicketChange(ctx: RouteCtx, change: Json): Reply | undefined {
  const s = ctx.state;
  for (const f of ['status', 'priority', 'queueID']) {
    if (!(f in change)) continue;
    const bad = checkInt(f, change[f]);
    if (bad) return bad;
    if (change[f] !== null && !s.picklist(s.ticketFields, f).includes(String(change[f])))
      return errors(500, `Value ${String(change[f])} is not valid for ${f}.`);
  }
  const hasRes = 'assignedResourceID' in change && change.assignedResourceID !== null;
  const hasRole = 'assignedResourceRoleID' in change && change.assignedResourceRoleID !== null;
  if (hasRes !== hasRole)
    return errors(
      500,
      'When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID.',
    );
  if (hasRes) {
    const bad =
      checkInt('assignedResourceID', change.assignedResourceID) ??
      checkInt('assignedResourceRoleID', change.assignedResourceRoleID);
    if (bad) return bad;
    if (!s.resources.has(change.assignedResourceID as number)) {
      return errors(
        500,
        'Reference value on field: assignedResourceID of type: Resource does not exist or is invalid.',
      );
    }
    if (!(s.roles.get(change.assignedResourceID as number) ?? []).includes(change.assignedResourceRoleID as number))
      return errors(500, 'Role does not exist or is invalid');
  }
  return undefined;
}

function patchTicket(ctx: RouteCtx, body: unknown): Reply {
  if (!isObj(body)) return errors(500, 'The request body is not a valid entity.');
  const parsed = canonicalBody(body, ticketProps);
  if (!parsed.ok) return parsed.reply;
  const change = parsed.value;
  const id = change.id;
  if (typeof id !== 'number') return errors(500, 'An id is required to update an entity.');
  const t = ctx.state.tickets.get(id);
  if (!t) return errors(500, `Ticket with id ${id} does not exist or is invalid.`);
  const invalid = validateTicketChange(ctx, change);
  if (invalid) return invalid;
  if (!ctx.falseWrite()) {
    for (const [k, v] of Object.entries(change)) if (!READ_ONLY.has(k.toLowerCase())) t[k] = v;
    t.lastTrackedModificationDateTime = zoneless(ctx.state.now());
    t.lastActivityDate = zoneless(ctx.state.now());
    t.lastActivityResourceID = ctx.state.apiResourceId;
  }
  return { status: 200, body: { itemId: id } };
}

function postNote(ctx: RouteCtx, ticketId: number, body: unknown): Reply {
  const s = ctx.state;
  if (!s.tickets.has(ticketId)) return errors(500, `Ticket with id ${ticketId} does not exist or is invalid.`);
  if (!isObj(body)) return errors(500, 'The request body is not a valid entity.');
  const parsed = canonicalBody(body, noteProps);
  if (!parsed.ok) return parsed.reply;
  const note = parsed.value;
  if (typeof note.description !== 'string' || note.description.trim() === '')
    return errors(500, 'description is required.');
  if (s.requireNoteTitles && (typeof note.title !== 'string' || note.title.trim() === ''))
    return errors(500, 'title is required.');
  if (typeof note.title === 'string' && note.title.length > 250)
    return errors(500, 'title must be less than or equal to 250 characters.');
  for (const f of ['noteType', 'publish']) {
    const bad = checkInt(f, note[f]);
    if (bad) return bad;
    if (!s.picklist(s.noteFields, f).includes(String(note[f])))
      return errors(500, `Value ${String(note[f])} is not valid for ${f}.`);
  }
  const created = s.addNote(ticketId, {
    title: note.title ?? '',
    description: note.description,
    noteType: note.noteType,
    publish: note.publish,
    creatorResourceID: s.apiResourceId,
    createdByContactID: null,
    lastActivityDate: zoneless(s.now()),
  });
  const t = s.tickets.get(ticketId)!;
  t.lastActivityDate = zoneless(s.now());
  return { status: 200, body: { itemId: created.id } };
}

function query(ctx: RouteCtx, entity: string, records: Json[], req: FakeRequest, token?: string): Reply {
  const raw = JSON.stringify(req.body ?? null);
  let offset = 0;
  if (token !== undefined) {
    const page = ctx.pages.get(token);
    if (!page || page.entity !== entity) return errors(500, 'The paging token is invalid or expired.');
    if (page.body !== raw) return errors(500, 'The query body does not match the paged query.');
    offset = page.offset;
  }
  try {
    const q = readQuery(req.body);
    const { items, more } = runQuery(records, q, offset, 500);
    let nextPageUrl: string | null = null;
    if (more) {
      const next = `p${ctx.pages.size + 1}x${offset + items.length}`;
      ctx.pages.set(next, { body: raw, offset: offset + items.length, entity });
      nextPageUrl = `${ctx.restUrl}/${entity}/query/next?paging=${next}`;
    }
    return {
      status: 200,
      body: {
        items,
        pageDetails: { count: items.length, requestCount: q.maxRecords ?? 500, prevPageUrl: null, nextPageUrl },
      },
    };
  } catch (e) {
    return errors(500, (e as Error).message);
  }
}

const item = (v: Json | undefined): Reply => (v ? { status: 200, body: { item: structuredClone(v) } } : notFound());

/** Tickets, notes, lookups and entity information. Undefined = not handled here. */
export function ticketRoutes(ctx: RouteCtx, req: FakeRequest): Reply | undefined {
  const s = ctx.state;
  const [a, b, c, d] = req.seg;
  const m = req.method;
  if (b === 'entityinformation' && c === 'fields' && m === 'GET') {
    const byEntity: Record<string, Json> = {
      tickets: s.ticketFields,
      ticketnotes: s.noteFields,
      ticketwebhookfields: s.webhookFieldPicklist,
    };
    const fields = a === undefined ? undefined : byEntity[a];
    return fields ? { status: 200, body: structuredClone(fields) } : undefined;
  }
  if (a === 'tickets' && b === undefined && m === 'PATCH') return patchTicket(ctx, req.body);
  if (a === 'tickets' && b === 'query' && m === 'POST')
    return query(
      ctx,
      'Tickets',
      [...s.tickets.values()],
      req,
      c === 'next' ? (req.query.get('paging') ?? '') : undefined,
    );
  if (a === 'tickets' && b === 'query' && c === 'next' && m === 'GET')
    return { status: 405, body: { Message: "The requested resource does not support http method 'GET'." } };
  const id = num(b);
  if (a === 'tickets' && id !== undefined && c === undefined && m === 'GET') return item(s.tickets.get(id));
  if (a === 'tickets' && id !== undefined && c === 'notes' && d === undefined) {
    if (m === 'GET') {
      if (!s.tickets.has(id)) return notFound();
      // One page of at most 500, as Autotask answers a child collection (the rest only through a paged query).
      const all = s.notes.get(id) ?? [];
      const items = structuredClone(all.slice(0, 500));
      const nextPageUrl = all.length > 500 ? `${ctx.restUrl}/Tickets/${id}/Notes?page=2` : null;
      return {
        status: 200,
        body: { items, pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl } },
      };
    }
    if (m === 'POST') return postNote(ctx, id, req.body);
  }
  if (a === 'ticketnotes' && b === undefined && m === 'POST') return { status: 404, body: { Message: 'Not Found' } };
  if (a === 'ticketnotes' && b === 'query' && m === 'POST')
    return query(
      ctx,
      'TicketNotes',
      [...s.notes.values()].flat(),
      req,
      c === 'next' ? (req.query.get('paging') ?? '') : undefined,
    );
  if (a === 'resources' && b === 'query' && m === 'POST')
    return query(ctx, 'Resources', [...s.resources.values()], req);
  if (a === 'tickethistory' && b === 'query' && m === 'POST') {
    // The entity requires, and only accepts, one `ticketID eq` filter (TicketHistory entity, autotask.md §10).
    const f = (isObj(req.body) && Array.isArray(req.body.filter) ? req.body.filter : []) as Json[];
    const one = f.length === 1 ? f[0]! : undefined;
    if (!one || String(one.field).toLowerCase() !== 'ticketid' || one.op !== 'eq')
      return errors(500, 'TicketHistory queries require exactly one filter: ticketID Equals.');
    if (!s.tickets.has(Number(one.value)))
      return errors(500, `Ticket with id ${String(one.value)} does not exist or is invalid.`);
    return query(
      ctx,
      'TicketHistory',
      s.history.get(Number(one.value)) ?? [],
      req,
      c === 'next' ? (req.query.get('paging') ?? '') : undefined,
    );
  }
  const entities: Record<string, Map<number, Json>> = {
    resources: s.resources,
    companies: s.companies,
    contacts: s.contacts,
    configurationitems: s.configurationItems,
  };
  const map = a === undefined ? undefined : entities[a];
  if (map && id !== undefined && c === undefined && m === 'GET') return item(map.get(id));
  return undefined;
}
