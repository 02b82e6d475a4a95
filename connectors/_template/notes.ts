import type { TicketNote } from '../../src/contract/index.js';

/**
 * Role: the PSA's notes — which are ours (our marker, parsed with `hasMarker`/`carriesMarker` from src/contract,
 * AND written by our API identity), the five most recent, the latest human note. See
 * docs/adding-a-connector.md#notes.
 */
export function summarizeNotes(
  _raw: readonly unknown[],
  _ownIdentity: string | undefined,
): { recentNotes: TicketNote[]; latestNote?: string } {
  return { recentNotes: [] };
}
