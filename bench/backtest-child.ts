/**
 * One backtest run for bench/backtest.ts, in its own process (so its peak RSS is the backtest's alone, as the CLI's
 * would be): the real runner over a JSONL file with the built-in config's example policy (`acme-cw`). Prints one JSON
 * line: tickets, evaluations, decisions, wall seconds, CPU µs (user + system, all threads), peak RSS (VmHWM: main
 * thread and workers) and a digest of the report (to show two builds decide the same).
 *
 *   node <build>/bench/backtest-child.js FILE WORKERS
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { runBacktest } from '../src/backtest/run.js';
import { backtestSpec } from '../src/backtest/setup.js';
import { fileSource } from '../src/backtest/sources.js';
import { loadBuiltinConfig } from '../src/config/index.js';
import { connectors } from '../src/connectors.js';

const [file, workers] = process.argv.slice(2);
if (file === undefined || workers === undefined) throw new Error('usage: backtest-child FILE WORKERS');

/** Peak resident set of this process (Linux: the kernel's high-water mark), else the current one. */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage.rss();
}

const config = loadBuiltinConfig(connectors);
if (!config.ok) throw new Error('built-in config does not load');
const spec = backtestSpec({ config: config.value, instanceId: 'acme-cw', keepDecisions: 1_000 });
if (!spec.ok) throw new Error(spec.error);
let sampled = process.memoryUsage.rss();
const sampler = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 50);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await runBacktest(await fileSource(file), spec.value, { workers: Number(workers) });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
console.log(
  JSON.stringify({
    tickets: result.report.tickets,
    evaluations: result.report.evaluations,
    decisions: result.report.decisionsTotal,
    seconds,
    cpuUs: cpu.user + cpu.system,
    peakRss: Math.max(sampled, peakRss()),
    report: createHash('sha256').update(JSON.stringify(result.report)).digest('hex').slice(0, 16),
  }),
);
