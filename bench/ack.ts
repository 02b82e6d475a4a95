/**
 * Webhook acknowledgement, side by side in one run on this machine (docs/spec.md §8):
 *   (a) a bare Fastify route that parses JSON and answers 202, and two reference rows: the bare route plus ONE Redis
 *       `SET … NX PX`, and the bare route plus ONE BullMQ `add` with deduplication;
 *   (b) our real `POST /webhooks/globex-at` (Autotask connector: X-Hook-Signature HMAC-SHA1 over the raw bytes,
 *       parse, dedupe + durable BullMQ enqueue) on a private redis-server with AOF everysec, role `api`.
 * Every request is a unique, correctly signed Autotask delivery (its own SequenceNumber, so nothing is deduped);
 * every target receives the same bodies and headers. Targets: (b) ≥ 75 % of the "bare + one BullMQ add" row's req/s,
 * RSS of (b) after the load < 150 MB, and p99 < 25 ms for (b) at a fixed 1,000 req/s. Each server runs in its own
 * process (bench/ack-target.ts), compiled as shipped (`--build tsx` runs them through tsx instead); autocannon runs
 * here.
 *
 *   npx tsx bench/ack.ts [--seconds 10] [--rounds 4] [--warmup 5] [--connections 32] [--rate 1000] [--log-level info] [--build compiled|tsx] [--json]
 *
 * `--log-level` sets the real service's LOG_LEVEL (default info, as deployed) to see what request logging costs.
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each target process into <dir>.
 * `BENCH_NODE_FLAGS="--flag …"` sets the Node flags of every target process (default: the image's
 * `--max-semi-space-size=8`); `BENCH_COMPARE_FLAGS="--flag …"` adds a second
 * real-route process started with those flags, taking its turn in the same rounds (to compare flags in one run).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import { Queue } from 'bullmq';

import { signAutotaskBody } from '../connectors/autotask/webhook.js';
import { startRedis } from '../test/helpers/redis.js';

import { rssMb } from './idle-rss.js';
import { arg, flag, fmt, printJson } from './util.js';

const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 32);
const RATE = arg('rate', 1000);
/** Before the measured rounds (the JIT keeps optimising the real route for several seconds). */
const WARMUP_SECONDS = arg('warmup', 5);
/** The real route and the "bare + one BullMQ add" reference take turns this many times (each turn seconds / rounds). */
const ROUNDS = Math.max(1, arg('rounds', 4));
export const SECRET = 'bench-webhook-secret-0123456789abcdef';
const INSTANCE = 'globex-at';
const i = process.argv.indexOf('--log-level');
const LOG_LEVEL = i > 0 ? (process.argv[i + 1] ?? 'info') : 'info';
const b = process.argv.indexOf('--build');
const BUILD: 'compiled' | 'tsx' = b > 0 && process.argv[b + 1] === 'tsx' ? 'tsx' : 'compiled';
/** Node flags of every target: by default the image's (Dockerfile `NODE_OPTIONS`); `BENCH_NODE_FLAGS=""` for none. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=8').split(/\s+/).filter(Boolean);
/** `BENCH_COMPARE_FLAGS="--flag …"`: a second real-route process with these Node flags takes turns with the others. */
const COMPARE_FLAGS = (process.env.BENCH_COMPARE_FLAGS ?? '').split(/\s+/).filter(Boolean);

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * Inside node_modules so the compiled files resolve packages as dist/ does, and git never sees them; one folder per
 * checkout (node_modules may be shared by several worktrees).
 */
const buildDir = `node_modules/.cache/psa-escalator-ack-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;

/** Compiles src/, connectors/ and the target script as `npm run build` compiles src/ (≈ 15 s; dist/ is left alone). */
export function compileTargets(): void {
  execFileSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'bench/tsconfig.ack.json', '--outDir', buildDir],
    { cwd: root, stdio: 'inherit' },
  );
  // As `npm run build` does (scripts/copy-console-assets.mjs): the console's static files next to its compiled code.
  cpSync(`${root}src/http/console/assets`, `${root}${buildDir}/src/http/console/assets`, { recursive: true });
}

export interface Target {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/ack-target.ts in its own Node process and waits for its `READY <url>` line. */
export async function startTarget(
  args: string[],
  extraFlags: string[] = [],
  at?: { cwd: string; entry: string },
): Promise<Target> {
  const entry = at
    ? [at.entry]
    : BUILD === 'tsx'
      ? ['--import', 'tsx', 'bench/ack-target.ts']
      : [`${buildDir}/bench/ack-target.js`];
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each target (open it in Chrome DevTools or speedscope).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...NODE_FLAGS, ...extraFlags, ...prof, ...entry, ...args], {
    cwd: at?.cwd ?? root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`target ${args[0]} did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`target ${args[0]} exited with ${code}: ${out}`));
    });
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { url, child, stop };
}

// A unique delivery per request: ticket ids cycle over 5,000 tickets, the sequence number never repeats.
let sequence = 0;
const eventTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
export function mint(): { body: string; signature: string } {
  sequence++;
  const body = JSON.stringify({
    Action: 'Update',
    Guid: 'a1da62a4-2c49-40a8-8183-69994ce5b3eb',
    EntityType: 'Ticket',
    Id: 351_000 + (sequence % 5_000),
    Fields: { Title: 'Printer \u0026 scanner down', Status: '8' },
    EventTime: eventTime,
    SequenceNumber: sequence,
    PersonID: 30691780,
  });
  return { body, signature: signAutotaskBody(body, SECRET) };
}

export interface LoadResult {
  /** 2xx responses per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  /** Seconds measured. */
  duration: number;
  /**
   * CPU time (user + system) the server process spent per 2xx, µs: unlike req/s, barely affected by what else runs on
   * the machine (only the time slices we get are counted).
   */
  cpuUsPerAck?: number;
}

/** utime + stime of a process in µs (Linux /proc; clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** `load` plus the server's CPU time per acknowledgement. */
/** 202s of the unmeasured turn warm-ups, per target URL (Redis must hold a job for these too). */
const turnWarmupAcks = new Map<string, number>();
/**
 * Seconds of load, unmeasured, at the start of each turn: a server that sat idle while the other took its turn may
 * be slower at first (in one four-round run without this, rounds of 61, 94, 51, 93 % as the order alternated, the
 * high ones where our route kept its turn from the round before; not every run shows it, bench/README.md).
 */
const TURN_WARMUP_SECONDS = 1;

async function loadWithCpu(target: Target, seconds: number): Promise<LoadResult> {
  const warm = await load(target.url, TURN_WARMUP_SECONDS);
  turnWarmupAcks.set(target.url, (turnWarmupAcks.get(target.url) ?? 0) + warm.ok);
  const before = cpuUs(target.child.pid!);
  const r = await load(target.url, seconds);
  return { ...r, cpuUsPerAck: (cpuUs(target.child.pid!) - before) / Math.max(1, r.ok) };
}

/** Several slices of one target as one result: req/s over the summed time, the median p50 and the worst p99. */
function combine(slices: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => slices.reduce((a, r) => a + f(r), 0);
  const p50s = slices.map((r) => r.p50).sort((a, b) => a - b);
  return {
    rps: sum((r) => r.ok) / sum((r) => r.duration),
    p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
    p99: Math.max(...slices.map((r) => r.p99)),
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    duration: sum((r) => r.duration),
    cpuUsPerAck:
      sum((r) => (r.cpuUsPerAck ?? 0) * r.ok) /
      Math.max(
        1,
        sum((r) => r.ok),
      ),
  };
}

/**
 * One signed delivery at a time until the first 202: the first acknowledgement after start-up is slow (connection and
 * BullMQ script set-up, seconds on a loaded machine), and a burst of 32 into it would time out rather than measure.
 */
export async function prime(url: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const { body, signature } = mint();
    const res = await fetch(`${url}/webhooks/${INSTANCE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hook-signature': signature },
      body,
    });
    if (res.status === 202) return Date.now() - started;
  }
  throw new Error(`${url} never answered 202`);
}

export async function load(url: string, seconds: number, overallRate?: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/webhooks/${INSTANCE}`,
    method: 'POST',
    connections: overallRate ? 16 : CONNECTIONS,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const { body, signature } = mint();
          return { ...req, body, headers: { 'content-type': 'application/json', 'x-hook-signature': signature } };
        },
      },
    ],
  });
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    failed: result.non2xx + result.errors + result.timeouts,
    duration: result.duration,
  };
}

export interface AckBenchResult {
  bare: LoadResult;
  /** Reference: the bare route plus one Redis `SET … NX PX` per request. */
  bareRedis: LoadResult;
  /** Reference: the bare route plus one BullMQ `add` with deduplication per request. */
  bareBullmq: LoadResult;
  durable: LoadResult;
  fixedRate: LoadResult & { rate: number };
  /** Our webhook's req/s over the "bare + one BullMQ add" reference row's (target ≥ 0.75), over all rounds. */
  ratio: number;
  /** The same ratio per round (the two took turns: each round's pair saw about the same machine load). */
  ratioRounds: number[];
  /** Our webhook's req/s over the bare route's. */
  ratioBare: number;
  /** VmRSS of the real service's process after the load, MB (target < 150). */
  rssAfterMb: number;
  build: 'compiled' | 'tsx';
  /** With BENCH_COMPARE_FLAGS: the same real route in a process started with those Node flags, same rounds. */
  flagged?: { flags: string[]; durable: LoadResult; fixedRate: LoadResult; ratio: number; rssAfterMb: number };
  /**
   * Jobs found in Redis after the runs vs. 202s counted: every acknowledged event must be stored (jobs may exceed the
   * count: requests still in flight when a run's clock stops are stored but their 202 is not counted).
   */
  jobsStored: number;
  acked: number;
}

const line = (name: string, r: LoadResult): string =>
  `${name.padEnd(34)} ${fmt(r.rps).padStart(8)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(3)} ms   (${fmt(r.ok)} × 202, ${r.failed} failed)${r.cpuUsPerAck === undefined ? '' : `   server CPU ${fmt(r.cpuUsPerAck)} µs/202`}`;

export async function runAckBench(): Promise<AckBenchResult> {
  if (BUILD === 'compiled') compileTargets();
  // No AOF rewrite (a fork) in the middle of a run: the stored jobs would trigger one sooner or later.
  const redis = await startRedis({ appendfsync: 'everysec', extraArgs: ['--auto-aof-rewrite-percentage', '0'] });
  const targets: Target[] = [];
  try {
    const measure = async (args: string[], name: string): Promise<LoadResult> => {
      const t = await startTarget(args);
      targets.push(t);
      await load(t.url, WARMUP_SECONDS);
      const r = await load(t.url, SECONDS);
      await t.stop();
      console.log(line(name, r));
      return r;
    };
    const bare = await measure(['bare'], 'bare Fastify (parse JSON, 202)');
    // What one Redis round trip costs on this machine (no auth, no parsing, no queue).
    const bareRedis = await measure(['bare-redis', redis.url], '  reference: bare + one Redis SET');

    // The real route and the bare + one BullMQ add reference, both running, take turns under the same load: on a
    // shared machine the load changes from one ten-second run to the next, and the ratio is what matters.
    const reference = await startTarget(['bare-bullmq', redis.url]);
    targets.push(reference);
    const real = await startTarget(['durable', redis.url, SECRET, LOG_LEVEL]);
    targets.push(real);
    const firstAckMs = await prime(real.url);
    console.log(`first acknowledgement after start-up: ${fmt(firstAckMs)} ms`);
    const flagged =
      COMPARE_FLAGS.length > 0
        ? await startTarget(['durable', redis.url, SECRET, LOG_LEVEL], COMPARE_FLAGS)
        : undefined;
    if (flagged) targets.push(flagged);
    if (flagged) await prime(flagged.url);
    await load(reference.url, WARMUP_SECONDS);
    const warm = await load(real.url, WARMUP_SECONDS);
    const warmFlagged = flagged ? await load(flagged.url, WARMUP_SECONDS) : undefined;
    const refSlices: LoadResult[] = [];
    const realSlices: LoadResult[] = [];
    const flaggedSlices: LoadResult[] = [];
    // The order alternates from round to round: the slot right after the reference may cost more. In two runs of
    // bench/ack-profile.ts (reference, then two builds of our route), whichever build had that slot used 14 % and
    // 56 % more CPU per 202 than the build after it, and the verdict flipped when the two swapped slots. A fixed
    // reference-first order put our route in that slot in every round.
    const turns: Array<[Target, LoadResult[]]> = [
      [reference, refSlices],
      [real, realSlices],
      ...(flagged ? [[flagged, flaggedSlices] as [Target, LoadResult[]]] : []),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [target, slices] of round % 2 === 0 ? turns : [...turns].reverse())
        slices.push(await loadWithCpu(target, SECONDS / ROUNDS));
    }
    await reference.stop();
    const bareBullmq = combine(refSlices);
    const durable = combine(realSlices);
    const ratioRounds = realSlices.map((r, k) => r.rps / refSlices[k]!.rps);
    console.log(line('  reference: bare + one BullMQ add', bareBullmq));
    console.log(line('webhook (verify + durable enqueue)', durable));
    const fixed = await load(real.url, SECONDS, RATE);
    console.log(line(`webhook at a fixed ${fmt(RATE)} req/s`, fixed));
    const rssAfterMb = rssMb(real.child.pid!);
    await real.stop();
    let flaggedResult: AckBenchResult['flagged'];
    if (flagged) {
      const durableF = combine(flaggedSlices);
      console.log(line(`webhook, node ${COMPARE_FLAGS.join(' ')}`, durableF));
      const fixedF = await load(flagged.url, SECONDS, RATE);
      console.log(line(`  same at a fixed ${fmt(RATE)} req/s`, fixedF));
      flaggedResult = {
        flags: COMPARE_FLAGS,
        durable: durableF,
        fixedRate: fixedF,
        ratio: durableF.rps / bareBullmq.rps,
        rssAfterMb: rssMb(flagged.child.pid!),
      };
      await flagged.stop();
      console.log(
        `with ${COMPARE_FLAGS.join(' ')}: ack ratio ${(100 * flaggedResult.ratio).toFixed(0)} % (rounds: ${flaggedSlices.map((r, k) => `${((100 * r.rps) / refSlices[k]!.rps).toFixed(0)} %`).join(', ')}), ` +
          `server CPU ${fmt(durableF.cpuUsPerAck ?? 0)} µs/202, RSS after the load ${flaggedResult.rssAfterMb.toFixed(0)} MB, p99 at ${fmt(RATE)} req/s ${fixedF.p99} ms`,
      );
    }

    const queue = new Queue('events', { connection: { host: '127.0.0.1', port: redis.port } });
    const jobsStored = await queue.getWaitingCount();
    await queue.close();
    const turnAcks = (t: Target | undefined) => (t ? (turnWarmupAcks.get(t.url) ?? 0) : 0);
    const acked =
      1 +
      warm.ok +
      turnAcks(real) +
      durable.ok +
      fixed.ok +
      (flaggedResult
        ? 1 + (warmFlagged?.ok ?? 0) + turnAcks(flagged) + flaggedResult.durable.ok + flaggedResult.fixedRate.ok
        : 0);
    const ratio = durable.rps / bareBullmq.rps;
    const ratioBare = durable.rps / bare.rps;
    const pct = (r: LoadResult) => `${((100 * r.rps) / bare.rps).toFixed(0)} %`;
    console.log(
      `server CPU per 202: our webhook ${fmt(durable.cpuUsPerAck ?? 0)} µs, bare + BullMQ add ${fmt(bareBullmq.cpuUsPerAck ?? 0)} µs (${((100 * (bareBullmq.cpuUsPerAck ?? 0)) / (durable.cpuUsPerAck ?? 1)).toFixed(0)} %)`,
    );
    console.log(
      `${BUILD} build. Of the bare route: bare + Redis SET ${pct(bareRedis)}, bare + BullMQ add ${pct(bareBullmq)}, our webhook ${pct(durable)}`,
    );
    console.log(
      `ack ratio (webhook / bare + BullMQ add) ${(100 * ratio).toFixed(0)} % (rounds: ${ratioRounds.map((r) => `${(100 * r).toFixed(0)} %`).join(', ')}; target ≥ 75 %: ${ratio >= 0.75 ? 'met' : 'NOT met'}); ` +
        `RSS after the load ${rssAfterMb.toFixed(0)} MB (target < 150 MB: ${rssAfterMb < 150 ? 'met' : 'NOT met'}); ` +
        `p99 at ${fmt(RATE)} req/s ${fixed.p99} ms (target < 25 ms: ${fixed.p99 < 25 ? 'met' : 'NOT met'}); ` +
        `${fmt(jobsStored)} jobs in Redis for ${fmt(acked)} acknowledged events${jobsStored >= acked ? '' : ' — ACKNOWLEDGED EVENTS MISSING'}`,
    );
    return {
      bare,
      bareRedis,
      bareBullmq,
      durable,
      fixedRate: { ...fixed, rate: RATE },
      ratio,
      ratioRounds,
      ratioBare,
      rssAfterMb,
      build: BUILD,
      ...(flaggedResult ? { flagged: flaggedResult } : {}),
      jobsStored,
      acked,
    };
  } finally {
    for (const t of targets) await t.stop();
    await redis.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runAckBench();
  if (flag('json')) printJson(result);
}
