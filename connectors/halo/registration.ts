import { ConnectorError, attempt } from '../../src/contract/index.js';
import type { RegistrationResult, Result, WebhookState } from '../../src/contract/index.js';

import { haloRequest } from './client.js';
import type { HaloContext } from './client.js';
import { parseList, webhookRegistrationSchema } from './schemas.js';
import type { WebhookRegistration } from './schemas.js';

/**
 * Halo outbound webhooks (`/api/Webhook`, halo.md §2.1). Enum values (type 0 = webhook, method 0 = POST,
 * authentication_type 1 = Basic, payload_type 0 = default) are UNVERIFIED: their only source is one community n8n node
 * (redanthrax/halopsa-node `nodes/HaloPSA/actions/webhooks/create/description.ts` @c4ff4e6); Halo's OpenAPI types them
 * as bare int32 (covenanttechnologysolutions/halopsa-rest `generator/spec/swagger.json`, schema `Webhook`), and the
 * same node's `payload_type` / `batch_method` lists do not match the options in Halo's own guide (kbid 838), so its
 * numbering is partly guessed. The registration is read back so a tenant that disagrees shows up as a repair, not as
 * silence.
 */
const DESIRED = {
  type: 0,
  method: 0,
  authentication_type: 1,
  payload_type: 0,
  content_type: 'application/json',
} as const;

/** Events to tick in the UI: binding events through the API is undocumented for plain webhooks (halo.md §2.1). */
export const RECOMMENDED_EVENTS = [
  'New Ticket Logged',
  'Ticket Updated',
  'Ticket Reassigned',
  'Ticket Status Changed',
  'Action Added',
];

export const webhookName = (instanceId: string) => `psa-escalator (${instanceId})`;

function sameUrl(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const norm = (u: string) => {
    try {
      const p = new URL(u.trim());
      return `${p.protocol}//${p.host.toLowerCase()}${p.pathname.replace(/\/+$/, '')}${p.search}`;
    } catch {
      return u.trim().replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

async function listOurs(ctx: HaloContext, callbackUrl: string): Promise<WebhookRegistration[]> {
  const res = await haloRequest(ctx, { method: 'GET', path: '/Webhook' });
  const list = parseList(res.data, 'webhooks', webhookRegistrationSchema);
  if (!list) throw new ConnectorError('invalid_response', 'Halo answered GET /Webhook without a list');
  const name = webhookName(ctx.instance.id);
  const ours = list.items.filter((w) => (w.type ?? 0) === 0 && (sameUrl(w.url, callbackUrl) || w.name === name));
  // Prefer an active one pointing at our URL as the one to keep.
  return ours.sort(
    (a, b) =>
      Number(sameUrl(b.url, callbackUrl) && b.active === true) -
      Number(sameUrl(a.url, callbackUrl) && a.active === true),
  );
}

function needsRepair(ctx: HaloContext, w: WebhookRegistration, callbackUrl: string): boolean {
  const auth = ctx.settings.webhook.basicAuth;
  return (
    !sameUrl(w.url, callbackUrl) ||
    w.active !== true ||
    Number(w.authentication_type) !== DESIRED.authentication_type ||
    (w.basic_username ?? '') !== auth.username ||
    // Halo normally does not return the password; when a build does, a stale one is repaired too.
    (typeof w.basic_password === 'string' &&
      w.basic_password !== '' &&
      !/^\*+$/.test(w.basic_password) &&
      w.basic_password !== auth.password)
  );
}

function desiredBody(ctx: HaloContext, callbackUrl: string, id?: string | number): Record<string, unknown> {
  const auth = ctx.settings.webhook.basicAuth;
  return {
    ...(id === undefined ? {} : { id }),
    name: webhookName(ctx.instance.id),
    url: callbackUrl,
    ...DESIRED,
    basic_username: auth.username,
    basic_password: auth.password,
    active: true,
  };
}

/** The exact UI steps, for API users without the webhook permission (secrets are referred to, never printed). */
export function manualSteps(ctx: HaloContext, callbackUrl: string): string[] {
  return [
    'In Halo: Configuration > Integrations > Webhooks > New.',
    `Name: ${webhookName(ctx.instance.id)}; Payload URL: ${callbackUrl}; Webhook type: Standard webhook; Method: POST.`,
    `Authentication: Basic Authentication, username "${ctx.settings.webhook.basicAuth.username}", password = webhook.basicAuth.password from escalator.yaml.`,
    'Payload: "Small object with key fields only" (any payload type works; the ticket is always re-read). Leave batching off.',
    `Events (use the "- All" variants where offered): ${RECOMMENDED_EVENTS.join(', ')}.`,
    'Save, then tick Active. Alternatively grant the API application and its agent the permission to manage webhooks and run `psa-escalator webhooks register` again.',
  ];
}

const noPermission = (e: unknown) => e instanceof ConnectorError && e.code === 'psa_auth' && e.status === 403;

/** Creates or repairs our webhook; duplicates pointing at us are removed, so there is never a second one. */
async function register(ctx: HaloContext, callbackUrl: string): Promise<RegistrationResult> {
  const result: RegistrationResult = { created: 0, updated: 0, unchanged: 0, removed: 0 };
  try {
    const [keep, ...extra] = await listOurs(ctx, callbackUrl);
    if (!keep) {
      await haloRequest(ctx, {
        method: 'POST',
        path: '/Webhook',
        json: [desiredBody(ctx, callbackUrl)],
        idempotent: false,
      });
      result.created = 1;
    } else if (needsRepair(ctx, keep, callbackUrl)) {
      // An update carries the id (same POST-with-id convention as tickets): it never creates a second webhook.
      await haloRequest(ctx, {
        method: 'POST',
        path: '/Webhook',
        json: [desiredBody(ctx, callbackUrl, keep.id)],
        idempotent: true,
      });
      result.updated = 1;
    } else result.unchanged = 1;
    for (const dup of extra) {
      await haloRequest(ctx, {
        method: 'DELETE',
        path: `/Webhook/${encodeURIComponent(String(dup.id))}`,
        idempotent: true,
      });
      result.removed += 1;
    }
    const [now] = await listOurs(ctx, callbackUrl);
    if (!now || now.active !== true)
      throw new ConnectorError('write_not_applied', 'Halo did not keep the webhook registration (read-back)');
    if (!Array.isArray(now.events) || now.events.length === 0) {
      result.manualSteps = [
        `The webhook "${webhookName(ctx.instance.id)}" exists but has no events bound (the API cannot bind them reliably).`,
        `In Halo: Configuration > Integrations > Webhooks > ${webhookName(ctx.instance.id)} > Events: add ${RECOMMENDED_EVENTS.join(', ')}.`,
      ];
    }
    return result;
  } catch (e) {
    if (!noPermission(e)) throw e;
    ctx.log.warn({ instance: ctx.instance.id }, 'Halo API user may not manage webhooks; printing manual steps');
    return { ...result, manualSteps: manualSteps(ctx, callbackUrl) };
  }
}

/** Registration state without changing anything; `unknown` when the API user may not read webhooks. */
async function readWebhookState(ctx: HaloContext, callbackUrl: string): Promise<WebhookState> {
  try {
    const ours = await listOurs(ctx, callbackUrl);
    const target = ours.find((w) => sameUrl(w.url, callbackUrl));
    if (!target) return 'missing';
    return target.active === true ? 'active' : 'inactive';
  } catch (e) {
    if (noPermission(e)) return 'unknown';
    throw e;
  }
}

// ------------------------------------------------------------------ the contract methods (expected failures as values)

/** `PsaConnector.registerWebhooks`: creates or repairs our webhook, or returns the manual steps. */
export const registerWebhooks = (
  ctx: HaloContext,
  callbackUrl: string,
): Promise<Result<RegistrationResult, ConnectorError>> => attempt(() => register(ctx, callbackUrl));

/** `PsaConnector.webhookState`: reads the registration state without changing it. */
export const webhookState = (ctx: HaloContext, callbackUrl: string): Promise<Result<WebhookState, ConnectorError>> =>
  attempt(() => readWebhookState(ctx, callbackUrl));
