/**
 * The demo's accelerated clock: `scale` simulated milliseconds pass per real millisecond, starting at `start`.
 * The engine, the pipeline (scheduled checks) and the PSA sandboxes all read this one clock, so "T1 unresolved
 * after 2 business hours" really waits two simulated hours — a dozen real seconds at the default speed.
 */
export interface DemoClockOptions {
  /** The simulated instant the story starts at. */
  start: number;
  /** Simulated ms per real ms. @defaultValue 600 (one real second = ten minutes) */
  scale?: number;
  /** The real clock (tests). @defaultValue Date.now */
  real?: () => number;
}

export class DemoClock {
  private anchorReal: number;
  private anchorSim: number;
  private speed: number;
  private readonly real: () => number;
  readonly start: number;
  /** Simulated time does not pass this instant until it is moved on (`holdAt`; the demo's pacer). */
  private ceiling = Infinity;
  /** An instant the clock never reads: it reads the millisecond after instead (`holdAt`). */
  private skip = Number.NaN;

  constructor(options: DemoClockOptions) {
    this.real = options.real ?? Date.now;
    this.start = options.start;
    this.anchorReal = this.real();
    this.anchorSim = options.start;
    this.speed = options.scale ?? 600;
  }

  get scale(): number {
    return this.speed;
  }

  /** Simulated epoch ms. Bound, so it can be handed around as `now`. */
  readonly now = (): number => {
    const t = Math.min(this.ceiling, this.anchorSim + (this.real() - this.anchorReal) * this.speed);
    return t >= this.skip && t < this.skip + 1 ? this.skip + 1 : t;
  };

  /**
   * Lets simulated time run on from the current instant (no jump) but not past `simMs`: an instant already passed (or
   * -Infinity) stops the clock where it is, Infinity lets it run freely. Time never goes backwards. With `skip` (below
   * `simMs`), the clock never reads that instant: it goes from before it to the millisecond after.
   */
  holdAt(simMs: number, skip = Number.NaN): void {
    const now = this.now();
    this.anchorSim = now;
    this.anchorReal = this.real();
    this.ceiling = Math.max(simMs, now);
    this.skip = skip;
  }

  /** The instant simulated time may not pass (Infinity: none). */
  get heldAt(): number {
    return this.ceiling;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** The simulated instant `minutes` after the start. */
  at(minutes: number): number {
    return this.start + minutes * 60_000;
  }

  /** Simulated minutes since the start (for log prefixes). */
  elapsedMinutes(): number {
    return (this.now() - this.start) / 60_000;
  }

  /** Real milliseconds until the simulated instant `simMs` (0 when it has passed). */
  realDelayUntil(simMs: number): number {
    return Math.max(0, Math.ceil((simMs - this.now()) / this.speed));
  }

  /** Resolves once the simulated clock has reached `simMs` (it may be held on the way: looks again at least every 10 ms). */
  async waitUntil(simMs: number): Promise<void> {
    for (;;) {
      if (this.now() >= simMs) return;
      const ms = this.realDelayUntil(simMs);
      await new Promise((r) => setTimeout(r, Math.min(Math.max(ms, 10), 1_000)));
    }
  }

  /** Continues at `scale` from the current simulated instant (no jump): the demo settles to real time at the end. */
  setScale(scale: number): void {
    this.anchorSim = this.now();
    this.anchorReal = this.real();
    this.speed = scale;
  }
}
