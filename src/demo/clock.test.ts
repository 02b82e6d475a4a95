import { describe, expect, it } from 'vitest';

import { DemoClock } from './clock.js';

describe('DemoClock', () => {
  const start = Date.parse('2026-11-24T14:00:00Z');

  it('runs `scale` simulated ms per real ms from its start, and converts simulated waits to real ones', () => {
    let real = 1_000;
    const clock = new DemoClock({ start, scale: 600, real: () => real });
    expect(clock.now()).toBe(start);
    real += 12_000; // twelve real seconds = two simulated hours
    expect(clock.now()).toBe(start + 2 * 3_600_000);
    expect(clock.elapsedMinutes()).toBe(120);
    expect(clock.realDelayUntil(clock.at(130))).toBe(1_000);
    expect(clock.realDelayUntil(clock.at(10))).toBe(0);
  });

  it('is frozen at scale 0 and changes speed without jumping', () => {
    let real = 0;
    const clock = new DemoClock({ start, scale: 0, real: () => real });
    real += 5_000;
    expect(clock.now()).toBe(start);
    clock.setScale(600);
    real += 100;
    expect(clock.now()).toBe(start + 60_000);
    clock.setScale(1);
    real += 1_000;
    expect(clock.now()).toBe(start + 61_000);
  });

  it('holdAt: runs on from where it is up to the held instant, never backwards, Infinity releases it', () => {
    let real = 0;
    const clock = new DemoClock({ start, scale: 600, real: () => real });
    clock.holdAt(start + 60_000);
    real += 10_000;
    expect(clock.now()).toBe(start + 60_000);
    expect(clock.heldAt).toBe(start + 60_000);
    clock.holdAt(-Infinity); // an instant already passed: stops where it is
    real += 10_000;
    expect(clock.now()).toBe(start + 60_000);
    clock.holdAt(Infinity);
    real += 100;
    expect(clock.now()).toBe(start + 120_000);
  });

  it('holdAt with skip never reads the skipped instant: the millisecond after instead', () => {
    let real = 0;
    const clock = new DemoClock({ start, scale: 600, real: () => real });
    clock.holdAt(start + 60_001, start + 60_000);
    real += 99; // 59.4 simulated seconds
    expect(clock.now()).toBe(start + 59_400);
    real += 1; // exactly the skipped instant
    expect(clock.now()).toBe(start + 60_001);
    real += 1_000;
    expect(clock.now()).toBe(start + 60_001);
  });
});
