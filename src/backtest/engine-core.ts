import { compilePolicy } from '../engine/index.js';
import type { CompileInput } from '../engine/index.js';

import { CrossTicketBuilder } from './cross-ticket.js';
import type { CrossTicketData } from './cross-ticket.js';
import { NOTE_SAMPLES, addDiff, addOutcome, newAccumulator, newDiff } from './report.js';
import type { Accumulator, DiffAccumulator } from './report.js';
import { simPolicy, simulateTimeline } from './simulate.js';
import type { SimPolicy } from './simulate.js';
import { parseIndexLine, parseTimelineLine } from './timeline.js';
import type { Timeline } from './timeline.js';

/**
 * The batch work of a backtest, the same in the main thread (small runs, tests) and in each worker thread: pass 1
 * indexes the cross-ticket counters, pass 2 simulates each ticket under the policy (and the compared one).
 * Inputs and outputs are plain data (structured-clone safe).
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

/** The batch's lines (a trailing newline ends the last line; it does not start another). */
function linesOf(batch: Batch): string[] {
  if (batch.lines) return batch.lines;
  const b = batch.bytes ?? new Uint8Array(0);
  const lines = Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
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

  constructor(private readonly spec: BacktestSpec) {
    this.sim = simPolicy(spec.instanceId, compilePolicy(spec.policy.input));
    if (spec.compare) this.other = simPolicy(spec.instanceId, compilePolicy(spec.compare.input));
  }

  private *timelines(batch: Batch): Generator<Timeline> {
    const lines = linesOf(batch);
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k]!;
      if (line.trim() === '') continue;
      const parsed = parseTimelineLine(line, batch.firstLine + k);
      if (!parsed.ok) throw new BatchError(parsed.error);
      // Timelines of other instances in a shared export are skipped (the policy and mapping are per instance).
      if (parsed.value.instance === this.spec.instanceId) yield parsed.value;
    }
  }

  /**
   * Pass 1: the cross-ticket index of this batch (the candidate policy's recurring windows and groups). Lines are read
   * by `parseIndexLine` (the index fields only); an invalid line is skipped here and reported by pass 2, which
   * validates every line in full before anything is simulated from it (so the first invalid line is the one named).
   */
  index(batch: Batch): { main: CrossTicketData; other?: CrossTicketData } {
    const a = new CrossTicketBuilder(this.sim.facts, this.sim.compiled.instance.members);
    const b = this.other ? new CrossTicketBuilder(this.other.facts, this.other.compiled.instance.members) : undefined;
    const lines = linesOf(batch);
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k]!;
      if (line.trim() === '') continue;
      const t = parseIndexLine(line, batch.firstLine + k);
      if (t === undefined || t.instance !== this.spec.instanceId) continue;
      a.add(t);
      b?.add(t);
    }
    return { main: a.build(), ...(b ? { other: b.build() } : {}) };
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
