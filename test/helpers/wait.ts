import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The one way tests wait: for an event, never for a fixed time. Every wait names what it awaited, so a timeout on a
 * loaded machine says which step never happened instead of "timed out".
 */

/** What was awaited: a given description, else the source text of the check (shortened). */
function describeWait(check: () => unknown, what?: string | (() => string)): string {
  if (typeof what === 'function') return what();
  if (what) return what;
  const src = check.toString().replace(/\s+/g, ' ').trim();
  return src.length > 160 ? `${src.slice(0, 157)}...` : src;
}

/**
 * Polls `check` until it returns a truthy value (or stops throwing with one) and returns it. On timeout the error
 * says what was awaited (`what`, a string or a function giving the current state; else the check's source) and the
 * last error seen.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  everyMs = 50,
  what?: string | (() => string),
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `waitFor timed out after ${timeoutMs} ms waiting for ${describeWait(check, what)}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A fixed pause, only where time itself is what the test needs to pass (a TTL, a timeout): never to await work. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Job states that mean work is still to be done (a delayed job is a debounce, a backoff or a parked wait). */
const PENDING = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * Waits until the pipeline has nothing left to do: its queues (events, tickets and, when given, control: sweeps,
 * registration checks, notifier retries) hold no waiting, active or delayed job (heartbeats aside: they prove
 * liveness, not work), seen twice in a row. An event job hands its ticket job over before it completes (and a run's
 * follow-up kick is queued as it finishes), so empty queues mean every accepted webhook was evaluated, every retry
 * ran and its writes were made: the point from which "nothing (more) happened" is a fact, not a guess.
 */
export async function waitForDrained(
  running: { queues: { events: Queue; tickets: Queue; control?: Queue } },
  timeoutMs = 30_000,
  what = "the pipeline's queues to drain",
  options: { delayed?: boolean } = {},
): Promise<void> {
  const queues = Object.values(running.queues);
  // `delayed: false`: jobs parked for later (a note's settle re-check after the PSA's commit delay) do not count.
  const states = options.delayed === false ? PENDING.filter((st) => st !== 'delayed') : [...PENDING];
  let state = '';
  let calm = 0;
  await waitFor(
    async () => {
      const jobs = (await Promise.all(queues.map((q) => q.getJobs(states))))
        .flat()
        .filter((j) => j && j.name !== 'heartbeat');
      state = jobs.map((j) => `${j.queueName}:${j.name}:${j.id}`).join(', ') || 'none';
      calm = jobs.length > 0 ? 0 : calm + 1;
      return calm >= 2;
    },
    timeoutMs,
    50,
    () => `${what} (still pending: ${state})`,
  );
}

/**
 * `waitForDrained` for a service in another process (a child `serve`, a killed worker's successor): opens the
 * pipeline's three queues on `redisUrl` (names and the `bull` prefix as src/pipeline/queues.ts and src/store/keys.ts
 * give them on a single Redis) and waits until they are empty.
 */
export async function waitForDrainedAt(redisUrl: string, timeoutMs = 30_000, what?: string): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queues = {
    events: new Queue('events', { connection }),
    tickets: new Queue('tickets', { connection }),
    control: new Queue('control', { connection }),
  };
  try {
    await waitForDrained({ queues }, timeoutMs, what);
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    connection.disconnect();
  }
}

/**
 * Waits until a counter (read by `read`, e.g. a fake PSA's request count or a worker's processed total) has moved past
 * `from` and returns its new value.
 */
export async function waitForAdvance(
  read: () => number | Promise<number>,
  from: number,
  timeoutMs = 20_000,
  what = 'the counter to advance',
): Promise<number> {
  return waitFor(
    async () => {
      const v = await read();
      return v > from ? v : 0;
    },
    timeoutMs,
    50,
    () => `${what} past ${from}`,
  );
}

/** Waits until the events and tickets queues hold no waiting, active or delayed job (one look each time). */
export async function waitForEventsAndTicketsEmpty(queues: { events: Queue; tickets: Queue }): Promise<void> {
  await waitFor(
    async () => {
      const counts = [
        await queues.events.getJobCounts('wait', 'active', 'delayed'),
        await queues.tickets.getJobCounts('wait', 'active', 'delayed'),
      ];
      return counts.every((c) => Object.values(c).every((n) => n === 0)) || undefined;
    },
    30_000,
    200,
    'the events and tickets queues to drain',
  );
}
