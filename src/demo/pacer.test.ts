import { describe, expect, it } from 'vitest';

import { CHECK_LEASE_MS } from '../store/schedule-store.js';

import { DemoClock } from './clock.js';
import { DemoPacer } from './pacer.js';

describe('DemoPacer', () => {
  const start = Date.parse('2026-11-24T14:00:00Z');

  it('holds the clock just past the next scheduled check until its evaluation replaces the claimed entry', async () => {
    let real = 0;
    const clock = new DemoClock({ start, scale: 600, real: () => real });
    const due = start + 60_000;
    let entries = [{ instanceId: 'i', ticketId: '1', due }];
    const pacer = new DemoPacer(clock, { schedule: { entries: async () => entries } }, { real: () => real });
    await pacer.tick();
    real += 10_000; // a loaded machine: ten real seconds pass before the scheduler gets to the check
    expect(clock.now()).toBe(due + 1);
    // Claimed at the held instant (pushed a lease later) but not yet evaluated: time stands still.
    entries = [{ instanceId: 'i', ticketId: '1', due: due + 1 + CHECK_LEASE_MS }];
    await pacer.tick();
    real += 10_000;
    expect(clock.now()).toBe(due + 1);
    // Evaluated: the next check is a day later; time runs on from the held instant (no jump).
    entries = [{ instanceId: 'i', ticketId: '1', due: due + 86_400_000 }];
    await pacer.tick();
    real += 100;
    expect(clock.now()).toBe(due + 1 + 60_000);
  });
});
