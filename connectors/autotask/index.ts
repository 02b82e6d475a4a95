import type { PsaConnector } from '../../src/contract/index.js';

import { applyAutotaskActions } from './actions.js';
import type { AtContext } from './client.js';
import { apiResourceId } from './lookups.js';
import { normalizeAutotask } from './normalize.js';
import { fetchAutotaskTicket, listAutotaskChanged } from './read.js';
import { autotaskWebhookState, registerAutotaskWebhooks } from './registration.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';
import { parseAutotaskWebhook, verifyAutotaskSignature } from './webhook.js';

/** Autotask waits 10 s for our answer: the (once a day) identity lookup on the webhook path gets a short leash. */
const webhookLookupTimeoutMs = 3_000;
const lookupBackoffMs = 120_000;

/**
 * Our resource id for echo detection. A failed lookup must not fail the delivery (the worker re-fetches anyway and
 * the webhook excludes our resource), and is not repeated for every delivery of a burst.
 */
async function echoIdentity(ctx: AtContext): Promise<number | undefined> {
  const backoffKey = `autotask:apiResourceBackoff:${ctx.instance.id}`;
  if (ctx.settings.connection.apiResourceID === undefined && (await ctx.cache.get(backoffKey)) !== undefined) return undefined;
  try {
    return await apiResourceId(ctx, { timeoutMs: webhookLookupTimeoutMs });
  } catch (e) {
    ctx.log.warn({ instance: ctx.instance.id, err: e }, 'Autotask: could not resolve the API user resource; echo check skipped');
    await ctx.cache.set(backoffKey, true, lookupBackoffMs);
    return undefined;
  }
}

/** Autotask PSA (Datto/Kaseya) connector: see README.md and ../../../shared/psa/autotask.md. */
export const autotask = {
  kind: 'autotask',
  displayName: 'Autotask PSA',
  settingsSchema,
  memberSchema,
  membersRequireMapping: true,
  locationKeys,
  rateLimitDefaults,
  verifyWebhook: async (ctx, req) => verifyAutotaskSignature(ctx.settings.webhook, req),
  parseWebhook: async (ctx, req) => parseAutotaskWebhook(req.json, req.rawBody, { apiResourceId: await echoIdentity(ctx) }),
  fetchTicket: fetchAutotaskTicket,
  normalize: normalizeAutotask,
  applyActions: applyAutotaskActions,
  registerWebhooks: registerAutotaskWebhooks,
  webhookState: autotaskWebhookState,
  listChangedSince: listAutotaskChanged,
} satisfies PsaConnector<AutotaskSettings>;
