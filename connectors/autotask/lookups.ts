import { isConnectorError } from '../../src/contract/index.js';

import { atRequest } from './client.js';
import type { AtContext } from './client.js';
import { entityFieldsSchema, itemSchema, itemsSchema } from './schemas.js';
import type { PicklistValue } from './schemas.js';

/**
 * Cached lookups (autotask.md §5.4, §6): picklists are per tenant and read from `entityInformation/fields`; names of
 * companies, contacts, resources and configuration items come from their entities. Everything is cached in
 * `ctx.cache` (Redis in the service, shared by workers) so a warm ticket costs only its own reads.
 */
export type Picklists = Record<string, { value: string; label: string; isDefault?: boolean; parent?: string }[]>;

const picklistTtlMs = 24 * 3_600_000;
const entityTtlMs = 6 * 3_600_000;
const contactTtlMs = 3_600_000;

/** The ticket picklists the normalizer and the writes need (queues exist only as the `queueID` picklist). */
const TICKET_PICKLISTS = [
  'status',
  'priority',
  'queueID',
  'issueType',
  'subIssueType',
  'ticketCategory',
  'ticketType',
  'source',
];

function toPicklists(data: unknown, wanted: readonly string[]): Picklists {
  const parsed = entityFieldsSchema.safeParse(data);
  const out: Picklists = {};
  if (!parsed.success) return out;
  const want = new Set(wanted.map((w) => w.toLowerCase()));
  for (const f of parsed.data.fields) {
    if (!want.has(f.name.toLowerCase()) || !f.picklistValues) continue;
    out[f.name] = f.picklistValues.map((v: PicklistValue) => ({
      value: v.value,
      label: v.label,
      ...(v.isDefaultValue ? { isDefault: true } : {}),
      ...(v.parentValue !== undefined && v.parentValue !== null ? { parent: String(v.parentValue) } : {}),
    }));
  }
  return out;
}

async function cachedPicklists(ctx: AtContext, entity: string, wanted: readonly string[]): Promise<Picklists> {
  const key = `autotask:picklists:${ctx.instance.id}:${entity}`;
  const hit = await ctx.cache.get<Picklists>(key);
  if (hit) return hit;
  const res = await atRequest(ctx, { method: 'GET', path: `/${entity}/entityInformation/fields` });
  const lists = toPicklists(res.data, wanted);
  await ctx.cache.set(key, lists, picklistTtlMs);
  return lists;
}

/** Ticket picklists (status, priority, queueID, issueType, subIssueType…). */
export function ticketPicklists(ctx: AtContext): Promise<Picklists> {
  return cachedPicklists(ctx, 'Tickets', TICKET_PICKLISTS);
}

/** Note picklists (`noteType`, `publish`). */
export function notePicklists(ctx: AtContext): Promise<Picklists> {
  return cachedPicklists(ctx, 'TicketNotes', ['noteType', 'publish']);
}

/** Webhook field picklist (`fieldID`: which ticket fields can trigger a callout). */
export function webhookFieldPicklist(ctx: AtContext): Promise<Picklists> {
  return cachedPicklists(ctx, 'TicketWebhookFields', ['fieldID']);
}

/**
 * Our API user's resource id: its changes are echoes, and it goes into the webhook's ExcludedResources. Configured
 * (`connection.apiResourceID`), else looked up once a day by username (then by email).
 */
export async function apiResourceId(ctx: AtContext, options: { timeoutMs?: number } = {}): Promise<number | undefined> {
  const configured = ctx.settings.connection.apiResourceID;
  if (configured !== undefined) return configured;
  const key = `autotask:apiResource:${ctx.instance.id}`;
  const hit = await ctx.cache.get<number>(key);
  // -1: looked up, no such resource (cached for an hour so webhooks do not repeat the lookup).
  if (hit !== undefined) return hit > 0 ? hit : undefined;
  const username = ctx.settings.connection.username;
  for (const field of ['userName', 'email']) {
    const res = await atRequest(ctx, {
      method: 'POST',
      path: '/Resources/query',
      // On the webhook path (a timeout given) one attempt only: Autotask gives up on us after 10 s.
      idempotent: options.timeoutMs === undefined,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      json: { maxRecords: 2, includeFields: ['id'], filter: [{ op: 'eq', field, value: username }] },
    });
    const items = itemsSchema.safeParse(res.data);
    const first = items.success ? (items.data.items[0] as { id?: unknown } | undefined) : undefined;
    if (typeof first?.id === 'number') {
      await ctx.cache.set(key, first.id, picklistTtlMs);
      return first.id;
    }
  }
  ctx.log.warn(
    { instance: ctx.instance.id },
    'Autotask: API user resource not found; set connection.apiResourceID for echo detection',
  );
  await ctx.cache.set(key, -1, 3_600_000);
  return undefined;
}

/**
 * One entity by id, cached. A missing or unreadable record is absent, never an error: a name is nice to have, and
 * restricted security levels return empty results silently (autotask.md §4).
 */
export async function entityById(
  ctx: AtContext,
  entity: string,
  id: unknown,
  keep: readonly string[],
): Promise<Record<string, unknown> | undefined> {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return undefined;
  const key = `autotask:${entity}:${ctx.instance.id}:${id}`;
  const hit = await ctx.cache.get<Record<string, unknown> | null>(key);
  if (hit !== undefined) return hit ?? undefined;
  const ttl = entity === 'Contacts' ? contactTtlMs : entityTtlMs;
  try {
    const res = await atRequest(ctx, { method: 'GET', path: `/${entity}/${id}` });
    const item = itemSchema.safeParse(res.data);
    const record =
      item.success && typeof item.data.item === 'object' && item.data.item !== null
        ? (item.data.item as Record<string, unknown>)
        : null;
    // Only what normalizing needs is cached (records carry hundreds of fields, some of them personal data).
    const value =
      record === null ? null : Object.fromEntries(keep.filter((k) => k in record).map((k) => [k, record[k]]));
    await ctx.cache.set(key, value, ttl);
    return value ?? undefined;
  } catch (e) {
    if (isConnectorError(e) && e.code === 'not_found') {
      await ctx.cache.set(key, null, ttl);
      return undefined;
    }
    throw e;
  }
}
