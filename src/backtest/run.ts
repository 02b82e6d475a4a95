import { Worker } from 'node:worker_threads';

import { CrossTicketBuilder } from './cross-ticket.js';
import type { CrossTicketData, CrossTicketShard } from './cross-ticket.js';
import { BacktestCore, BatchError } from './engine-core.js';
import type { Batch, BacktestSpec } from './engine-core.js';
import { finishComparison, finishReport, mergeAccumulators, mergeDiff, newAccumulator, newDiff } from './report.js';
import type { Accumulator, BacktestResult, DiffAccumulator } from './report.js';
import { simPolicy } from './simulate.js';
import { compilePolicy } from '../engine/index.js';

/**
 * Runs a backtest over a re-openable stream of JSONL lines: pass 1 builds the cross-ticket index (recurring counts,
 * member loads), pass 2 simulates every ticket. Lines travel in batches to worker threads (one per core by default)
 * with a bounded number in flight, each batch bounded in lines and bytes, so memory does not grow with the input;
 * batch results are merged in input order, so the report is the same whatever the number of workers.
 *
 * Peak memory (bench/README.md "Backtest"): each worker keeps its share of the index through pass 1 and hands it
 * over once; the main thread builds the index into one SharedArrayBuffer that all workers read; a file's bytes reach
 * the workers with one copy into each batch's own buffer (moved, then freed by the worker as soon as it is done).
 */

export type LineSource = (() => AsyncIterable<string>) & {
  /**
   * The same input as raw UTF-8 chunks of any size (a file source has it): batches are then cut at line ends and their
   * bytes handed to the workers (transferred, not cloned), so the main thread neither decodes nor clones lines.
   * A chunk needs to stay valid only until the next one is asked for (a file source reuses one buffer): each batch
   * is copied out of it once, into a buffer of its own that is then transferred.
   */
  bytes?: () => AsyncIterable<Uint8Array>;
};

export interface Progress {
  phase: 'index' | 'simulate';
  /** Lines done in this phase. */
  lines: number;
  /** Lines in the input (known after pass 1). */
  total?: number;
}

export interface RunOptions {
  /** Worker threads; 0 runs in this thread (tests, small inputs). */
  workers: number;
  /** Lines per batch. @defaultValue 256 */
  batchSize?: number;
  /** Byte bound of a batch of a byte source (`byteBatches`). @defaultValue MAX_BATCH_BYTES */
  maxBatchBytes?: number;
  onProgress?: (p: Progress) => void;
}

export class BacktestInputError extends Error {}

/** The cross-ticket index and the accumulated results, of the policy and (`other`) of the candidate when comparing. */
type Cross = { main: CrossTicketData; other?: CrossTicketData };
type Shard = { main: CrossTicketShard; other?: CrossTicketShard };
type Accumulated = { main: Accumulator; other?: Accumulator; diff?: DiffAccumulator };

interface Runner {
  /** Pass 1: a batch into the index share of the thread that takes it. */
  index(batch: Batch): Promise<void>;
  /** End of pass 1: every thread's share. */
  shards(): Promise<Shard[]>;
  setCross(cross: Cross): Promise<void>;
  simulate(batch: Batch, keep: number): Promise<Accumulated>;
  capacity: number;
  close(): Promise<void>;
}

function inThread(spec: BacktestSpec): Runner {
  const core = new BacktestCore(spec);
  let cross: { main: CrossTicketData; other?: CrossTicketData } | undefined;
  // Yield between batches so a backtest in the API process never starves the event loop.
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return {
    capacity: 1,
    index: async (b) => {
      await tick();
      core.index(b);
    },
    shards: async () => [core.shard()],
    setCross: async (c) => {
      cross = c;
    },
    simulate: async (b, keep) => {
      await tick();
      return core.simulate(b, cross!, keep);
    },
    close: async () => {},
  };
}

/**
 * A worker thread running worker.ts: the compiled .js next to this file, or — when this module runs from its .ts
 * source (tsx in development and tests) — the .ts through tsx's loader, registered inside the worker.
 */
function startWorker(spec: BacktestSpec): Worker {
  // A worker holds one batch and the cross-ticket index at a time: a small heap keeps the process RSS bounded.
  const resourceLimits = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: spec, resourceLimits });
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(boot, { eval: true, workerData: spec, resourceLimits });
}

function workerPool(spec: BacktestSpec, n: number): Runner {
  const workers = Array.from({ length: n }, () => startWorker(spec));
  const busy = workers.map(() => 0);
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  let failed: Error | undefined;
  for (const w of workers) {
    w.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const p = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new BatchError(m.error));
    });
    w.on('error', (e) => {
      failed = e;
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
  }
  const send = <T>(k: number, msg: Record<string, unknown>): Promise<T> => {
    if (failed) return Promise.reject(failed);
    const id = next++;
    busy[k]!++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // A byte batch is moved, not copied: the main thread does not use it again.
      const bytes = (msg.batch as Batch | undefined)?.bytes;
      workers[k]!.postMessage({ id, ...msg }, bytes ? [bytes.buffer as ArrayBuffer] : []);
    }).finally(() => busy[k]!--);
  };
  const idlest = () => busy.indexOf(Math.min(...busy));
  return {
    capacity: n,
    index: (batch) => send(idlest(), { kind: 'index', batch }),
    shards: () => Promise.all(workers.map((_, k) => send<Shard>(k, { kind: 'shard' }))),
    setCross: async (cross) => {
      await Promise.all(workers.map((_, k) => send(k, { kind: 'cross', cross })));
    },
    simulate: (batch, keep) => send(idlest(), { kind: 'simulate', batch, keep }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Batches of about `batchSize` lines from a line source. */
async function* lineBatches(source: () => AsyncIterable<string>, batchSize: number): AsyncGenerator<Batch> {
  let lines: string[] = [];
  let first = 1;
  for await (const line of source()) {
    lines.push(line);
    if (lines.length >= batchSize) {
      yield { firstLine: first, lines };
      first += lines.length;
      lines = [];
    }
  }
  if (lines.length > 0) yield { firstLine: first, lines };
}

/** Newlines in `b` (Buffer's indexOf is a memchr; a typed array's is a loop). */
function countLines(b: Uint8Array): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let k = buf.indexOf(10); k >= 0; k = buf.indexOf(10, k + 1)) n++;
  return n;
}

/** Upper bound of one byte batch (a longer single line is a batch of its own). @defaultValue 4 MiB */
export const MAX_BATCH_BYTES = 4 << 20;

/**
 * Line-aligned batches from raw chunks: each holds at least `batchSize` lines (up to a chunk more) unless `maxBytes`
 * comes first — then as many whole lines as fit in `maxBytes`, or one longer line alone — so the bytes a batch holds,
 * and with a bounded number in flight the bytes the runner holds, stay bounded whatever the lines' lengths. Cuts are
 * after a newline: a UTF-8 sequence never contains the newline byte, so no character is split.
 *
 * Chunks are copied into one reused buffer (a source may reuse its chunk buffer once the next one is asked for) and
 * each batch leaves it as an exact-size copy of its own, transferable to a worker: the only memory this allocates per
 * batch is the batch itself, so the main thread holds no garbage buffers waiting for its collector.
 */
export async function* byteBatches(
  bytes: () => AsyncIterable<Uint8Array>,
  batchSize: number,
  maxBytes = MAX_BATCH_BYTES,
): AsyncGenerator<Batch> {
  let held = new Uint8Array(Math.min(maxBytes, 1 << 20) + (256 << 10));
  let size = 0;
  let count = 0;
  let first = 1;
  /** The first `cut` bytes as a batch of its own; the rest moves to the front. */
  const take = (cut: number, all = false): Batch => {
    const body = held.slice(0, cut);
    // Cut after the last newline held: the batch has every counted line.
    const lines = all ? count : countLines(body);
    held.copyWithin(0, cut, size);
    size -= cut;
    count -= lines;
    const batch = { firstLine: first, bytes: body, lineCount: lines };
    first += lines;
    return batch;
  };
  for await (const chunk of bytes()) {
    if (size + chunk.length > held.length) {
      const bigger = new Uint8Array(Math.max(held.length * 2, size + chunk.length));
      bigger.set(held.subarray(0, size));
      held = bigger;
    }
    held.set(chunk, size);
    size += chunk.length;
    count += countLines(chunk);
    // Ends with no whole line held, or with fewer than batchSize lines within maxBytes: nothing over the bound is
    // left for after the last chunk.
    while (count > 0) {
      if (size > maxBytes) {
        // Whole lines up to maxBytes, or the first line alone when it is longer.
        const within = held.lastIndexOf(10, maxBytes - 1);
        yield take((within >= 0 ? within : held.indexOf(10)) + 1);
      } else if (count >= batchSize) yield take(held.lastIndexOf(10, size - 1) + 1, true);
      else break;
    }
  }
  // The last line without a final newline is a line too (as readline reads it).
  if (size > 0) {
    const body = held.slice(0, size);
    yield { firstLine: first, bytes: body, lineCount: count + (body[size - 1] === 10 ? 0 : 1) };
  }
}

export function linesInBatch(b: Batch): number {
  return b.lines ? b.lines.length : (b.lineCount ?? 0);
}

/**
 * Reads batches and runs `work` on each with at most `limit()` in flight (asked after each batch is sent); `take` gets
 * the results in input order.
 */
async function pipeline<T>(
  source: LineSource,
  { batchSize, maxBatchBytes }: { batchSize: number; maxBatchBytes?: number },
  limit: () => number,
  work: (b: Batch) => Promise<T>,
  take: (r: T, lines: number) => void,
): Promise<number> {
  const inflight: { p: Promise<T>; lines: number }[] = [];
  let lineNo = 0;
  const drainOne = async () => {
    const head = inflight.shift()!;
    take(await head.p, head.lines);
  };
  try {
    for await (const batch of source.bytes
      ? byteBatches(source.bytes, batchSize, maxBatchBytes)
      : lineBatches(source, batchSize)) {
      const n = linesInBatch(batch);
      lineNo += n;
      const p = work(batch);
      p.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
      inflight.push({ p, lines: n });
      while (inflight.length >= limit()) await drainOne();
    }
    while (inflight.length > 0) await drainOne();
  } catch (e) {
    // Let the batches already sent settle before the workers are closed.
    await Promise.allSettled(inflight.map((x) => x.p));
    throw e;
  }
  return lineNo;
}

function crossBuilder(spec: BacktestSpec, which: 'policy' | 'compare'): CrossTicketBuilder {
  const sim = simPolicy(spec.instanceId, compilePolicy(which === 'policy' ? spec.policy.input : spec.compare!.input));
  return new CrossTicketBuilder(sim.facts, sim.compiled.instance.members);
}

export async function runBacktest(
  source: LineSource,
  spec: BacktestSpec,
  options: RunOptions,
): Promise<BacktestResult> {
  const runner = options.workers > 0 ? workerPool(spec, options.workers) : inThread(spec);
  const passes: Passes = {
    source,
    spec,
    options,
    runner,
    batchSize: options.batchSize ?? 256,
    ...(options.maxBatchBytes !== undefined ? { maxBatchBytes: options.maxBatchBytes } : {}),
    limit: runner.capacity * 2 + 1,
  };
  try {
    const { cross, total } = await indexPass(passes);
    await runner.setCross(cross);
    return finishResult(spec, await simulatePass(passes, total));
  } finally {
    await runner.close();
  }
}

/** What both passes share: the input, the spec, the runner and how many batches may be in flight. */
interface Passes {
  source: LineSource;
  spec: BacktestSpec;
  options: RunOptions;
  runner: Runner;
  batchSize: number;
  maxBatchBytes?: number;
  /** Batches in flight (sent and not merged yet): with bounded batches, the bytes held in flight are bounded too. */
  limit: number;
}

/** Pass 1: the cross-ticket index (of the policy, and of the candidate when comparing) and the input's line count. */
async function indexPass(ps: Passes): Promise<{ cross: Cross; total: number }> {
  const { spec, options } = ps;
  const mainIx = crossBuilder(spec, 'policy');
  const otherIx = spec.compare ? crossBuilder(spec, 'compare') : undefined;
  let done = 0;
  const total = await pipeline(
    ps.source,
    ps,
    () => ps.limit,
    (b) => ps.runner.index(b),
    (_, n) => {
      done += n;
      options.onProgress?.({ phase: 'index', lines: done });
    },
  ).catch(rethrowInput);
  for (const shard of await ps.runner.shards()) {
    mainIx.merge(shard.main);
    if (shard.other) otherIx?.merge(shard.other);
  }
  const until = spec.until ?? -Infinity;
  const widen = (c: CrossTicketData): CrossTicketData => ({ ...c, horizon: Math.max(c.horizon, until) });
  const cross = { main: widen(mainIx.build()), ...(otherIx ? { other: widen(otherIx.build()) } : {}) };
  return { cross, total };
}

/** Pass 2: every ticket simulated and accumulated in input order (and diffed against the candidate when comparing). */
async function simulatePass(ps: Passes, total: number): Promise<Accumulated> {
  const { spec, options } = ps;
  const main = newAccumulator();
  const other = spec.compare ? newAccumulator() : undefined;
  const diff = spec.compare ? newDiff() : undefined;
  let done = 0;
  // Decisions a batch can still contribute: the report keeps the first keepDecisions in input order, and batches in
  // flight can only add to what is merged already, so this bound never drops one the report would keep.
  const keep = () =>
    Math.max(spec.keepDecisions - main.decisions.length, other ? spec.keepDecisions - other.decisions.length : 0);
  // While decisions are still kept, every batch in flight carries up to `keep()` of them (with their texts, ≈ 1 kB
  // each), most of which the report drops once an earlier batch fills the list: one batch per thread until then.
  const limit = () => (keep() > 0 ? ps.runner.capacity : ps.limit);
  await pipeline(
    ps.source,
    ps,
    limit,
    (b) => ps.runner.simulate(b, keep()),
    (r, n) => {
      mergeAccumulators(main, r.main, spec.keepDecisions);
      if (other && r.other) mergeAccumulators(other, r.other, spec.keepDecisions);
      if (diff && r.diff) mergeDiff(diff, r.diff);
      done += n;
      options.onProgress?.({ phase: 'simulate', lines: done, total });
    },
  ).catch(rethrowInput);
  return { main, other, diff };
}

/** The policy's report, and with `compare` the candidate's report and the comparison of both. */
function finishResult(spec: BacktestSpec, { main, other, diff }: Accumulated): BacktestResult {
  const report = finishReport(main, {
    instanceId: spec.instanceId,
    policy: spec.policy.name,
    keepDecisions: spec.keepDecisions,
  });
  if (!spec.compare || !other || !diff) return { report };
  const candidate = finishReport(other, {
    instanceId: spec.instanceId,
    policy: spec.compare.name,
    keepDecisions: spec.keepDecisions,
  });
  return { report, compare: { report: candidate, comparison: finishComparison(report, candidate, diff) } };
}

function rethrowInput(e: unknown): never {
  if (e instanceof BatchError) throw new BacktestInputError(e.message);
  throw e;
}
