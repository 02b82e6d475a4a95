/**
 * Backtest throughput (issue 15): generates `--tickets` synthetic timelines (≈ 8 snapshots each, ConnectWise-shaped,
 * bench/backtest-data.ts) into a temporary JSONL file — not timed — then runs the real backtest over it (streaming
 * reader, two passes, worker threads, the example policy of the built-in config) and reports tickets/s, the CPU time
 * per ticket and the peak RSS of the process (main thread + workers: one process).
 *
 *   npx tsx bench/backtest.ts [--tickets 100000] [--workers N] [--json]
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

import { runBacktest } from '../src/backtest/run.js';
import { backtestSpec } from '../src/backtest/setup.js';
import { fileSource } from '../src/backtest/sources.js';
import { loadBuiltinConfig } from '../src/config/index.js';
import { connectors } from '../src/connectors.js';

import { timelineLine } from './backtest-data.js';

const { values } = parseArgs({ options: { tickets: { type: 'string', default: '100000' }, workers: { type: 'string' }, json: { type: 'boolean', default: false } } });
const tickets = Number(values.tickets);
const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);

const dir = await mkdtemp(join(tmpdir(), 'bench-backtest-'));
const file = join(dir, 'timelines.jsonl');
try {
  const out = createWriteStream(file);
  let snapshots = 0;
  for (let i = 0; i < tickets; i++) {
    const line = timelineLine(i);
    snapshots += (line.match(/"at":/g) ?? []).length;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  const bytes = (await stat(file)).size;

  const config = loadBuiltinConfig(connectors);
  if (!config.ok) throw new Error('built-in config does not load');
  const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions: 1_000 });
  if (!spec.ok) throw new Error(spec.error);

  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runBacktest(await fileSource(file), spec.value, { workers });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  const figures = {
    tickets: result.report.tickets,
    snapshotsPerTicket: Math.round((snapshots / tickets) * 10) / 10,
    inputMB: Math.round(bytes / 1e6),
    evaluations: result.report.evaluations,
    decisions: result.report.decisionsTotal,
    workers,
    seconds: Math.round(seconds * 10) / 10,
    ticketsPerSecond: Math.round(result.report.tickets / seconds),
    cpuMsPerTicket: Math.round(((cpu.user + cpu.system) / 1000 / result.report.tickets) * 1000) / 1000,
    peakRssMB: Math.round(peakRss / 1e6),
    loadAverage: loadavg()[0]!.toFixed(1),
  };
  if (values.json) console.log(JSON.stringify(figures));
  else {
    console.log(`backtest: ${figures.tickets} tickets (${figures.snapshotsPerTicket} snapshots each, ${figures.inputMB} MB), ${figures.evaluations} evaluations, ${figures.decisions} decisions`);
    console.log(`  ${figures.workers} workers: ${figures.seconds} s → ${figures.ticketsPerSecond} tickets/s (target ≥ 20,000: ${figures.ticketsPerSecond >= 20_000 ? 'met' : 'NOT met'})`);
    console.log(`  CPU ${figures.cpuMsPerTicket} ms per ticket (all threads); peak RSS ${figures.peakRssMB} MB (target < 300: ${figures.peakRssMB < 300 ? 'met' : 'NOT met'}); load average ${figures.loadAverage}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
