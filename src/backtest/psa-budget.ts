import type { HttpRequest, RateLimit } from '../contract/index.js';

/**
 * The share of an instance's request budget a `--from-psa` read may spend (docs/backtest.md "--from-psa"): at most
 * `floor(share × requests)` PSA calls (at least 1) in any sliding window of `per` ms, waited for, never exceeded. Every
 * call it lets through is counted (`used`). `chain` is the service's shared limiter when one is reachable, so the
 * live service's budget sees these calls too.
 */
export class PsaBudget {
  readonly cap: number;
  used = 0;
  private readonly stamps: number[] = [];

  constructor(
    readonly limit: RateLimit,
    readonly share: number,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = {
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
    private readonly chain?: (req: HttpRequest) => Promise<() => void>,
  ) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`budget share must be in (0, 1], got ${share}`);
    this.cap = Math.max(1, Math.floor(limit.requests * share));
  }

  /** Waits until one more call fits the share, counts it; resolves with the release function. */
  acquire = async (req: HttpRequest): Promise<() => void> => {
    for (;;) {
      const now = this.clock.now();
      while (this.stamps.length > 0 && this.stamps[0]! <= now - this.limit.per) this.stamps.shift();
      if (this.stamps.length < this.cap) {
        this.stamps.push(now);
        this.used++;
        break;
      }
      await this.clock.sleep(Math.max(1, this.stamps[0]! + this.limit.per - now));
    }
    return this.chain ? this.chain(req) : () => undefined;
  };

  /** The most calls counted in any window of `per` ms so far (for the run's summary and tests). */
  get inWindow(): number {
    return this.stamps.length;
  }
}
