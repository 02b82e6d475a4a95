/**
 * Backtest throughput (issue 15): generates `--tickets` synthetic timelines (≈ 8 snapshots each, ConnectWise-shaped,
 * bench/backtest-data.ts) into a temporary JSONL file — not timed — then runs the real backtest over it in a child
 * process per run (bench/backtest-child.ts: streaming reader, two passes, worker threads, the example policy of the
 * built-in config), compiled as shipped, and reports tickets/s, the CPU time per ticket (all threads) and the peak
 * RSS of that process (main thread + workers).
 *
 * `--baseline REF` builds the same child from a git commit (src/ and connectors/ of REF) and runs both on the same
 * file, taking turns (`--rounds`), so the two see the same neighbours; the report digests show whether they decide
 * the same.
 *
 *   npx tsx bench/backtest.ts [--tickets 100000] [--workers N] [--baseline REF] [--rounds 1] [--build compiled|tsx] [--json]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { timelineLine } from './backtest-data.js';
import { fmt } from './util.js';

const { values } = parseArgs({
  options: {
    tickets: { type: 'string', default: '100000' },
    workers: { type: 'string' },
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    build: { type: 'string', default: 'compiled' },
    json: { type: 'boolean', default: false },
  },
});
const tickets = Number(values.tickets);
const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
const root = fileURLToPath(new URL('..', import.meta.url));
const cache = `${root}node_modules/.cache`;
const tsc = `${root}node_modules/typescript/bin/tsc`;

interface Build {
  label: string;
  /** Node arguments that start bench/backtest-child for this build. */
  entry: string[];
}

/** Compiles a tree's src/, connectors/ and bench/backtest-child.ts as `npm run build` compiles src/ (≈ 15–60 s). */
function compile(tree: string, out: string): void {
  // Type errors (an older baseline against today's child) do not stop the emit; a missing output does.
  spawnSync(process.execPath, [tsc, '-p', `${tree}bench/tsconfig.backtest.json`, '--outDir', out], {
    cwd: tree,
    stdio: 'inherit',
  });
  if (!existsSync(`${out}/bench/backtest-child.js`)) throw new Error(`compiling ${tree} failed`);
  writeFileSync(`${out}/package.json`, '{ "type": "module" }\n');
}

function currentBuild(): Build {
  if (values.build === 'tsx')
    return { label: 'this tree (tsx)', entry: ['--import', 'tsx', `${root}bench/backtest-child.ts`] };
  // Inside node_modules so the compiled files resolve packages as dist/ does; one folder per checkout.
  const out = `${cache}/psa-escalator-backtest-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
  compile(root, out);
  return { label: 'this tree', entry: [`${out}/bench/backtest-child.js`] };
}

/** src/ and connectors/ of a commit, with today's child, compiled (kept in the cache: a commit does not change). */
function baselineBuild(ref: string): Build {
  const sha = execFileSync('git', ['rev-parse', '--short', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const tree = `${cache}/psa-escalator-backtest-base-${sha}/`;
  const out = `${tree}build`;
  if (!existsSync(`${out}/bench/backtest-child.js`)) {
    mkdirSync(`${tree}bench`, { recursive: true });
    const archive = execFileSync(
      'git',
      ['archive', sha, 'src', 'connectors', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
      { cwd: root, maxBuffer: 1 << 30 },
    );
    execFileSync('tar', ['-x', '-C', tree], { input: archive });
    for (const f of ['backtest-child.ts', 'tsconfig.backtest.json'])
      copyFileSync(`${root}bench/${f}`, `${tree}bench/${f}`);
    compile(tree, out);
  }
  return { label: `baseline ${sha}`, entry: [`${out}/bench/backtest-child.js`] };
}

interface Run {
  tickets: number;
  evaluations: number;
  decisions: number;
  seconds: number;
  cpuUs: number;
  peakRss: number;
  report: string;
}

async function runChild(build: Build, file: string): Promise<Run> {
  const child = spawn(process.execPath, [...build.entry, file, String(workers)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${build.label}: the backtest exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

async function writeTimelines(file: string): Promise<{ snapshots: number; bytes: number }> {
  const out = createWriteStream(file);
  let snapshots = 0;
  for (let i = 0; i < tickets; i++) {
    const line = timelineLine(i);
    snapshots += (line.match(/"at":/g) ?? []).length;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return { snapshots, bytes: (await stat(file)).size };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-backtest-'));
try {
  const file = join(dir, 'timelines.jsonl');
  const { snapshots, bytes } = await writeTimelines(file);
  const builds = [...(values.baseline ? [baselineBuild(values.baseline)] : []), currentBuild()];
  const runs = new Map<Build, Run[]>(builds.map((b) => [b, []]));
  const loads: number[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const b of builds) {
      runs.get(b)!.push(await runChild(b, file));
      loads.push(loadavg()[0]!);
    }
  }
  const figures = builds.flatMap((b) =>
    runs.get(b)!.map((x) => ({
      build: b.label,
      tickets: x.tickets,
      evaluations: x.evaluations,
      decisions: x.decisions,
      workers,
      seconds: Math.round(x.seconds * 10) / 10,
      ticketsPerSecond: Math.round(x.tickets / x.seconds),
      cpuMsPerTicket: Math.round((x.cpuUs / 1000 / x.tickets) * 1000) / 1000,
      peakRssMB: Math.round(x.peakRss / 1e6),
      report: x.report,
    })),
  );
  const loadAverage = `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  if (values.json)
    console.log(
      JSON.stringify({ snapshotsPerTicket: snapshots / tickets, inputMB: bytes / 1e6, loadAverage, runs: figures }),
    );
  else {
    console.log(
      `backtest: ${fmt(tickets)} tickets (${(snapshots / tickets).toFixed(1)} snapshots each, ${Math.round(bytes / 1e6)} MB), ${workers} workers; load average ${loadAverage}`,
    );
    for (const f of figures) {
      console.log(
        `  ${f.build.padEnd(20)} ${String(f.seconds).padStart(6)} s  ${fmt(f.ticketsPerSecond).padStart(6)} tickets/s (≥ 20,000: ${f.ticketsPerSecond >= 20_000 ? 'met' : 'NOT met'})` +
          `  CPU ${f.cpuMsPerTicket.toFixed(3)} ms/ticket  peak RSS ${f.peakRssMB} MB (< 300: ${f.peakRssMB < 300 ? 'met' : 'NOT met'})  ${fmt(f.evaluations)} evaluations, ${fmt(f.decisions)} decisions, report ${f.report}`,
      );
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
