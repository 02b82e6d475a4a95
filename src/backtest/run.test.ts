import { describe, expect, it } from 'vitest';

import { timelineLine } from '../../bench/backtest-data.js';
import { loadBuiltinConfig } from '../config/index.js';
import { connectors } from '../connectors.js';

import { runBacktest } from './run.js';
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
    for (const [chunk, batchSize] of [
      [7, 1],
      [1000, 3],
      [1 << 20, 256],
    ] as const) {
      const got = (await runBacktest(bytesOnly(chunk), spec.value, { workers: 0, batchSize })).report;
      expect(got, `chunk ${chunk}, batch ${batchSize}`).toEqual(want);
    }
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
