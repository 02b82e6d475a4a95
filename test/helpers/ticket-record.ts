import type { Redis } from 'ioredis';

import { createKeys } from '../../src/store/keys.js';

import { waitFor } from './wait.js';

export type StoredTicket = Record<string, unknown>;

const keys = createKeys();

/** The stored per-ticket record (tier visit, our last move, manual-change hold), parsed, as Redis holds it. */
export async function storedTicket(
  client: Redis,
  instance: string,
  ticketId: number | string,
): Promise<StoredTicket | undefined> {
  const raw = await client.get(keys.ticket(instance, String(ticketId)));
  return raw === null ? undefined : (JSON.parse(raw) as StoredTicket);
}

/** Waits until a person's move of the ticket back to T1 is recorded as a manual change (the hold that stops us). */
export function waitForManualMoveToT1(
  client: Redis,
  instance: string,
  ticketId: number | string,
  what: string,
): Promise<unknown> {
  return waitFor(
    async () => {
      const rec = await storedTicket(client, instance, ticketId);
      return rec?.['tier'] === 'T1' && rec['manualChange'];
    },
    10_000,
    50,
    what,
  );
}
