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
      expect({ ...few, decisions: [], decisionsTruncated: false }).toEqual({ ...all, decisions: [], decisionsTruncated: false });
    }
  });
});
