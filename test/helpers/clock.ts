import { waitFor } from './wait.js';

/**
 * An injectable clock for the pipeline (`now`) that also tells when a named loop of the service read it: each tick of
 * a timer-driven loop (`dueChecks` of the scheduled checks, `flush` of the quiet hours) reads the clock once, so
 * "the loop ran twice since the clock moved" is an event a test can await instead of sleeping for a few intervals.
 */
export interface TestClock {
  /** The clock to inject; reads by a watched loop are counted (by the loop function's name on the stack). */
  now: () => number;
  /** Reads of the clock by `loop` so far. */
  ticks(loop: string): number;
  /**
   * Waits until `loop` read the clock `n` more times (default 2): the tick before the last one ran to its end after this
   * call (a loop starts its next tick only when the previous one finished).
   */
  waitTicks(loop: string, what: string, n?: number): Promise<void>;
}

/** Wraps the test's clock `read` (e.g. `() => clock` over a `let clock` the test moves) and watches `loops`. */
export function watchClock(read: () => number, loops: readonly string[]): TestClock {
  const counts = new Map(loops.map((l) => [l, 0]));
  const patterns = loops.map((l) => [l, new RegExp(`\\b${l}\\b`)] as const);
  const clock: TestClock = {
    now: () => {
      const stack = new Error().stack ?? '';
      for (const [l, re] of patterns) if (re.test(stack)) counts.set(l, (counts.get(l) ?? 0) + 1);
      return read();
    },
    ticks: (loop) => counts.get(loop) ?? 0,
    waitTicks: async (loop, what, n = 2) => {
      if (!counts.has(loop)) throw new Error(`the test clock does not watch ${loop}`);
      const from = clock.ticks(loop);
      await waitFor(() => clock.ticks(loop) >= from + n, 30_000, 20, `${n} ticks of the ${loop} loop (${what})`);
    },
  };
  return clock;
}
