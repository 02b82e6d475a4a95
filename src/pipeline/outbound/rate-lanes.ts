import { AsyncLocalStorage } from 'node:async_hooks';

import type { Trigger } from '../queue/queues.js';

/**
 * Which share of an instance's request budget a PSA call spends (issue 13 "budgets that hold"):
 * - `live`: webhook-driven and manual evaluations — the whole budget;
 * - `background`: scheduled checks, dead-letter retries, registration checks — at most half of it, so live webhooks
 *   always keep at least half;
 * - `sweep`: reconciliation and backfill, counting everything they cause (list pages AND the fetches/writes of the
 *   tickets they queue) — at most 20 %, inside the background half.
 */
export type Lane = 'live' | 'background' | 'sweep';

export const laneShares = { sweep: 0.2, background: 0.5 } as const;

const storage = new AsyncLocalStorage<Lane>();

/** Runs `fn` with every PSA call it makes (however deep) counted against `lane`. */
export function inLane<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
  return storage.run(lane, fn);
}

/** The lane of the calling code; calls outside any job (CLI, API routes) are live. */
export function currentLane(): Lane {
  return storage.getStore() ?? 'live';
}

export function laneOf(trigger: Trigger): Lane {
  switch (trigger) {
    case 'webhook':
    case 'manual':
      return 'live';
    case 'reconcile':
    case 'backfill':
      return 'sweep';
    default:
      return 'background';
  }
}
