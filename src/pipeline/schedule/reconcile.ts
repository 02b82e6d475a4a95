import type { RedisClient } from '../../store/redis.js';

import type { Logger, WebhookState } from '../../contract/index.js';
import type { Metrics } from '../metrics/prometheus.js';
import type { BackfillProgress, BackfillStore } from '../../store/backfill-store.js';
import type { InstanceStore } from '../../store/instance-store.js';
import type { Keys } from '../../store/keys.js';
import type { TicketStore } from '../../store/ticket-store.js';

import type { InstanceRuntime } from '../outbound/instance-runtime.js';
import type { KickOptions } from '../queue/kick-ticket.js';
import type { AlertInput } from '../notify/notifiers.js';
import { isOlderVersion } from '../../store/ticket-state.js';

export interface ReconcileDeps {
  redis: RedisClient;
  keys: Keys;
  tickets: TicketStore;
  instances: InstanceStore;
  kick: (kick: KickOptions) => Promise<void>;
  log: Logger;
  now: () => number;
  /** `PUBLIC_URL`: needed to check the PSA's webhook registration. */
  publicUrl?: string | undefined;
  /** Backfill state; absent → sweeps never backfill. */
  backfill?: BackfillStore;
  metrics?: Metrics;
  /** Sends an operational alert through a notifier (registration drift). */
  alert?: (input: AlertInput) => Promise<void>;
}

/** The cursor overlaps the previous sweep by this much (PSA clocks and commit order are not exact). */
const OVERLAP_MS = 2 * 60_000;

/**
 * PSA calls one sweep may cause: 20 % of the instance's request budget over one interval (issue 13), at least one.
 * Counts list pages AND the fetches/writes of the tickets the sweep queues; the `sweep` lane of the shared rate
 * limiter enforces the same share call by call (rate-lanes.ts).
 */
export function sweepBudget(rt: InstanceRuntime): number {
  const { requests, per } = rt.loaded.info.rateLimit;
  return Math.max(1, Math.floor(0.2 * requests * (rt.loaded.reconcileEveryMs / per)));
}

/** Pages an incremental sweep may read: its budget, at most 50. */
export function pageBudget(rt: InstanceRuntime): number {
  return Math.max(1, Math.min(50, sweepBudget(rt)));
}

/** Calls one evaluation is expected to make (ticket, notes, lookups, and a write now and then). */
const callsPerTicket = (rt: InstanceRuntime): number => Math.max(1, (rt.connector.callsPerEvaluation ?? 3) + 1);

export const callbackUrl = (publicUrl: string, instanceId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(instanceId)}`;

export type SweepResult =
  | { kind: 'busy' }
  | { kind: 'failed'; code: string }
  | { kind: 'done'; kicked: number; complete: boolean; spent: number; backfill?: BackfillProgress | null };

const iso = (ms: number) => new Date(ms).toISOString();

async function listFailed(
  deps: ReconcileDeps,
  id: string,
  code: string,
  what: string,
): Promise<{ kind: 'failed'; code: string }> {
  deps.log.warn({ instance: id, code }, `${what} failed; cursor kept`);
  return { kind: 'failed', code };
}

/**
 * One reconciliation sweep (docs/spec.md §4): tickets changed since the stored cursor are evaluated when newer than stored;
 * the cursor advances only after the whole listing succeeded; a sweep over budget saves its page and resumes.
 * The first sweep of an instance (no stored cursor) and `full` start a backfill (backfill.ts), which later sweeps
 * continue with what is left of their budget. One runner cluster-wide (a Redis lock per instance).
 */
export async function reconcile(
  deps: ReconcileDeps,
  rt: InstanceRuntime,
  options: { full?: boolean } = {},
): Promise<SweepResult> {
  const { keys, redis } = deps;
  const id = rt.loaded.info.id;
  const token = `${process.pid}-${deps.now()}`;
  if ((await redis.set(keys.reconcileLock(id), token, 'PX', 5 * 60_000, 'NX')) !== 'OK') return { kind: 'busy' };
  try {
    const now = deps.now();
    const budget = sweepBudget(rt);
    let stored = await redis.get(keys.reconcileCursor(id));
    let spent = 0;
    let kicked = 0;
    let complete = true;
    if (deps.backfill && (options.full || (stored === null && !(await deps.backfill.exists(id))))) {
      await deps.backfill.start(id, iso(now));
      deps.log.info(
        { instance: id, full: options.full === true, budget },
        'backfill started: every open ticket is evaluated once',
      );
      if (stored === null) {
        // Changes from now on are the incremental sweeps' job; everything older is the backfill's.
        await redis.set(keys.reconcileCursor(id), iso(now));
        stored = iso(now);
      }
    } else {
      const inc = await incremental(deps, rt, stored ?? iso(now - 2 * rt.loaded.reconcileEveryMs), now);
      if (inc.kind !== 'done') return inc;
      ({ spent, kicked, complete } = inc);
    }
    if (!deps.backfill) return { kind: 'done', kicked, complete, spent };
    const bf = await backfillStep(deps, rt, budget - spent);
    if (bf.kind === 'failed') return bf;
    return {
      kind: 'done',
      kicked: kicked + bf.kicked,
      complete,
      spent: spent + bf.spent,
      backfill: await deps.backfill.progress(id),
    };
  } finally {
    const release = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
    await redis.eval(release, 1, keys.reconcileLock(id), token).catch(() => undefined);
  }
}

/** The changed-since listing from the stored cursor; every newer ticket is queued. */
async function incremental(
  deps: ReconcileDeps,
  rt: InstanceRuntime,
  cursor: string,
  now: number,
): Promise<{ kind: 'done'; spent: number; kicked: number; complete: boolean } | { kind: 'failed'; code: string }> {
  const { keys, redis } = deps;
  const id = rt.loaded.info.id;
  const since = new Date(Date.parse(cursor) - OVERLAP_MS).toISOString();
  let page = (await redis.get(keys.reconcilePage(id))) ?? undefined;
  let highWater = cursor;
  let kicked = 0;
  let spent = 0;
  for (let pages = 0; pages < pageBudget(rt); pages++) {
    const res = await rt.connector.listChangedSince(rt.ctx, since, page);
    spent += 1;
    if (!res.ok) {
      const psa = res.error.code === 'psa_auth' ? 'auth_failed' : 'unreachable';
      // Throttled (429 or our own budget) is not unreachable: the next interval resumes from the kept cursor.
      if (res.error.code !== 'rate_limited') await deps.instances.setPsa(id, psa, iso(deps.now()), res.error.code);
      return listFailed(deps, id, res.error.code, 'reconciliation sweep');
    }
    for (const item of res.value.items) {
      const stored = await deps.tickets.get(id, item.ticketId);
      const newer =
        !stored ||
        item.version === undefined ||
        (item.version !== stored.version && !isOlderVersion(item.version, stored.version));
      if (newer) {
        await deps.kick({ instanceId: id, ticketId: item.ticketId, trigger: 'reconcile', now: deps.now() });
        kicked += 1;
        spent += callsPerTicket(rt);
      }
    }
    if (res.value.highWater && res.value.highWater > highWater) highWater = res.value.highWater;
    page = res.value.nextPage;
    if (!page) {
      await redis
        .multi()
        .set(keys.reconcileCursor(id), highWater > cursor ? highWater : iso(now))
        .del(keys.reconcilePage(id))
        .exec();
      await deps.instances.setPsa(id, 'ok', iso(deps.now()));
      return { kind: 'done', kicked, complete: true, spent };
    }
  }
  // Resumed by the next sweep; a token nobody resumes within a day (instance removed) expires (docs/redis-keys.md).
  await redis.set(keys.reconcilePage(id), page!, 'PX', 86_400_000);
  return { kind: 'done', kicked, complete: false, spent };
}

/** Every open ticket since the epoch, for connectors without an open-only listing (closed ones are dropped later). */
const EPOCH = '1970-01-01T00:00:00Z';

/**
 * One step of a running backfill within `budget` calls: the next pages of the open-only listing (at most a quarter
 * of the budget), then as many listed tickets as the rest affords, minus those queued earlier and not evaluated
 * yet (they will spend this budget when they run). Progress lives in Redis: a restart resumes where it stopped.
 */
async function backfillStep(
  deps: ReconcileDeps,
  rt: InstanceRuntime,
  budget: number,
): Promise<{ kind: 'done'; kicked: number; spent: number } | { kind: 'failed'; code: string }> {
  const store = deps.backfill!;
  const id = rt.loaded.info.id;
  const state = await store.active(id);
  if (!state) return { kind: 'done', kicked: 0, spent: 0 };
  let spent = 0;
  let { page, listingDone } = state;
  const pageCap = Math.max(1, Math.ceil(budget / 4));
  for (let pages = 0; !listingDone && pages < pageCap && spent < Math.max(1, budget); pages++) {
    const res = rt.connector.listOpen
      ? await rt.connector.listOpen(rt.ctx, page)
      : await rt.connector.listChangedSince(rt.ctx, EPOCH, page);
    spent += 1;
    if (!res.ok) {
      if (res.error.code === 'psa_auth')
        await deps.instances.setPsa(id, 'auth_failed', iso(deps.now()), res.error.code);
      else if (res.error.code !== 'rate_limited')
        await deps.instances.setPsa(id, 'unreachable', iso(deps.now()), res.error.code);
      return listFailed(deps, id, res.error.code, 'backfill listing');
    }
    await store.addListed(
      id,
      res.value.items.map((i) => i.ticketId),
      res.value.nextPage,
      iso(deps.now()),
    );
    page = res.value.nextPage;
    listingDone = page === undefined;
  }
  const perTicket = callsPerTicket(rt);
  const waiting = await store.inFlight(id, state.kicked);
  // At least one ticket per sweep when none is waiting (a small budget still progresses; the sweep lane of the
  // rate limiter holds the hard cap).
  let affordable = Math.max(waiting === 0 ? 1 : 0, Math.floor((budget - spent) / perTicket) - waiting);
  let kicked = 0;
  let cursor = state.kicked;
  while (affordable > 0) {
    const next = await store.nextToKick(id, cursor, affordable);
    if (next.scanned === 0) break;
    for (const ticketId of next.ids)
      await deps.kick({ instanceId: id, ticketId, trigger: 'backfill', now: deps.now() });
    await store.advance(id, next.scanned);
    cursor += next.scanned;
    kicked += next.ids.length;
    affordable -= next.ids.length;
    spent += next.ids.length * perTicket;
  }
  const progress = await store.progress(id);
  deps.log.info(
    { instance: id, backfill: progress, queued: kicked },
    progress?.completedAt ? 'backfill complete' : 'backfill progress',
  );
  return { kind: 'done', kicked, spent };
}

/** Registration states that mean the PSA stopped (or never started) calling us. */
const drifted = (state: WebhookState): boolean => state === 'inactive' || state === 'missing';

/**
 * Reads the PSA's webhook registration into the instance status. Drift (inactive or missing) counts in
 * `psa_escalator_webhook_registration_drift_total` and alerts the instance's `alerts` notifiers once per change of
 * state; in enforce mode a sweep repairs it, in observe mode it is only reported (repairing is a PSA write).
 */
export async function checkRegistration(deps: ReconcileDeps, rt: InstanceRuntime, repair: boolean): Promise<void> {
  if (!deps.publicUrl) return;
  const id = rt.loaded.info.id;
  const url = callbackUrl(deps.publicUrl, id);
  const state = await rt.connector.webhookState(rt.ctx, url);
  if (!state.ok) {
    deps.log.warn({ instance: id, code: state.error.code }, 'webhook registration check failed');
    return;
  }
  const before = (await deps.instances.get(id)).webhook;
  await deps.instances.setWebhook(id, state.value);
  if (!drifted(state.value)) return;
  deps.metrics?.registrationDrift.inc({ instance: id, state: state.value });
  const observe = rt.loaded.info.mode === 'observe';
  if (before !== state.value) await alertDrift(deps, rt, state.value, observe);
  if (observe) {
    deps.log.warn(
      { instance: id, webhook: state.value },
      'webhook registration is not active; observe mode reports it and does not repair it (a PSA write): run `psa-escalator webhooks register`',
    );
    return;
  }
  if (!repair) return;
  const fixed = await rt.connector.registerWebhooks(rt.ctx, url);
  if (fixed.ok) {
    deps.log.warn({ instance: id, was: state.value, ...fixed.value }, 'webhook registration repaired');
    await deps.instances.setWebhook(id, 'active');
  } else
    deps.log.error(
      { instance: id, code: fixed.error.code },
      'webhook registration is not active and could not be repaired',
    );
}

async function alertDrift(
  deps: ReconcileDeps,
  rt: InstanceRuntime,
  state: WebhookState,
  observe: boolean,
): Promise<void> {
  const id = rt.loaded.info.id;
  const message = `webhook registration is ${state}: the PSA is not sending ticket events${observe ? ' (observe mode: not repaired)' : '; repairing'}`;
  for (const notifier of rt.loaded.alerts ?? []) {
    await deps
      .alert?.({
        notifier,
        instanceId: id,
        alert: 'webhook_registration_drift',
        message,
        at: new Date(deps.now()).toISOString(),
        details: { webhook: state },
      })
      .catch((e: unknown) =>
        deps.log.warn(
          { instance: id, notifier, err: { message: e instanceof Error ? e.message : String(e) } },
          'drift alert could not be sent',
        ),
      );
  }
}
