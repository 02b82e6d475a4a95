import { randomUUID } from 'node:crypto';

import { readQuery, runQuery } from './query.js';
import { canonical, canonicalBody, errors, isObj, num } from './tickets.js';
import type { FakeRequest, Reply, RouteCtx } from './tickets.js';
import type { Json } from './state.js';

/**
 * `TicketWebhooks` and its children (autotask.md §1.2–1.3): name ≤ 50 characters, `isReady` only once a Fields (or
 * UdfFields) row exists, `ownerResourceID`/`webhookGUID` set by the server, child PATCH only on the collection with
 * `id` in the body (405 on an individual child URL). The secret is never shown back (GET answers `secretKey: null`).
 */
const props = canonical('TicketWebhookModel');
const SERVER_OWNED = new Set(['id', 'isready', 'ownerresourceid', 'webhookguid']);

/** Drops the fields the server owns (id, isReady, ownerResourceID, webhookGUID): writes to them are ignored. */
const writable = (w: Json): Json =>
  Object.fromEntries(Object.entries(w).filter(([k]) => !SERVER_OWNED.has(k.toLowerCase())));

function validate(w: Json): Reply | undefined {
  if (typeof w.name !== 'string' || w.name.trim() === '') return errors(500, 'name is required.');
  if (w.name.length > 50) return errors(500, 'name must be less than or equal to 50 characters.');
  for (const f of ['webhookUrl', 'deactivationUrl']) {
    if (typeof w[f] !== 'string' || (w[f] as string).length > 500)
      return errors(500, `${f} is required and must be less than or equal to 500 characters.`);
  }
  if (typeof w.secretKey === 'string' && w.secretKey.length > 64)
    return errors(500, 'secretKey must be less than or equal to 64 characters.');
  return undefined;
}

/** What GET shows: the stored webhook with isReady derived and the secret hidden. */
function view(ctx: RouteCtx, w: Json): Json {
  const ready = (ctx.state.webhookFields.get(w.id as number) ?? []).length > 0;
  return { ...structuredClone(w), secretKey: null, isReady: ready };
}

function create(ctx: RouteCtx, body: unknown): Reply {
  if (!isObj(body)) return errors(500, 'The request body is not a valid entity.');
  const parsed = canonicalBody(body, props);
  if (!parsed.ok) return parsed.reply;
  const w = writable(parsed.value);
  const invalid = validate(w);
  if (invalid) return invalid;
  const id = ctx.state.id();
  ctx.state.webhooks.set(id, {
    isActive: false,
    isSubscribedToCreateEvents: false,
    isSubscribedToUpdateEvents: false,
    isSubscribedToDeleteEvents: false,
    notificationEmailAddress: null,
    sendThresholdExceededNotification: false,
    secretKey: null,
    ...w,
    id,
    ownerResourceID: ctx.state.apiResourceId,
    webhookGUID: randomUUID(),
  });
  ctx.state.webhookFields.set(id, []);
  ctx.state.excludedResources.set(id, []);
  return { status: 200, body: { itemId: id } };
}

function update(ctx: RouteCtx, body: unknown): Reply {
  if (!isObj(body)) return errors(500, 'The request body is not a valid entity.');
  const parsed = canonicalBody(body, props);
  if (!parsed.ok) return parsed.reply;
  const existing = typeof parsed.value.id === 'number' ? ctx.state.webhooks.get(parsed.value.id) : undefined;
  if (!existing) return errors(500, 'An existing webhook id is required.');
  const next = { ...existing, ...writable(parsed.value) };
  const invalid = validate(next);
  if (invalid) return invalid;
  ctx.state.webhooks.set(existing.id as number, next);
  return { status: 200, body: { itemId: existing.id } };
}

function children(
  ctx: RouteCtx,
  req: FakeRequest,
  webhookId: number,
  kind: 'fields' | 'excludedresources',
): Reply | undefined {
  const s = ctx.state;
  if (!s.webhooks.has(webhookId)) return errors(500, `Webhook with id ${webhookId} does not exist or is invalid.`);
  const list = (kind === 'fields' ? s.webhookFields : s.excludedResources).get(webhookId) ?? [];
  if (req.seg[3] !== undefined)
    return req.method === 'GET'
      ? undefined
      : { status: 405, body: { Message: `The requested resource does not support http method '${req.method}'.` } };
  if (req.method === 'GET')
    return {
      status: 200,
      body: {
        items: structuredClone(list),
        pageDetails: { count: list.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null },
      },
    };
  if (!isObj(req.body)) return errors(500, 'The request body is not a valid entity.');
  const b = Object.fromEntries(
    Object.entries(req.body).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]),
  ) as Json;
  if (req.method === 'PATCH' && kind === 'fields') {
    const row = list.find((r) => r.id === b.id);
    if (!row) return errors(500, 'An existing field id is required.');
    Object.assign(row, {
      isSubscribedField: b.isSubscribedField ?? row.isSubscribedField,
      isDisplayAlwaysField: b.isDisplayAlwaysField ?? row.isDisplayAlwaysField,
    });
    return { status: 200, body: { itemId: row.id } };
  }
  if (req.method !== 'POST') return undefined;
  if (kind === 'fields') {
    if (!s.picklist(s.webhookFieldPicklist, 'fieldID').includes(String(b.fieldID)))
      return errors(500, `Value ${String(b.fieldID)} is not valid for fieldID.`);
    if (list.some((r) => r.fieldID === b.fieldID)) return errors(500, 'This field is already part of the webhook.');
  } else {
    if (!s.resources.has(b.resourceID as number))
      return errors(500, 'Reference value on field: resourceID of type: Resource does not exist or is invalid.');
    if (list.some((r) => r.resourceID === b.resourceID)) return errors(500, 'This resource is already excluded.');
  }
  const row: Json =
    kind === 'fields'
      ? {
          id: s.id(),
          webhookID: webhookId,
          fieldID: b.fieldID,
          isSubscribedField: b.isSubscribedField ?? false,
          isDisplayAlwaysField: b.isDisplayAlwaysField ?? false,
        }
      : { id: s.id(), webhookID: webhookId, resourceID: b.resourceID };
  list.push(row);
  return { status: 200, body: { itemId: row.id } };
}

/** TicketWebhooks routes. Undefined = not handled here. */
export function webhookRoutes(ctx: RouteCtx, req: FakeRequest): Reply | undefined {
  const [a, b, c] = req.seg;
  if (a !== 'ticketwebhooks') return undefined;
  const s = ctx.state;
  if (b === undefined && req.method === 'POST') return create(ctx, req.body);
  if (b === undefined && req.method === 'PATCH') return update(ctx, req.body);
  if (b === 'query' && req.method === 'POST') {
    try {
      const { items } = runQuery(
        [...s.webhooks.values()].map((w) => view(ctx, w)),
        readQuery(req.body),
        0,
        500,
      );
      return {
        status: 200,
        body: { items, pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null } },
      };
    } catch (e) {
      return errors(500, (e as Error).message);
    }
  }
  const id = num(b);
  if (id === undefined) return undefined;
  if (c === undefined && req.method === 'GET') {
    const w = s.webhooks.get(id);
    return w
      ? { status: 200, body: { item: view(ctx, w) } }
      : { status: 404, body: { errors: ['The requested resource was not found.'] } };
  }
  if (c === undefined && req.method === 'DELETE') {
    if (!s.webhooks.delete(id)) return { status: 404, body: { errors: ['The requested resource was not found.'] } };
    return { status: 200, body: { itemId: id } };
  }
  if (c === 'fields' || c === 'excludedresources') return children(ctx, req, id, c);
  return undefined;
}
