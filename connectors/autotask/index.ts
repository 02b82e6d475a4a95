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

/** Our resource id for echo detection; a lookup failure must not fail the delivery (the worker re-checks anyway). */
async function echoIdentity(ctx: AtContext): Promise<number | undefined> {
  try {
    return await apiResourceId(ctx);
  } catch (e) {
    ctx.log.warn({ instance: ctx.instance.id, err: e }, 'Autotask: could not resolve the API user resource; echo check skipped');
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
