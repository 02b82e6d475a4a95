import { err, ok } from '../../src/contract/index.js';
import type { ConnectorError, ParsedWebhook, PsaConnector, Result } from '../../src/contract/index.js';

import { applyHaloActions } from './actions.js';
import { asConnectorError } from './client.js';
import type { HaloContext } from './client.js';
import { readHaloHistory } from './history.js';
import { optional, ownAgentId } from './lookups.js';
import { normalizeHalo } from './normalize.js';
import { haloWebhookState, registerHaloWebhooks } from './registration.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { HaloSettings } from './schemas.js';
import { fetchHaloTicket, listHaloChangedSince, listHaloOpen } from './tickets.js';
import { readHaloWebhook, verifyHaloWebhook } from './webhook.js';

/** Runs connector work, turning thrown `ConnectorError`s into values (STYLE rule 3). */
async function attempt<T>(work: () => Promise<T>): Promise<Result<T, ConnectorError>> {
  try {
    return ok(await work());
  } catch (e) {
    return err(asConnectorError(e));
  }
}

const ECHO_LOOKUP_BUDGET_MS = 1_500;

/** The promise's value if it settles within `ms`, else undefined (the work continues and fills the cache). */
async function withinBudget<T>(work: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Our agent id per instance runtime (keyed by its shared cache object), remembered in process for a minute. */
const agentMemo = new WeakMap<object, { id: string; until: number }>();
const AGENT_MEMO_MS = 60_000;

/**
 * The agent our API token acts as, for echo detection on the ack path: from the process memo when fresh (no Redis
 * read per delivery), else from the shared cache or Halo within the budget; a failed refresh keeps the last answer.
 */
async function echoAgent(ctx: HaloContext): Promise<string | undefined> {
  const now = ctx.clock.now().getTime();
  const hit = agentMemo.get(ctx.cache);
  if (hit && now < hit.until) return hit.id;
  const id = await withinBudget(optional(ctx, 'agent-me', () => ownAgentId(ctx)), ECHO_LOOKUP_BUDGET_MS);
  if (id !== undefined) agentMemo.set(ctx.cache, { id, until: now + AGENT_MEMO_MS });
  return id ?? hit?.id;
}

/**
 * Reads the delivery, then drops echoes of our own API agent (`agent_id` = `GET /api/Agent/me`, docs/spec.md §4). A batch
 * yields its first entry that is not an echo; the others are recovered by the next evaluation / reconciliation.
 */
async function parseHaloWebhook(ctx: HaloContext, json: unknown, rawBody: Buffer): Promise<Result<ParsedWebhook, ConnectorError>> {
  const read = readHaloWebhook(json, rawBody);
  if (!read.ok) return read;
  const entries = read.value;
  const hasActor = entries.some((e) => e.kind === 'event' && e.agentId !== undefined);
  // Only asked when an actor is present; cached (shared) after the first call, which workers also make. On the
  // request path the lookup gets a short budget: a slow Halo must not delay the ack, and a missed echo only costs
  // one evaluation (the write it would repeat is already recorded). A failed lookup never loses an event.
  const me = hasActor ? await echoAgent(ctx) : undefined;
  let firstEcho: ParsedWebhook | undefined;
  let firstIgnore: ParsedWebhook | undefined;
  for (const e of entries) {
    if (e.kind === 'ignore') {
      firstIgnore ??= { ignore: e.reason, eventId: e.eventId };
      continue;
    }
    // Ours only when the top-level agent is our API agent AND the embedded ticket is not assigned to it: when both
    // agent ids are equal the top-level one may just be the assignee (webhook.ts), and a missed echo costs one
    // evaluation while a wrong one would drop a real event until reconciliation.
    if (me !== undefined && e.agentId === me && e.ticketAgentId !== me) {
      firstEcho ??= { ignore: 'echo', eventId: e.event.eventId, ticketId: e.event.ticketId };
      continue;
    }
    if (entries.length > 1) ctx.log.warn({ entries: entries.length }, 'Halo sent a batched delivery; turn batching off on the webhook');
    return ok(e.event);
  }
  return ok((firstEcho ?? firstIgnore)!);
}

/** The HaloPSA / HaloITSM / HaloServiceDesk connector (issue 7; facts in docs/psa/halo.md). */
export const halo = {
  kind: 'halo',
  displayName: 'HaloPSA',
  settingsSchema,
  memberSchema,
  membersRequireMapping: true,
  locationKeys,
  rateLimitDefaults,
  verifyWebhook: async (ctx, req) => verifyHaloWebhook(ctx.settings.webhook, req),
  parseWebhook: async (ctx, req) => parseHaloWebhook(ctx, req.json, req.rawBody),
  fetchTicket: (ctx, ticketId) => attempt(() => fetchHaloTicket(ctx, ticketId)),
  normalize: (fetched, instance, settings) => normalizeHalo(fetched, instance, settings),
  applyActions: (ctx, plan) => applyHaloActions(ctx, plan),
  registerWebhooks: (ctx, callbackUrl) => attempt(() => registerHaloWebhooks(ctx, callbackUrl)),
  webhookState: (ctx, callbackUrl) => attempt(() => haloWebhookState(ctx, callbackUrl)),
  listChangedSince: (ctx, since, page?) => attempt(() => listHaloChangedSince(ctx, since, page)),
  listOpen: (ctx, page?) => attempt(() => listHaloOpen(ctx, page)),
  readHistory: readHaloHistory,
  // Ticket and actions (lookups are cached).
  callsPerEvaluation: 2,
} satisfies PsaConnector<HaloSettings>;
