import { describe, expect, it } from 'vitest';

import { PsaBudget } from './psa-budget.js';

describe('PsaBudget', () => {
  it('lets at most share × requests calls through in any window of `per`, waiting (never exceeding) for the rest', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const budget = new PsaBudget({ requests: 100, per: 60_000 }, 0.2, {
      now: () => now,
      sleep: async (ms) => void (sleeps.push(ms), (now += ms)),
    });
    expect(budget.cap).toBe(20);
    const at: number[] = [];
    for (let i = 0; i < 50; i++) {
      await budget.acquire({ method: 'GET', url: 'https://psa.example/x' });
      at.push(now);
      now += 100;
    }
    expect(budget.used).toBe(50);
    for (const t of at) expect(at.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(20);
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it('refuses a share outside (0, 1] and keeps at least one call per window', () => {
    expect(() => new PsaBudget({ requests: 10, per: 1000 }, 0)).toThrow(RangeError);
    expect(() => new PsaBudget({ requests: 10, per: 1000 }, 1.5)).toThrow(RangeError);
    expect(new PsaBudget({ requests: 3, per: 1000 }, 0.2).cap).toBe(1);
  });
});
