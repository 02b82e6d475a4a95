import { expect } from 'vitest';

import type { FakePsa } from './test-psa.js';

/**
 * Asserts that each ticket was moved by exactly one PATCH (counting those at or after `since`, ms) and carries
 * exactly one note: no write lost, none repeated.
 */
export function expectOneMoveAndNoteEach(fake: FakePsa, ids: readonly string[], since = -Infinity): void {
  for (const id of ids) {
    expect(
      fake.calls.filter((c) => c.method === 'PATCH' && c.path === `/tickets/${id}` && c.at >= since),
      id,
    ).toHaveLength(1);
    expect(fake.tickets.get(id)!.notes, id).toHaveLength(1);
  }
}
