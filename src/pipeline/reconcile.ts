import type { RedisClient } from '../store/redis.js';

import type { Logger } from '../contract/index.js';
import type { InstanceStore } from '../store/instance-store.js';
import type { Keys } from '../store/keys.js';
import type { TicketStore } from '../store/ticket-store.js';

import type { InstanceRuntime } from './context.js';
import type { KickOptions } from './kick.js';
import { isOlderVersion } from './state.js';

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
}

/** The cursor overlaps the previous sweep by this much (PSA clocks and commit order are not exact). */
const OVERLAP_MS = 2 * 60_000;

/**
 * Pages a sweep may read: at most 20 % of the instance's request budget over one interval (SPEC §4), at least one,
 * at most 50. Every listed ticket that is new or changed is then fetched by its own (rate-limited) evaluation.
 */
export function pageBudget(rt: InstanceRuntime): number {
  const { requests, per } = rt.loaded.info.rateLimit;
  const calls = Math.floor(0.2 * requests * (rt.loaded.reconcileEveryMs / per));
  return Math.max(1, Math.min(50, calls));
}

export const callbackUrl = (publicUrl: string, instanceId: string): string => `${publicUrl.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(instanceId)}`;

export type SweepResult = { kind: 'busy' } | { kind: 'failed'; code: string } | { kind: 'done'; kicked: number; complete: boolean };

/**
 * One reconciliation sweep (SPEC §4): tickets changed since the stored cursor are evaluated when newer than stored;
 * the cursor advances only after the whole listing succeeded; a sweep over budget saves its page and resumes.
 * One runner cluster-wide (a Redis lock per instance).
 */
export async function reconcile(deps: ReconcileDeps, rt: InstanceRuntime): Promise<SweepResult> {
  const { keys, redis } = deps;
  const id = rt.loaded.info.id;
  const token = `${process.pid}-${deps.now()}`;
  if ((await redis.set(keys.reconcileLock(id), token, 'PX', 5 * 60_000, 'NX')) !== 'OK') return { kind: 'busy' };
  try {
    const now = deps.now();
    const cursor = (await redis.get(keys.reconcileCursor(id))) ?? new Date(now - 2 * rt.loaded.reconcileEveryMs).toISOString();
    const since = new Date(Date.parse(cursor) - OVERLAP_MS).toISOString();
    let page = (await redis.get(keys.reconcilePage(id))) ?? undefined;
    let highWater = cursor;
    let kicked = 0;
    for (let pages = 0; pages < pageBudget(rt); pages++) {
      const res = await rt.connector.listChangedSince(rt.ctx, since, page);
      if (!res.ok) {
        const psa = res.error.code === 'psa_auth' ? 'auth_failed' : 'unreachable';
        // Throttled (429 or our own budget) is not unreachable: the next interval resumes from the kept cursor.
        if (res.error.code !== 'rate_limited') await deps.instances.setPsa(id, psa, new Date(deps.now()).toISOString(), res.error.code);
        deps.log.warn({ instance: id, code: res.error.code }, 'reconciliation sweep failed; cursor kept');
        return { kind: 'failed', code: res.error.code };
      }
      for (const item of res.value.items) {
        const stored = await deps.tickets.get(id, item.ticketId);
        const newer = !stored || item.version === undefined || (item.version !== stored.version && !isOlderVersion(item.version, stored.version));
        if (newer) {
          await deps.kick({ instanceId: id, ticketId: item.ticketId, trigger: 'reconcile', now: deps.now() });
          kicked += 1;
        }
      }
      if (res.value.highWater && res.value.highWater > highWater) highWater = res.value.highWater;
      page = res.value.nextPage;
      if (!page) {
        await redis.multi().set(keys.reconcileCursor(id), highWater > cursor ? highWater : new Date(now).toISOString()).del(keys.reconcilePage(id)).exec();
        await deps.instances.setPsa(id, 'ok', new Date(deps.now()).toISOString());
        return { kind: 'done', kicked, complete: true };
      }
    }
    // Resumed by the next sweep; a token nobody resumes within a day (instance removed) expires (docs/redis-keys.md).
    await redis.set(keys.reconcilePage(id), page!, 'PX', 86_400_000);
    return { kind: 'done', kicked, complete: false };
  } finally {
    const release = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
    await redis.eval(release, 1, keys.reconcileLock(id), token).catch(() => undefined);
  }
}

/** Reads the PSA's webhook registration into the instance status; a disabled or missing one is repaired. */
export async function checkRegistration(deps: ReconcileDeps, rt: InstanceRuntime, repair: boolean): Promise<void> {
  if (!deps.publicUrl) return;
  const id = rt.loaded.info.id;
  const url = callbackUrl(deps.publicUrl, id);
  const state = await rt.connector.webhookState(rt.ctx, url);
  if (!state.ok) {
    deps.log.warn({ instance: id, code: state.error.code }, 'webhook registration check failed');
    return;
  }
  await deps.instances.setWebhook(id, state.value);
  if (repair && (state.value === 'inactive' || state.value === 'missing')) {
    const fixed = await rt.connector.registerWebhooks(rt.ctx, url);
    if (fixed.ok) {
      deps.log.warn({ instance: id, was: state.value, ...fixed.value }, 'webhook registration repaired');
      await deps.instances.setWebhook(id, 'active');
    } else deps.log.error({ instance: id, code: fixed.error.code }, 'webhook registration is not active and could not be repaired');
  }
}
