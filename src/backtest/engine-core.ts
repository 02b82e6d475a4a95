import { compilePolicy } from '../engine/index.js';
import type { CompileInput } from '../engine/index.js';

import { CrossTicketBuilder } from './cross-ticket.js';
import type { CrossTicketData, CrossTicketShard } from './cross-ticket.js';
import { NOTE_SAMPLES, addDiff, addOutcome, newAccumulator, newDiff } from './report.js';
import type { Accumulator, DiffAccumulator } from './report.js';
import { simPolicy, simulateTimeline } from './simulate.js';
import type { SimPolicy } from './simulate.js';
import { parseIndexLine, parseTimelineLine } from './timeline.js';
import type { Timeline } from './timeline.js';

/**
 * The batch work of a backtest, the same in the main thread (small runs, tests) and in each worker thread: pass 1
 * gathers this thread's share of the cross-ticket index, pass 2 simulates each ticket under the policy (and the
 * compared one). Inputs and outputs are plain data (structured-clone safe).
 */

export interface BacktestSpec {
  instanceId: string;
  policy: { name: string; input: CompileInput };
  compare?: { name: string; input: CompileInput };
  keepDecisions: number;
  /**
   * End of the backtest window (epoch ms): scheduled checks run until then. @defaultValue the latest snapshot of the
   * input (a file says nothing about the time after its last observation)
   */
  until?: number;
}

export interface Batch {
  /** 1-based line number of the first line. */
  firstLine: number;
  /** The lines, or … */
  lines?: string[];
  /** … their UTF-8 bytes, newline-separated (a file source: run.ts cuts batches at line ends). */
  bytes?: Uint8Array;
  /** Lines in `bytes`. */
  lineCount?: number;
}

/**
 * The batch's lines, one at a time with their 0-based index (a trailing newline ends the last line; it does not start
 * another). Byte batches are decoded a line at a time: short strings die young, where one string of the whole batch
 * (megabytes, in the old generation) would stay until a full collection.
 */
function* linesOf(batch: Batch): Generator<[string, number]> {
  if (batch.lines) {
    for (let k = 0; k < batch.lines.length; k++) yield [batch.lines[k]!, k];
    return;
  }
  const b = batch.bytes ?? new Uint8Array(0);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  let k = 0;
  for (let start = 0; start < buf.length; k++) {
    const nl = buf.indexOf(10, start);
    const end = nl < 0 ? buf.length : nl;
    yield [buf.toString('utf8', start, end), k];
    start = end + 1;
  }
}

/**
 * Frees a byte batch's memory now: its buffer arrived from the main thread and lived through the batch, long enough
 * for the collector to move its handle to the old generation, which would keep the bytes until the next full
 * collection (megabytes per batch, several batches per worker). Moving the bytes to a fresh handle that nothing
 * keeps (a transfer detaches the old one) lets the next minor collection free them.
 */
export function releaseBytes(batch: Batch): void {
  const buffer = batch.bytes?.buffer;
  if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) structuredClone(buffer, { transfer: [buffer] });
}

export class BatchError extends Error {}

/**
 * Whether the next ticket's note texts can reach the report: only while the batch still keeps decisions (the first
 * `keep`) or note samples. Once both are full, no later decision or note of the batch is kept, so their texts (the
 * costliest part of a decision to build) are not rendered — the counts, actions and ids stay the same.
 */
function showsTexts(acc: Accumulator, keep: number): boolean {
  return acc.decisions.length < keep || acc.noteSamples.length < NOTE_SAMPLES;
}

export class BacktestCore {
  private readonly sim: SimPolicy;
  private readonly other?: SimPolicy;
  /** Pass 1: this thread's share of the cross-ticket index (see `index`). */
  private ix?: CrossTicketBuilder | undefined;
  private otherIx?: CrossTicketBuilder | undefined;

  constructor(private readonly spec: BacktestSpec) {
    this.sim = simPolicy(spec.instanceId, compilePolicy(spec.policy.input));
    if (spec.compare) this.other = simPolicy(spec.instanceId, compilePolicy(spec.compare.input));
  }

  private *timelines(batch: Batch): Generator<Timeline> {
    for (const [line, k] of linesOf(batch)) {
      if (line.trim() === '') continue;
      const parsed = parseTimelineLine(line, batch.firstLine + k);
      if (!parsed.ok) throw new BatchError(parsed.error);
      // Timelines of other instances in a shared export are skipped (the policy and mapping are per instance).
      if (parsed.value.instance === this.spec.instanceId) yield parsed.value;
    }
  }

  /**
   * Pass 1: adds the batch to this thread's share of the cross-ticket index (of the policy, and of the candidate when
   * comparing), which `shard` hands over at the end of the pass — the main thread merges the shares once instead of
   * one result per batch. Lines are read by `parseIndexLine` (the index fields only); an invalid line is skipped here
   * and reported by pass 2, which validates every line in full before anything is simulated from it (so the first
   * invalid line is the one named).
   */
  index(batch: Batch): void {
    const a = (this.ix ??= new CrossTicketBuilder(this.sim.facts, this.sim.compiled.instance.members));
    const b = this.other
      ? (this.otherIx ??= new CrossTicketBuilder(this.other.facts, this.other.compiled.instance.members))
      : undefined;
    for (const [line, k] of linesOf(batch)) {
      if (line.trim() === '') continue;
      const t = parseIndexLine(line, batch.firstLine + k);
      if (t === undefined || t.instance !== this.spec.instanceId) continue;
      a.add(t);
      b?.add(t);
    }
    a.flush();
    b?.flush();
  }

  /** This thread's share of pass 1 (unsorted), and forgets it. */
  shard(): { main: CrossTicketShard; other?: CrossTicketShard } {
    const empty = (): CrossTicketShard => ({ recurring: {}, loads: {}, horizon: -Infinity });
    const main = this.ix?.shard() ?? empty();
    const other = this.other ? (this.otherIx?.shard() ?? empty()) : undefined;
    this.ix = undefined;
    this.otherIx = undefined;
    return { main, ...(other ? { other } : {}) };
  }

  /**
   * Pass 2: simulate every ticket of the batch. `keep` caps the decisions the batch result carries (the main thread
   * passes what it can still use: the report keeps the first `keepDecisions` in input order, so once those are in,
   * later batches send counts only and their results stay small to clone back from a worker).
   */
  simulate(
    batch: Batch,
    cross: { main: CrossTicketData; other?: CrossTicketData },
    keep = this.spec.keepDecisions,
  ): { main: Accumulator; other?: Accumulator; diff?: DiffAccumulator } {
    const main = newAccumulator();
    const other = this.other ? newAccumulator() : undefined;
    const diff = this.other ? newDiff() : undefined;
    for (const t of this.timelines(batch)) {
      const o = simulateTimeline(t, this.sim, cross.main, showsTexts(main, keep));
      addOutcome(main, o, keep);
      if (this.other && other && diff && cross.other) {
        const p = simulateTimeline(t, this.other, cross.other, showsTexts(other, keep));
        addOutcome(other, p, keep);
        addDiff(diff, o, p);
      }
    }
    return { main, ...(other ? { other } : {}), ...(diff ? { diff } : {}) };
  }
}
