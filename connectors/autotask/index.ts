import type { PsaConnector } from '../../src/contract/index.js';

import { applyAutotaskActions } from './actions.js';
import type { AtContext } from './client.js';
import { readAutotaskHistory } from './history.js';
import { apiResourceId } from './lookups.js';
import { autotaskHandoffFillable, normalizeAutotask } from './normalize.js';
import { fetchAutotaskTicket, listAutotaskChanged, listAutotaskOpen } from './read.js';
import { autotaskWebhookState, registerAutotaskWebhooks } from './registration.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';
import { parseAutotaskWebhook, verifyAutotaskSignature } from './webhook.js';

/** Autotask waits 10 s for our answer: the identity lookup on the webhook path gets a short leash. */
const webhookLookupTimeoutMs = 3_000;
/** After a failed lookup, deliveries go on without the echo check for this long before the next try. */
const lookupBackoffMs = 120_000;
/** How long the first deliveries of a process wait for the first lookup before going on without the echo check. */
const firstLookupWaitMs = 500;
/** How long a process trusts what it knows before checking the shared cache (and maybe the PSA) again. */
const memoFreshMs = 60_000;

interface IdentityMemo {
  /** False until the first lookup of this process has ended. */
  known: boolean;
  value: number | undefined;
  freshUntil: number;
  refreshing?: Promise<number | undefined>;
}

/** Per instance runtime (its shared cache object): nothing survives into another service in the same process. */
const identityMemos = new WeakMap<object, IdentityMemo>();

async function lookUpIdentity(ctx: AtContext): Promise<number | undefined> {
  const backoffKey = `autotask:apiResourceBackoff:${ctx.instance.id}`;
  // Another replica's failure is good enough a reason not to try again so soon.
  if ((await ctx.cache.get(backoffKey)) !== undefined) return undefined;
  try {
    return await apiResourceId(ctx, { timeoutMs: webhookLookupTimeoutMs });
  } catch (e) {
    ctx.log.warn({ instance: ctx.instance.id, err: e }, 'Autotask: could not resolve the API user resource; echo check skipped');
    await ctx.cache.set(backoffKey, true, lookupBackoffMs).catch(() => undefined);
    return undefined;
  }
}

/**
 * Our resource id for echo detection, on the hot path of every delivery. Configured: free. Otherwise a process-local
 * memo answers (no Redis round trip per delivery); when it is stale, the last value answers while ONE refresh runs
 * in the background. Only the first deliveries of a process wait for a lookup (sharing it, 500 ms at most). A failed
 * or slow lookup must not fail or hold the delivery: the webhook registration excludes our resource anyway, and the
 * worker re-fetches and its guards never repeat an action.
 */
async function echoIdentity(ctx: AtContext): Promise<number | undefined> {
  const configured = ctx.settings.connection.apiResourceID;
  if (configured !== undefined) return configured;
  const memo = identityMemos.get(ctx.cache) ?? { known: false, value: undefined, freshUntil: 0 };
  identityMemos.set(ctx.cache, memo);
  if (!memo.refreshing && (!memo.known || ctx.clock.now().getTime() >= memo.freshUntil)) {
    memo.refreshing = lookUpIdentity(ctx)
      .then(
        (value) => (memo.value = value),
        () => memo.value,
      )
      .finally(() => {
        memo.known = true;
        memo.freshUntil = ctx.clock.now().getTime() + memoFreshMs;
        memo.refreshing = undefined;
      });
  }
  if (memo.known) return memo.value;
  // The very first deliveries wait a little, not the lookup's full timeout: an unreachable PSA must not hold acks.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), firstLookupWaitMs)));
  try {
    return await Promise.race([memo.refreshing, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Autotask PSA (Datto/Kaseya) connector: see README.md and ../../docs/psa/autotask.md. */
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
  listOpen: listAutotaskOpen,
  readHistory: readAutotaskHistory,
  handoffFillable: autotaskHandoffFillable,
  // Ticket + notes (lookups are cached).
  callsPerEvaluation: 2,
} satisfies PsaConnector<AutotaskSettings>;
