/**
 * `npm run bench`: the engine and webhook-ack benches plus the idle RSS of a real `serve` process, each in its own
 * child process (so one bench's heap and JIT state never colour another's), then one summary table against the
 * docs/spec.md §8 targets. Always exits 0 when the benches ran: a missed target is a finding to report, not a crash.
 *
 *   npm run bench [-- --seconds 10]      (--seconds applies to every timed run)
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

import type { AckBenchResult } from './ack.js';
import type { LatencyResult } from './latency.js';
import type { RedisMemoryResult } from './redis-memory.js';
import { compileForBench, measureIdleRss } from './idle-rss.js';
import { JSON_PREFIX, arg, fmt } from './util.js';

interface EngineResult {
  best: number;
  median: number;
  wallRate: number;
}

/** Runs one bench script with `--json`, echoing its human-readable lines, and returns its JSON line. */
function runScript<T>(file: string, args: string[]): Promise<T> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    const text = b.toString();
    out += text;
    process.stdout.write(
      text
        .split('\n')
        .filter((l) => !l.startsWith(JSON_PREFIX))
        .join('\n'),
    );
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const json = out.split('\n').find((l) => l.startsWith(JSON_PREFIX));
      if (code !== 0 || !json) reject(new Error(`${file} exited with ${code}`));
      else resolve(JSON.parse(json.slice(JSON_PREFIX.length)) as T);
    });
  });
}

const seconds = arg('seconds', 10);
const mib = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;
const mark = (met: boolean): string => (met ? 'met' : 'NOT met');
/** How busy the (shared) machine was: the figures only mean something next to this. */
const machine = (): string => `${cpus().length} cores, 1-min load average ${loadavg()[0]!.toFixed(2)}`;

console.log(`machine: ${machine()}`);
console.log(`== engine (${Math.min(seconds, 5)} s)`);
const engine = await runScript<EngineResult>('./engine.ts', ['--seconds', String(Math.min(seconds, 5))]);
console.log(`\n== webhook ack (${seconds} s per run)`);
const ack = await runScript<AckBenchResult>('./ack.ts', ['--seconds', String(seconds)]);
console.log('\n== webhook → write-back latency');
const latency = await runScript<LatencyResult>('./latency.ts', []);
console.log('\n== Redis memory per ticket (10,000 tickets opened and closed, twice)');
const memory = await runScript<RedisMemoryResult>('./redis-memory.ts', ['--tickets', '10000']);
console.log('\n== idle RSS of `serve`');
compileForBench();
const rss = await measureIdleRss('compiled');
const rssTsx = await measureIdleRss('tsx');
console.log(
  `serve --role all, example config, external Redis, 5 s idle: ${rss.toFixed(0)} MB compiled (as shipped), ${rssTsx.toFixed(0)} MB through tsx`,
);

const rows: [string, string, string, string][] = [
  ['engine evaluations/s (one core, best round)', fmt(engine.best), '≥ 100,000', mark(engine.best >= 100_000)],
  ['engine evaluations/s (median round)', fmt(engine.median), '', ''],
  ['bare Fastify req/s', fmt(ack.bare.rps), '', ''],
  [
    '  reference: bare + one Redis SET',
    `${fmt(ack.bareRedis.rps)} (${((100 * ack.bareRedis.rps) / ack.bare.rps).toFixed(0)} %)`,
    '',
    '',
  ],
  [
    '  reference: bare + one BullMQ add',
    `${fmt(ack.bareBullmq.rps)} (${((100 * ack.bareBullmq.rps) / ack.bare.rps).toFixed(0)} %)`,
    '',
    '',
  ],
  ['webhook ack req/s (verify + durable enqueue)', fmt(ack.durable.rps), '', ''],
  ['ack ratio (webhook / bare + BullMQ add)', `${(100 * ack.ratio).toFixed(0)} %`, '≥ 75 %', mark(ack.ratio >= 0.75)],
  ['webhook server RSS after the load', `${ack.rssAfterMb.toFixed(0)} MB`, '< 150 MB', mark(ack.rssAfterMb < 150)],
  [`ack p99 at ${fmt(ack.fixedRate.rate)} req/s`, `${ack.fixedRate.p99} ms`, '< 25 ms', mark(ack.fixedRate.p99 < 25)],
  [
    'acknowledged events stored',
    `${fmt(ack.jobsStored)} / ${fmt(ack.acked)}`,
    'all',
    mark(ack.jobsStored >= ack.acked),
  ],
  [
    `webhook → write-back, median (PSA answering at once)`,
    `${latency.patch.p50} ms`,
    `≤ ${latency.debounceMs + 50} ms`,
    mark(latency.patch.p50 <= latency.debounceMs + 50),
  ],
  ['webhook → write-back, p95', `${latency.patch.p95} ms`, '', ''],
  ['Redis used_memory per open ticket', `${fmt(memory.perOpen)} B`, '', ''],
  ['Redis per 10,000 closed tickets, within retention.tickets', mib(memory.per10kClosedRetained), '', ''],
  ['  after retention.tickets (audit + metrics history left)', mib(memory.per10kClosedAfterTickets), '', ''],
  [
    '  after retention.audit too',
    mib(memory.per10kClosedAfterAll),
    '≈ 0 (bounded)',
    mark(memory.per10kClosedAfterAll < 0.1 * memory.per10kClosedRetained),
  ],
  ['idle RSS of serve (compiled, as shipped)', `${rss.toFixed(0)} MB`, '< 150 MB', mark(rss < 150)],
  ['idle RSS of serve (through tsx, dev)', `${rssTsx.toFixed(0)} MB`, '', ''],
];
const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...rows.map((r) => r[i]!.length), ['measure', 'value', 'target', ''][i]!.length),
);
const fmtRow = (r: readonly string[]) =>
  r.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
console.log(`\n== summary (${machine()})`);
console.log(fmtRow(['measure', 'value', 'target', '']));
for (const r of rows) console.log(fmtRow(r));
