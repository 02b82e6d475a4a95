import { describe, expect, it } from 'vitest';

import { newDisagreements, slaDrift } from './sla-drift.js';

const clock = (dueAt: string) => ({
  targetMinutes: 60,
  dueAt,
  elapsedMinutes: 0,
  usedPct: 0,
  breached: false,
  paused: false,
  stopped: false,
});

describe('PSA SLA drift (issue 13)', () => {
  it('is PSA due minus our due in minutes, per clock; null when either side has none', () => {
    const drift = slaDrift(
      { psaSla: { respondBy: '2026-03-02T10:30:00Z', resolveBy: '2026-03-02T09:00:00Z' } },
      { firstResponse: clock('2026-03-02T10:00:00Z'), resolution: clock('2026-03-02T09:00:00Z') },
    );
    expect(drift).toEqual({ firstResponse: 30, resolution: 0 });
    expect(
      slaDrift({ psaSla: { respondBy: '2026-03-02T09:45:00Z' } }, { firstResponse: clock('2026-03-02T10:00:00Z') }),
    ).toEqual({ firstResponse: -15, resolution: null });
    expect(slaDrift({}, { firstResponse: clock('2026-03-02T10:00:00Z') })).toEqual({
      firstResponse: null,
      resolution: null,
    });
  });

  it('counts a clock once when it crosses the tolerance', () => {
    expect(newDisagreements({ firstResponse: 30, resolution: 2 }, undefined, 5)).toEqual(['firstResponse']);
    expect(newDisagreements({ firstResponse: 30, resolution: -6 }, { firstResponse: 31, resolution: 0 }, 5)).toEqual([
      'resolution',
    ]);
    expect(newDisagreements({ firstResponse: 5, resolution: null }, undefined, 5)).toEqual([]);
  });
});
