import { describe, expect, it } from 'vitest';

import { timelineLine } from '../../bench/backtest-data.js';
import { loadBuiltinConfig } from '../config/index.js';
import { connectors } from '../connectors.js';

import { byteBatches, runBacktest } from './run.js';
import { releaseBytes } from './engine-core.js';
import type { LineSource } from './run.js';
import { backtestSpec } from './setup.js';

// Batches carry back only the decisions the report can still keep (bench/README.md "Backtest"): the kept list must
// still be the first `keepDecisions` decisions in input order, and every count over all of them.

const lines = Array.from({ length: 40 }, (_, i) => timelineLine(i));
const source: LineSource = async function* () {
  yield* lines;
};
const config = loadBuiltinConfig(connectors);

async function report(keepDecisions: number, batchSize: number) {
  if (!config.ok) throw new Error('built-in config does not load');
  const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions });
  if (!spec.ok) throw new Error(spec.error);
  return (await runBacktest(source, spec.value, { workers: 0, batchSize })).report;
}

describe('runBacktest: decisions kept across batches', () => {
  it('reads ahead only once the kept decisions are full (a batch in flight carries up to all of them)', async () => {
    if (!config.ok) throw new Error('built-in config does not load');
    const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions: 30 });
    if (!spec.ok) throw new Error(spec.error);
    let read = 0;
    const counting: LineSource = async function* () {
      for (const l of lines) {
        read++;
        yield l;
      }
    };
    // Per merged batch of pass 2: lines read from the source beyond the lines merged.
    const ahead: number[] = [];
    await runBacktest(counting, spec.value, {
      workers: 0,
      batchSize: 2,
      onProgress: (p) => {
        if (p.phase === 'simulate') ahead.push(read - 40 - p.lines);
      },
    });
    // One thread: while decisions are kept, one batch at a time (nothing read ahead); then up to 2 more in flight.
    expect(ahead[0]).toBe(0);
    expect(Math.max(...ahead)).toBeGreaterThan(2);
  });

  it('keeps the first keepDecisions decisions in input order, whatever the batch size', async () => {
    const all = await report(100_000, 40);
    expect(all.decisionsTotal).toBeGreaterThan(10);
    expect(all.decisions).toHaveLength(all.decisionsTotal);
    for (const batchSize of [1, 3, 7]) {
      const few = await report(10, batchSize);
      expect(few.decisions, `batch size ${batchSize}`).toEqual(all.decisions.slice(0, 10));
      expect(few.decisionsTotal).toBe(all.decisionsTotal);
      expect(few.decisionsTruncated).toBe(true);
      expect({ ...few, decisions: [], decisionsTruncated: false }).toEqual({
        ...all,
        decisions: [],
        decisionsTruncated: false,
      });
    }
  });
});

describe('runBacktest: raw byte batches (file sources)', () => {
  const text = `${lines.slice(0, 20).join('\r\n')}\r\n\n${lines.slice(20).join('\n')}`; // CRLF, a blank line, no final newline
  const bytesOnly = (chunk: number, body = text): LineSource =>
    Object.assign(
      async function* () {
        throw new Error('the line reader must not be used when bytes are available');
      },
      {
        bytes: async function* () {
          const all = Buffer.from(body, 'utf8');
          for (let k = 0; k < all.length; k += chunk) yield all.subarray(k, k + chunk);
        },
      },
    );

  it('gives the same report as the line reader, whatever the chunk and batch sizes', async () => {
    if (!config.ok) throw new Error('built-in config does not load');
    const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions: 100_000 });
    if (!spec.ok) throw new Error(spec.error);
    const want = (await runBacktest(source, spec.value, { workers: 0, batchSize: 40 })).report;
    for (const [chunk, batchSize, maxBatchBytes] of [
      [7, 1, undefined],
      [1000, 3, undefined],
      [1 << 20, 256, undefined],
      [1 << 20, 256, 20_000],
      [4096, 256, 1],
    ] as const) {
      const options = { workers: 0, batchSize, ...(maxBatchBytes ? { maxBatchBytes } : {}) };
      const got = (await runBacktest(bytesOnly(chunk), spec.value, options)).report;
      expect(got, `chunk ${chunk}, batch ${batchSize}, at most ${maxBatchBytes} bytes`).toEqual(want);
    }
  });

  it('bounds a batch in bytes too: whole lines up to the bound, a longer line alone (bytes in flight stay bounded)', async () => {
    const long = lines[3]!.length;
    const text = `${lines.slice(0, 20).join('\n')}\n${'x'.repeat(3 * long)}\n${lines.slice(20).join('\n')}\n`;
    const source = async function* () {
      const all = Buffer.from(text, 'utf8');
      for (let k = 0; k < all.length; k += 65_536) yield all.subarray(k, k + 65_536);
    };
    const max = 2 * long + 100;
    const got: { firstLine: number; text: string; lines: number }[] = [];
    for await (const b of byteBatches(source, 256, max))
      got.push({ firstLine: b.firstLine, text: Buffer.from(b.bytes!).toString('utf8'), lines: b.lineCount! });
    expect(got.map((b) => b.text).join('')).toBe(text);
    let first = 1;
    for (const b of got) {
      const batchLines = b.text.split('\n').slice(0, -1);
      expect(b.firstLine).toBe(first);
      expect(b.lines).toBe(batchLines.length);
      expect(b.text.endsWith('\n')).toBe(true);
      // Over the bound only as a single line longer than it.
      if (Buffer.byteLength(b.text) > max) expect(batchLines).toHaveLength(1);
      first += b.lines;
    }
    expect(first).toBe(lines.length + 2);
    expect(got.length).toBeGreaterThan(10);
  });

  it('a worker frees a byte batch once it is done with it (its buffer is detached)', () => {
    const bytes = new Uint8Array(Buffer.from(`${lines[0]}\n`));
    const batch = { firstLine: 1, bytes, lineCount: 1 };
    releaseBytes(batch);
    expect(bytes.buffer.byteLength).toBe(0);
    releaseBytes(batch); // twice is harmless
    releaseBytes({ firstLine: 1, lines: ['x'] });
  });

  it('names the right line of a bad one, multi-byte characters cut across chunks included', async () => {
    if (!config.ok) throw new Error('built-in config does not load');
    const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions: 10 });
    if (!spec.ok) throw new Error(spec.error);
    const body = `${lines[0]!.replace('Reported by', 'Gemeldet von Jürgen – ☕ 🖨️')}\n${lines[1]}\n{"instance": "acme-cw"}\n`;
    for (const chunk of [3, 5, 64]) {
      await expect(
        runBacktest(bytesOnly(chunk, body), spec.value, { workers: 0, batchSize: 1 }),
        `chunk ${chunk}`,
      ).rejects.toThrow(/^line 3: /);
    }
  });

  it('names the first bad line, also when only the full parse of pass 2 refuses it (pass 1 reads a few fields)', async () => {
    if (!config.ok) throw new Error('built-in config does not load');
    const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions: 10 });
    if (!spec.ok) throw new Error(spec.error);
    // Line 2 has every field the index reads but no title; line 3 is not JSON.
    const noTitle = JSON.parse(lines[1]!) as { snapshots: { ticket: Record<string, unknown> }[] };
    for (const s of noTitle.snapshots) delete s.ticket.title;
    const body = `${lines[0]}\n${JSON.stringify(noTitle)}\n{\n`;
    await expect(runBacktest(bytesOnly(64, body), spec.value, { workers: 0, batchSize: 1 })).rejects.toThrow(
      /^line 2: snapshots\[0\]\.ticket\.title: /,
    );
  });
});
