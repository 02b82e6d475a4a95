import { CHECK_LEASE_MS } from '../store/schedule-store.js';
import type { ScheduleStore } from '../store/schedule-store.js';

import type { DemoClock } from './clock.js';

/** What the pacer watches: the service's scheduled checks. */
export interface PacedService {
  schedule: Pick<ScheduleStore, 'entries'>;
}

/**
 * Keeps the demo deterministic relative to its simulated clock, however loaded the machine is: simulated time stops
 * just past the service's next scheduled check until that check has been claimed and evaluated (webhooks and the story
 * go on meanwhile). So every time-based decision is taken at the instant it falls due, one due instant after the other
 * in time order, each seeing the moves of the ones before — what a backtest of the same timelines does
 * (test/integration/backtest-parity.test.ts). Without it, two checks due a few simulated seconds apart could be
 * claimed in one scheduler poll on a busy machine and race for the same least-loaded member.
 */
export class DemoPacer {
  private stopped = false;
  private loop: Promise<void> | undefined;
  /**
   * Simulated instants the clock was held at → when (real ms). The scheduler claims a due check at such an instant by
   * pushing it `CHECK_LEASE_MS` later; a check scored `instant + lease` is claimed and not yet evaluated.
   */
  private readonly held = new Map<number, number>();

  constructor(
    private readonly clock: DemoClock,
    private readonly service: PacedService,
    private readonly options: { everyMs?: number; real?: () => number; claimTimeoutMs?: number } = {},
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops pacing and lets the clock run freely again. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.clock.holdAt(Infinity);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
      } catch {
        // Redis busy or closing: hold where we are and look again.
        this.freeze();
      }
      await new Promise((r) => setTimeout(r, this.options.everyMs ?? 5));
    }
  }

  private freeze(): void {
    this.clock.holdAt(-Infinity);
    this.remember(this.clock.now());
  }

  private remember(instant: number): void {
    const real = (this.options.real ?? Date.now)();
    if (!this.held.has(instant)) this.held.set(instant, real);
    // A claim whose job never ran (a failed evaluation waiting for its retry) must not stop the demo for good.
    for (const [i, at] of this.held) if (real - at > (this.options.claimTimeoutMs ?? 5_000)) this.held.delete(i);
  }

  /** One look: hold while a due check waits for its evaluation, else run on to just past the next scheduled check. */
  async tick(): Promise<void> {
    const entries = await this.service.schedule.entries();
    const now = this.clock.now();
    const pending = entries.some((e) => e.due <= now || this.held.has(e.due - CHECK_LEASE_MS));
    if (pending) return this.freeze();
    // Held one millisecond past the due instant: live always evaluates a check after it fell due, and its own move
    // (observed into the ticket's timeline at the evaluation instant) must come after the due check, as in a backtest,
    // which applies an observation made at the very instant a check is due before that check. The scheduler claims
    // it at the due instant or the one after.
    const due = entries[0]?.due ?? Infinity;
    this.clock.holdAt(due + 1);
    if (Number.isFinite(due)) {
      this.remember(due);
      this.remember(due + 1);
    }
  }
}
