import { ConnectorError, err, isConnectorError, ok, toConnectorError } from '../../src/contract/index.js';
import type { RegistrationResult, Result, WebhookState } from '../../src/contract/index.js';

import { atRequest } from './client.js';
import type { AtContext } from './client.js';
import { apiResourceId, webhookFieldPicklist } from './lookups.js';
import {
  excludedResourceSchema,
  itemIdSchema,
  itemSchema,
  itemsSchema,
  webhookFieldSchema,
  webhookModelSchema,
} from './schemas.js';
import type { AtWebhook } from './schemas.js';

/**
 * `TicketWebhooks` registration (autotask.md §1.2–1.3): one webhook per instance, create + update (+ delete)
 * subscribed, trigger fields created one at a time (parallel child creates hit the 3-thread limit), our API user
 * excluded so our own writes never call back. Re-running repairs; it never creates a second webhook.
 */

/** Ticket fields whose changes matter to escalation (matched against the `fieldID` picklist labels). */
const TRIGGER_FIELDS: { key: string; names: string[] }[] = [
  { key: 'status', names: ['status'] },
  { key: 'priority', names: ['priority'] },
  { key: 'queue', names: ['queue', 'queueid'] },
  { key: 'assignedResource', names: ['assignedresource', 'assignedresourceid', 'primaryresource', 'resource'] },
  { key: 'dueDateTime', names: ['duedatetime', 'duedate'] },
];

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

export function webhookName(instanceId: string): string {
  return `psa-escalator ${instanceId}`.slice(0, 50);
}

export const deactivationUrlOf = (callbackUrl: string) => `${callbackUrl.replace(/\/+$/, '')}/deactivated`;

function desired(ctx: AtContext, callbackUrl: string) {
  const w = ctx.settings.webhook;
  return {
    name: webhookName(ctx.instance.id),
    webhookUrl: callbackUrl,
    deactivationUrl: deactivationUrlOf(callbackUrl),
    isActive: true,
    isSubscribedToCreateEvents: true,
    isSubscribedToUpdateEvents: true,
    // Deleted tickets end their state and scheduled checks (docs/spec.md §4 "Gone tickets").
    isSubscribedToDeleteEvents: true,
    sendThresholdExceededNotification: true,
    ...(w.notificationEmail ? { notificationEmailAddress: w.notificationEmail } : {}),
  };
}

async function findWebhooks(ctx: AtContext, callbackUrl: string): Promise<AtWebhook[]> {
  const res = await atRequest(ctx, {
    method: 'POST',
    path: '/TicketWebhooks/query',
    idempotent: true,
    json: {
      maxRecords: 500,
      filter: [
        {
          op: 'or',
          items: [
            { op: 'eq', field: 'webhookUrl', value: callbackUrl },
            { op: 'eq', field: 'name', value: webhookName(ctx.instance.id) },
          ],
        },
      ],
    },
  });
  const items = itemsSchema.safeParse(res.data);
  if (!items.success)
    throw new ConnectorError('invalid_response', 'Autotask webhook query answered without items', { retryable: false });
  return items.data.items.flatMap((i) => {
    const w = webhookModelSchema.safeParse(i);
    return w.success ? [w.data] : [];
  });
}

async function readWebhook(ctx: AtContext, id: number): Promise<AtWebhook> {
  const res = await atRequest(ctx, { method: 'GET', path: `/TicketWebhooks/${id}` });
  const item = itemSchema.safeParse(res.data);
  const w = webhookModelSchema.safeParse(item.success ? item.data.item : undefined);
  if (!w.success)
    throw new ConnectorError('invalid_response', 'Autotask answered a webhook without the expected shape', {
      retryable: false,
    });
  return w.data;
}

/** Creates the webhook. An ambiguous failure is resolved by looking again, never by a blind second POST. */
async function createWebhook(ctx: AtContext, callbackUrl: string): Promise<number> {
  try {
    const res = await atRequest(ctx, {
      method: 'POST',
      path: '/TicketWebhooks',
      idempotent: false,
      json: { ...desired(ctx, callbackUrl), secretKey: ctx.settings.webhook.secretKey },
    });
    const id = itemIdSchema.safeParse(res.data);
    if (id.success) return Number(id.data.itemId);
  } catch (e) {
    if (!isConnectorError(e) || !['timeout', 'network', 'psa_unavailable'].includes(e.code)) throw e;
  }
  const found = (await findWebhooks(ctx, callbackUrl))[0];
  if (!found)
    throw new ConnectorError('psa_unavailable', 'Autotask webhook creation did not complete; try again', {
      retryable: true,
    });
  return found.id;
}

/** The webhook fields that differ from what we want (secretKey only when Autotask shows it). */
function drift(ctx: AtContext, w: AtWebhook, callbackUrl: string): Record<string, unknown> {
  const want: Record<string, unknown> = desired(ctx, callbackUrl);
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(want)) if ((w as Record<string, unknown>)[k] !== v) patch[k] = v;
  if (
    typeof w.secretKey === 'string' &&
    w.secretKey !== '' &&
    !/^\*+$/.test(w.secretKey) &&
    w.secretKey !== ctx.settings.webhook.secretKey
  ) {
    patch.secretKey = ctx.settings.webhook.secretKey;
  }
  return patch;
}

async function ensureFields(ctx: AtContext, webhookId: number): Promise<number> {
  const [picklist, existingRes] = await Promise.all([
    webhookFieldPicklist(ctx),
    atRequest(ctx, { method: 'GET', path: `/TicketWebhooks/${webhookId}/Fields` }),
  ]);
  const options = Object.values(picklist)[0] ?? [];
  const existingItems = itemsSchema.safeParse(existingRes.data);
  const existing = (existingItems.success ? existingItems.data.items : []).flatMap((i) => {
    const f = webhookFieldSchema.safeParse(i);
    return f.success ? [f.data] : [];
  });
  let changes = 0;
  for (const want of TRIGGER_FIELDS) {
    const option =
      options.find((o) => want.names.includes(squash(o.label))) ??
      options.find((o) => want.names.includes(squash(o.label).replace(/id$/, '')));
    if (!option) {
      ctx.log.warn(
        { instance: ctx.instance.id, field: want.key },
        'Autotask: webhook field not offered by this tenant',
      );
      continue;
    }
    const have = existing.find((f) => String(f.fieldID) === option.value);
    if (have?.isSubscribedField) continue;
    const body = {
      webhookID: webhookId,
      fieldID: Number(option.value),
      isSubscribedField: true,
      isDisplayAlwaysField: true,
    };
    // One at a time (autotask.md §1.3): child creates in parallel trip the thread limit.
    if (have)
      await atRequest(ctx, {
        method: 'PATCH',
        path: `/TicketWebhooks/${webhookId}/Fields`,
        idempotent: true,
        json: { id: have.id, ...body },
      });
    else
      await atRequest(ctx, {
        method: 'POST',
        path: `/TicketWebhooks/${webhookId}/Fields`,
        idempotent: false,
        json: body,
      });
    changes += 1;
  }
  return changes;
}

async function ensureExcluded(ctx: AtContext, webhookId: number): Promise<number> {
  const me = await apiResourceId(ctx);
  if (me === undefined) return 0;
  const res = await atRequest(ctx, { method: 'GET', path: `/TicketWebhooks/${webhookId}/ExcludedResources` });
  const items = itemsSchema.safeParse(res.data);
  const present = (items.success ? items.data.items : []).some((i) => {
    const r = excludedResourceSchema.safeParse(i);
    return r.success && String(r.data.resourceID) === String(me);
  });
  if (present) return 0;
  await atRequest(ctx, {
    method: 'POST',
    path: `/TicketWebhooks/${webhookId}/ExcludedResources`,
    idempotent: false,
    json: { webhookID: webhookId, resourceID: me },
  });
  return 1;
}

/** Keeps the best match (our URL, then active), deletes the rest: two webhooks would deliver every event twice. */
function choose(found: AtWebhook[], callbackUrl: string): { keep?: AtWebhook; extra: AtWebhook[] } {
  const ranked = [...found].sort(
    (a, b) =>
      Number(b.webhookUrl === callbackUrl) - Number(a.webhookUrl === callbackUrl) ||
      Number(!!b.isActive) - Number(!!a.isActive) ||
      a.id - b.id,
  );
  return ranked.length === 0 ? { extra: [] } : { keep: ranked[0]!, extra: ranked.slice(1) };
}

export async function registerWebhooks(
  ctx: AtContext,
  callbackUrl: string,
): Promise<Result<RegistrationResult, ConnectorError>> {
  const out: RegistrationResult = { created: 0, updated: 0, unchanged: 0, removed: 0 };
  try {
    const { keep, extra } = choose(await findWebhooks(ctx, callbackUrl), callbackUrl);
    for (const w of extra) {
      await atRequest(ctx, { method: 'DELETE', path: `/TicketWebhooks/${w.id}`, idempotent: true });
      out.removed += 1;
    }
    let id: number;
    let changed = 0;
    if (keep) {
      id = keep.id;
      const patch = drift(ctx, keep, callbackUrl);
      if (Object.keys(patch).length > 0) {
        await atRequest(ctx, { method: 'PATCH', path: '/TicketWebhooks', idempotent: true, json: { id, ...patch } });
        changed += 1;
      }
    } else {
      id = await createWebhook(ctx, callbackUrl);
      out.created += 1;
    }
    changed += await ensureFields(ctx, id);
    changed += await ensureExcluded(ctx, id);
    if (keep) out[changed > 0 ? 'updated' : 'unchanged'] += 1;
    const final = await readWebhook(ctx, id);
    if (!final.isActive || final.isReady === false) {
      ctx.log.warn(
        { instance: ctx.instance.id, isActive: final.isActive, isReady: final.isReady },
        'Autotask webhook is not active and ready yet',
      );
    }
    return ok(out);
  } catch (e) {
    return err(toConnectorError(e));
  }
}

/** Read-only: `missing` (no webhook to our URL), `active` (isActive and isReady) or `inactive`. */
export async function webhookState(ctx: AtContext, callbackUrl: string): Promise<Result<WebhookState, ConnectorError>> {
  try {
    const found = (await findWebhooks(ctx, callbackUrl)).filter((w) => w.webhookUrl === callbackUrl);
    if (found.length === 0) return ok('missing');
    return ok(found.some((w) => w.isActive && w.isReady !== false) ? 'active' : 'inactive');
  } catch (e) {
    return err(toConnectorError(e));
  }
}
