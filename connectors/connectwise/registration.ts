import { ConnectorError, err, ok, toConnectorError } from '../../src/contract/index.js';
import type { RegistrationResult, Result, WebhookState } from '../../src/contract/index.js';

import { cwRequest } from './client.js';
import type { CwContext } from './client.js';
import { callbackEntrySchema } from './schemas.js';
import type { CallbackEntry } from './schemas.js';

/**
 * Callback registration (connectwise.md §1): exactly one `ticket`/`owner` callback (objectId 1 = all tickets) per
 * instance URL. Existing entries for our URL are diffed: a correct active one is kept, an inactive or drifted one is
 * repaired in place, extra copies are deleted (never two: each would double every delivery).
 */

/** `…/webhooks/acme-cw?recordId=`: ConnectWise appends the record id as a raw string (connectwise.md §1.1). */
export function callbackTarget(callbackUrl: string): string {
  if (/[?&]recordId=$/.test(callbackUrl)) return callbackUrl;
  return `${callbackUrl}${callbackUrl.includes('?') ? '&' : '?'}recordId=`;
}

/** Compares URLs without the record-id suffix, scheme/host case-insensitively. */
function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      url.searchParams.delete('recordId');
      url.searchParams.delete('id');
      return `${url.origin.toLowerCase()}${url.pathname.replace(/\/+$/, '')}?${url.searchParams.toString()}`;
    } catch {
      return u.trim();
    }
  };
  return norm(a) === norm(b);
}

/** The `CallbackEntry` we register: all tickets (`owner` level, objectId 1), active, for one instance URL. */
export function desiredEntry(instanceId: string, callbackUrl: string) {
  return {
    url: callbackTarget(callbackUrl),
    objectId: 1,
    type: 'ticket',
    level: 'owner',
    description: `psa-escalator ${instanceId}: all tickets`.slice(0, 100),
    inactiveFlag: false,
    isSelfSuppressedFlag: false,
    payloadVersion: '3.0.0',
  };
}

/** Correct and active: ticket type, owner level (all tickets), pointing at exactly our URL. */
function isHealthy(entry: CallbackEntry, callbackUrl: string): boolean {
  return (
    entry.type?.toLowerCase() === 'ticket' &&
    entry.level?.toLowerCase() === 'owner' &&
    entry.inactiveFlag !== true &&
    entry.url === callbackTarget(callbackUrl)
  );
}

/** Our registrations: ticket callbacks whose URL is ours (other instances and integrations are never touched). */
async function ours(ctx: CwContext, callbackUrl: string): Promise<CallbackEntry[]> {
  const res = await cwRequest(ctx, { method: 'GET', path: '/system/callbacks', query: { pageSize: 1000 } });
  const rows = Array.isArray(res.data) ? res.data : [];
  return rows.flatMap((r) => {
    const e = callbackEntrySchema.safeParse(r);
    return e.success && e.data.url && sameUrl(e.data.url, callbackUrl) && e.data.type?.toLowerCase() === 'ticket'
      ? [e.data]
      : [];
  });
}

async function create(ctx: CwContext, callbackUrl: string): Promise<'created' | 'unchanged'> {
  try {
    await cwRequest(ctx, {
      method: 'POST',
      path: '/system/callbacks',
      json: desiredEntry(ctx.instance.id, callbackUrl),
    });
    return 'created';
  } catch (e) {
    // 400 ObjectExists: another replica registered it between our list and our POST.
    const body = toConnectorError(e).details?.['body'];
    if (JSON.stringify(body ?? '').includes('ObjectExists')) return 'unchanged';
    throw e;
  }
}

/** Creates or repairs the one callback for `callbackUrl` (the instance's `PUBLIC_URL/webhooks/:instanceId`). */
export async function registerWebhooks(
  ctx: CwContext,
  callbackUrl: string,
): Promise<Result<RegistrationResult, ConnectorError>> {
  const result: RegistrationResult = { created: 0, updated: 0, unchanged: 0, removed: 0 };
  try {
    if (!/^https?:\/\//i.test(callbackUrl))
      return err(new ConnectorError('validation', 'callback URL must be absolute http(s)', { retryable: false }));
    const existing = await ours(ctx, callbackUrl);
    const keep = existing.find((e) => isHealthy(e, callbackUrl)) ?? existing[0];
    if (!keep) result[await create(ctx, callbackUrl)] += 1;
    else if (isHealthy(keep, callbackUrl)) result.unchanged += 1;
    else {
      await cwRequest(ctx, {
        method: 'PUT',
        path: `/system/callbacks/${keep.id}`,
        json: { id: keep.id, ...desiredEntry(ctx.instance.id, callbackUrl) },
        idempotent: true,
      });
      result.updated += 1;
    }
    for (const extra of existing.filter((e) => e !== keep)) {
      await cwRequest(ctx, { method: 'DELETE', path: `/system/callbacks/${extra.id}`, idempotent: true }).catch(
        (e: unknown) => {
          if (toConnectorError(e).code !== 'not_found') throw e; // already gone is what we wanted
        },
      );
      result.removed += 1;
    }
    ctx.log.info({ instance: ctx.instance.id, ...result }, 'ConnectWise callback registration checked');
    return ok(result);
  } catch (e) {
    return err(toConnectorError(e));
  }
}

/** Reads the registration without changing it. */
export async function webhookState(ctx: CwContext, callbackUrl: string): Promise<Result<WebhookState, ConnectorError>> {
  try {
    const existing = await ours(ctx, callbackUrl);
    if (existing.length === 0) return ok('missing');
    return ok(existing.some((e) => isHealthy(e, callbackUrl)) ? 'active' : 'inactive');
  } catch (e) {
    return err(toConnectorError(e));
  }
}
