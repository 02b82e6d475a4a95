import type { DueCheckActivity } from '../pipeline/schedule/loops.js';

import type { DemoClock } from './clock.js';

/** What the pacer watches of the running service (src/demo/run.ts builds it from the pipeline). */
export interface PacedPipeline {
  /** The due-check loop's activity (`RunningPipeline.dueChecks`). */
  dueChecks(): DueCheckActivity;
  /**
   * Jobs not finished yet (waiting, delayed, active, prioritized), of the events queue first and then of the tickets
   * queue: an event job adds its ticket job before it completes, so read in this order no job slips between the two.
   */
  pendingJobs(): Promise<number>;
  /** The earliest scheduled check's due instant; null when none is scheduled. */
  nextDue(): Promise<number | null>;
}

export interface PacerOptions {
  /**
   * Longest real time simulated time stands still waiting for the pipeline; then it runs on (logged through
   * `onGrace`) until the pipeline is next seen idle. @defaultValue 15_000
   */
  graceMs?: number;
  /**
   * Real time simulated time may stand still in all, over many short holds; once spent, pacing stops for good (logged
   * through `onGrace`), so a machine too slow for every evaluation cannot make the demo drag on. @defaultValue 45_000
   */
  budgetMs?: number;
  /** Real ms between two looks. @defaultValue 20 */
  everyMs?: number;
  /** The real clock (tests). @defaultValue Date.now */
  real?: () => number;
  /** Called when the grace (or the budget) ran out: the clock stood still `stillMs` of real time at `at` (simulated). */
  onGrace?: (info: { at: number; stillMs: number; reason: string }) => void;
}

/** What the pacer did (the demo prints it when a grace ran out; tests read it). */
export interface PacerStats {
  /** Looks that found due work pending and held simulated time. */
  busyLooks: number;
  /** Graces that ran out (simulated time then ran on with work pending), the budget's counted in. */
  graces: number;
  /** The budget is spent: the pacer no longer holds simulated time. */
  spent: boolean;
  /** Longest real time simulated time stood still. */
  longestStillMs: number;
  /** Real time simulated time stood still in all (the price of pacing). */
  stillMs: number;
}

/**
 * Keeps the accelerated demo (600×: one real second is ten simulated minutes) deterministic relative to its simulated
 * clock, however loaded the machine is. Simulated time runs on only while the pipeline is idle for due work: no
 * scheduled check due and unclaimed, no claim under way, no event or ticket job unfinished. While idle it runs up to
 * one millisecond past the next scheduled check (so the scheduler claims it at that instant, never at the due instant
 * itself, which the clock skips) and not past the story's next step (`storyAt`). So every decision is taken at the instant it falls due, one after the other in time order,
 * each seeing the moves of the ones before: what a backtest of the same timelines does
 * (test/integration/backtest-parity.test.ts, docs/backtest.md). Without it, two checks due a simulated minute apart
 * could be claimed in one scheduler poll on a busy machine and race for the same least-loaded member.
 *
 * It cannot deadlock: nothing the pacer waits for is allowed to stop time for good. When simulated time has stood
 * still for `graceMs` of real time (work that waits for the clock itself, a retry backoff, Redis errors), the clock
 * runs freely (reported through `onGrace`) until the pipeline is next seen idle; then pacing resumes. And all holds
 * together stop time for at most `budgetMs`: then pacing ends, so the demo takes at most that much longer.
 */
export class DemoPacer {
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** The story's next step: simulated time does not pass it while pacing. */
  private gate = Infinity;
  /** The grace ran out: the clock runs freely until the pipeline is seen idle. */
  private free = false;
  /** The simulated instant last seen and since when (real ms) it has not changed. */
  private stillAt = Number.NaN;
  private stillSince = 0;
  private readonly real: () => number;
  readonly stats: PacerStats = { busyLooks: 0, graces: 0, spent: false, longestStillMs: 0, stillMs: 0 };
  /** Real ms of the previous look. */
  private lastLook = Number.NaN;

  constructor(
    private readonly clock: DemoClock,
    private readonly pipeline: PacedPipeline,
    private readonly options: PacerOptions = {},
  ) {
    this.real = options.real ?? Date.now;
  }

  /** The story's next step is at `simMs`: simulated time waits there for it (`Infinity`: no more steps). */
  storyAt(simMs: number): void {
    this.gate = simMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops pacing and lets the clock run freely (the caller may hold it again). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.clock.holdAt(Infinity);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.tick();
      await new Promise((r) => setTimeout(r, this.options.everyMs ?? 20));
    }
  }

  /** One look: hold while due work is pending, else run on to the next scheduled check or story step. Never throws. */
  async tick(): Promise<void> {
    // Read before the probe: a step that ends during the probe leaves the gate where it was until the next look,
    // which then sees the work the step caused.
    const gate = this.gate;
    if (this.stats.spent) return;
    const probe = await this.probe();
    const now = this.clock.now();
    if (probe.idle) {
      this.free = false;
      // Up to the story's next step when it comes first, else one millisecond past the next check; the clock never
      // reads the check's due instant itself, so the scheduler claims it at the millisecond after, never at it (live
      // observes its own move at the evaluation instant, and a replay applies an observation made at the instant a
      // check falls due before that check).
      if (probe.next === null || gate < probe.next) this.clock.holdAt(gate);
      else this.clock.holdAt(probe.next + 1, probe.next);
    } else {
      this.stats.busyLooks++;
      if (!this.free) this.clock.holdAt(-Infinity);
    }
    this.watch(now, probe.reason);
  }

  /**
   * Bounds how long simulated time may stand still: past the grace it runs on until the pipeline is next idle; past
   * the budget (all holds together) it runs on for good.
   */
  private watch(now: number, reason: string): void {
    const real = this.real();
    if (now === this.stillAt && Number.isFinite(this.lastLook)) this.stats.stillMs += real - this.lastLook;
    this.lastLook = real;
    if (this.stats.stillMs >= (this.options.budgetMs ?? 45_000)) {
      this.stats.spent = true;
      this.stats.graces++;
      this.clock.holdAt(Infinity);
      this.options.onGrace?.({ at: now, stillMs: this.stats.stillMs, reason: `pacing budget spent (${reason})` });
      return;
    }
    if (now !== this.stillAt) {
      this.stillAt = now;
      this.stillSince = real;
      return;
    }
    const stillMs = real - this.stillSince;
    if (stillMs > this.stats.longestStillMs) this.stats.longestStillMs = stillMs;
    if (this.free || stillMs < (this.options.graceMs ?? 15_000)) return;
    this.free = true;
    this.stats.graces++;
    this.clock.holdAt(Infinity);
    this.options.onGrace?.({ at: now, stillMs, reason });
  }

  /**
   * Idle when, over the whole look, no claim was under way or made, no job was unfinished and no check was due. The
   * schedule is read after the queues: a job that finished before the queues were read has already stored its
   * ticket's next check.
   */
  private async probe(): Promise<{ idle: boolean; next: number | null; reason: string }> {
    try {
      const before = this.pipeline.dueChecks();
      const jobs = await this.pipeline.pendingJobs();
      const next = await this.pipeline.nextDue();
      const after = this.pipeline.dueChecks();
      const claiming = before.inFlight || after.inFlight || before.claims !== after.claims;
      const due = next !== null && next <= this.clock.now();
      const idle = !claiming && jobs === 0 && !due;
      let reason = 'idle';
      if (claiming) reason = 'scheduled checks being claimed';
      else if (jobs > 0) reason = `${jobs} job(s) unfinished`;
      else if (due) reason = 'a scheduled check due and not claimed yet';
      else if (this.clock.now() >= this.gate) reason = "waiting for the story's next step";
      return { idle, next, reason };
    } catch (e) {
      return { idle: false, next: null, reason: `pipeline unreadable (${(e as Error).message})` };
    }
  }
}
