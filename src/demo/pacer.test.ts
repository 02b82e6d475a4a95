import { describe, expect, it } from 'vitest';

import type { DueCheckActivity } from '../pipeline/schedule/loops.js';

import { DemoClock } from './clock.js';
import { DemoPacer } from './pacer.js';

const start = Date.parse('2026-11-24T14:00:00Z');
const MIN = 60_000;

/** A fake pipeline whose schedule, queues and due-check loop the test sets; the real clock is advanced by hand. */
function setup(options: { graceMs?: number; budgetMs?: number } = {}) {
  const t = {
    real: 0,
    jobs: 0,
    schedule: [] as number[],
    activity: { inFlight: false, claims: 0 } as DueCheckActivity,
    /** Runs during the probe, between the queue read and the schedule read. */
    duringProbe: undefined as (() => void) | undefined,
    failing: false,
    graces: [] as { at: number; stillMs: number; reason: string }[],
  };
  const clock = new DemoClock({ start, scale: 600, real: () => t.real });
  const pacer = new DemoPacer(
    clock,
    {
      dueChecks: () => ({ ...t.activity }),
      pendingJobs: async () => {
        if (t.failing) throw new Error('Connection is closed.');
        const n = t.jobs;
        t.duringProbe?.();
        return n;
      },
      nextDue: async () => (t.schedule.length ? Math.min(...t.schedule) : null),
    },
    {
      real: () => t.real,
      graceMs: options.graceMs ?? 10_000,
      budgetMs: options.budgetMs ?? 60_000,
      onGrace: (g) => t.graces.push(g),
    },
  );
  return { t, clock, pacer };
}

describe('DemoPacer', () => {
  it('runs to one millisecond past the next due check, holds while its evaluation is pending, then runs on', async () => {
    const { t, clock, pacer } = setup();
    t.schedule = [start + 32 * MIN, start + 33 * MIN];
    await pacer.tick();
    t.real += 60_000; // a minute of real time: far past both checks at 600×
    expect(clock.now()).toBe(start + 32 * MIN + 1);
    // The scheduler claims the first (pushed a lease later) and its job is pending: time stands still.
    t.schedule = [start + 33 * MIN, start + 33 * MIN + 1 + MIN];
    t.jobs = 1;
    await pacer.tick();
    t.real += 5_000;
    expect(clock.now()).toBe(start + 32 * MIN + 1);
    // Evaluated: its ticket's next check is tomorrow; time runs on to the second check, not past it.
    t.jobs = 0;
    t.schedule = [start + 33 * MIN, start + 24 * 60 * MIN];
    await pacer.tick();
    t.real += 50; // 30 simulated seconds
    expect(clock.now()).toBe(start + 32 * MIN + 1 + 30_000);
    t.real += 60_000;
    expect(clock.now()).toBe(start + 33 * MIN + 1);
    expect(t.graces).toEqual([]);
  });

  it('counts a claim under way or made during its look as pending work (checks out of the schedule, no job yet)', async () => {
    const { t, clock, pacer } = setup();
    t.schedule = [start + MIN];
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(start + MIN + 1);
    // Claimed between the queue read and the schedule read: neither shows it, the claim counter does.
    t.duringProbe = () => {
      t.schedule = [start + 2 * MIN + 1];
      t.activity = { inFlight: false, claims: 1 };
    };
    await pacer.tick();
    t.duringProbe = undefined;
    t.real += 1_000;
    expect(clock.now()).toBe(start + MIN + 1);
    t.activity = { inFlight: true, claims: 1 };
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(start + MIN + 1);
    // The kick is done and its evaluation stored the next check: idle again.
    t.activity = { inFlight: false, claims: 1 };
    t.schedule = [start + 60 * MIN];
    await pacer.tick();
    t.real += 100;
    expect(clock.now()).toBe(start + MIN + 1 + MIN);
  });

  it('never lets the scheduler see a due instant itself, even on a clock that passes through it exactly', async () => {
    const { t, clock, pacer } = setup();
    // Every instant on the way is start + 600·k: the clock meets 14:32:00.000 exactly after 3.2 real seconds.
    t.schedule = [start + 32 * MIN];
    await pacer.tick();
    const seen: number[] = [];
    for (let i = 0; i < 3_300; i++) {
      t.real += 1;
      seen.push(clock.now());
    }
    expect(seen).not.toContain(start + 32 * MIN);
    expect(seen.at(-1)).toBe(start + 32 * MIN + 1);
  });

  it('a check due at the minute of a story step: the step waits for the millisecond after', async () => {
    const { t, clock, pacer } = setup();
    pacer.storyAt(start + 10 * MIN);
    t.schedule = [start + 10 * MIN];
    await pacer.tick();
    t.real += 10_000;
    expect(clock.now()).toBe(start + 10 * MIN + 1);
  });

  it("waits at the story's next step until the story moves it on", async () => {
    const { t, clock, pacer } = setup();
    pacer.storyAt(start + 2 * MIN);
    await pacer.tick();
    t.real += 10_000;
    expect(clock.now()).toBe(start + 2 * MIN);
    // The step ran and delivered a webhook: its event job is pending.
    pacer.storyAt(start + 5 * MIN);
    t.jobs = 1;
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(start + 2 * MIN);
    t.jobs = 0;
    await pacer.tick();
    t.real += 10_000;
    expect(clock.now()).toBe(start + 5 * MIN);
  });

  it('cannot deadlock: a due check that never completes stops time for the grace only, then pacing resumes', async () => {
    const { t, clock, pacer } = setup({ graceMs: 10_000 });
    t.schedule = [start + MIN];
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(start + MIN + 1);
    // Claimed; its job never finishes (a worker waiting for the simulated clock itself, say).
    t.schedule = [start + 2 * MIN + 1];
    t.jobs = 1;
    for (let i = 0; i < 9; i++) {
      await pacer.tick();
      t.real += 1_000;
    }
    expect(clock.now()).toBe(start + MIN + 1);
    expect(t.graces).toEqual([]);
    await pacer.tick();
    t.real += 1_000;
    await pacer.tick(); // ten real seconds still: the grace is over
    expect(t.graces).toEqual([{ at: start + MIN + 1, stillMs: 10_000, reason: '1 job(s) unfinished' }]);
    t.real += 1_000;
    expect(clock.now()).toBe(start + MIN + 1 + 10 * MIN);
    // Still busy: it keeps running (no second grace, no hold).
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(start + MIN + 1 + 20 * MIN);
    expect(pacer.stats.graces).toBe(1);
    // The job finally ends: pacing resumes from where time is, up to the next due check.
    t.jobs = 0;
    t.schedule = [start + 30 * MIN];
    await pacer.tick();
    t.real += 60_000;
    expect(clock.now()).toBe(start + 30 * MIN + 1);
  });

  it('cannot deadlock on an unreadable pipeline either (Redis closing): time runs on after the grace', async () => {
    const { t, clock, pacer } = setup({ graceMs: 5_000 });
    t.failing = true;
    for (let i = 0; i < 7; i++) {
      await pacer.tick();
      t.real += 1_000;
    }
    expect(t.graces).toHaveLength(1);
    expect(t.graces[0]!.reason).toMatch(/pipeline unreadable/);
    expect(clock.now()).toBeGreaterThan(start);
  });

  it('cannot drag on either: holds shorter than the grace stop time for the budget in all, then pacing ends', async () => {
    const { t, clock, pacer } = setup({ graceMs: 10_000, budgetMs: 30_000 });
    // Every minute a check falls due and its evaluation takes 8 real seconds (a very slow machine).
    for (let minute = 1; minute <= 4; minute++) {
      t.schedule = [start + minute * MIN];
      t.jobs = 0;
      await pacer.tick();
      t.real += 1_000;
      t.jobs = 1;
      for (let s = 0; s < 8; s++) {
        await pacer.tick();
        t.real += 1_000;
      }
      t.jobs = 0;
      t.schedule = [start + (minute + 1) * MIN];
    }
    expect(pacer.stats.spent).toBe(true);
    expect(t.graces).toHaveLength(1);
    expect(t.graces[0]!.reason).toMatch(/^pacing budget spent/);
    expect(pacer.stats.stillMs).toBe(30_000);
    expect(pacer.stats.longestStillMs).toBeLessThan(10_000);
    // From now on nothing holds it, pending work or not.
    t.jobs = 1;
    const before = clock.now();
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(before + 10 * MIN);
  });

  it('stop() lets the clock run freely', async () => {
    const { t, clock, pacer } = setup();
    t.jobs = 1;
    await pacer.tick();
    t.real += 1_000;
    expect(clock.now()).toBe(start);
    await pacer.stop();
    t.real += 1_000;
    expect(clock.now()).toBe(start + 10 * MIN);
  });
});
