/**
 * Webhook acknowledgement, side by side in one run on this machine (SPEC §8):
 *   (a) a bare Fastify route that parses JSON and answers 202;
 *   (b) our real `POST /webhooks/globex-at` (Autotask connector: X-Hook-Signature HMAC-SHA1 over the raw bytes,
 *       parse, dedupe + durable BullMQ enqueue) on a private redis-server with AOF everysec, role `api`.
 * Every request is a unique, correctly signed Autotask delivery (its own SequenceNumber, so nothing is deduped);
 * both targets receive the same bodies and headers. Targets: (b) ≥ 50 % of (a)'s req/s, and p99 < 25 ms for (b) at
 * a fixed 1,000 req/s. Each server runs in its own process (bench/ack-target.ts); autocannon runs here.
 *
 *   npx tsx bench/ack.ts [--seconds 10] [--connections 32] [--rate 1000] [--log-level info] [--json]
 *
 * `--log-level` sets the real service's LOG_LEVEL (default info, as deployed) to see what request logging costs.
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each target process into <dir>.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { signAutotaskBody } from '../connectors/autotask/webhook.js';
import { startRedis } from '../test/helpers/redis.js';

import { arg, flag, fmt, printJson } from './util.js';

const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 32);
const RATE = arg('rate', 1000);
const WARMUP_SECONDS = 2;
const SECRET = 'bench-webhook-secret-0123456789abcdef';
const INSTANCE = 'globex-at';
const i = process.argv.indexOf('--log-level');
const LOG_LEVEL = i > 0 ? (process.argv[i + 1] ?? 'info') : 'info';

interface Target {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/ack-target.ts in its own Node process and waits for its `READY <url>` line. */
async function startTarget(args: string[]): Promise<Target> {
  const script = fileURLToPath(new URL('./ack-target.ts', import.meta.url));
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each target (open it in Chrome DevTools or speedscope).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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
function mint(): { body: string; signature: string } {
  sequence++;
  const body = JSON.stringify({
    Action: 'Update', Guid: 'a1da62a4-2c49-40a8-8183-69994ce5b3eb', EntityType: 'Ticket', Id: 351_000 + (sequence % 5_000),
    Fields: { Title: 'Printer \u0026 scanner down', Status: '8' }, EventTime: eventTime, SequenceNumber: sequence, PersonID: 30691780,
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
}

/**
 * One signed delivery at a time until the first 202: the first acknowledgement after start-up is slow (connection and
 * BullMQ script set-up, seconds on a loaded machine), and a burst of 32 into it would time out rather than measure.
 */
async function prime(url: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const { body, signature } = mint();
    const res = await fetch(`${url}/webhooks/${INSTANCE}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hook-signature': signature }, body });
    if (res.status === 202) return Date.now() - started;
  }
  throw new Error(`${url} never answered 202`);
}

async function load(url: string, seconds: number, overallRate?: number): Promise<LoadResult> {
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
  return { rps: ok / result.duration, p50: result.latency.p50, p99: result.latency.p99, ok, failed: result.non2xx + result.errors + result.timeouts };
}

export interface AckBenchResult {
  bare: LoadResult;
  /** Reference: the bare route plus one Redis `SET … NX PX` per request. */
  bareRedis: LoadResult;
  /** Reference: the bare route plus one BullMQ `add` with deduplication per request. */
  bareBullmq: LoadResult;
  durable: LoadResult;
  fixedRate: LoadResult & { rate: number };
  ratio: number;
  /**
   * Jobs found in Redis after the runs vs. 202s counted: every acknowledged event must be stored (jobs may exceed the
   * count: requests still in flight when a run's clock stops are stored but their 202 is not counted).
   */
  jobsStored: number;
  acked: number;
}

const line = (name: string, r: LoadResult): string =>
  `${name.padEnd(34)} ${fmt(r.rps).padStart(8)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(3)} ms   (${fmt(r.ok)} × 202, ${r.failed} failed)`;

export async function runAckBench(): Promise<AckBenchResult> {
  const redis = await startRedis({ appendfsync: 'everysec' });
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

    const real = await startTarget(['durable', redis.url, SECRET, LOG_LEVEL]);
    targets.push(real);
    const firstAckMs = await prime(real.url);
    console.log(`first acknowledgement after start-up: ${fmt(firstAckMs)} ms`);
    const warm = await load(real.url, WARMUP_SECONDS);
    const durable = await load(real.url, SECONDS);
    console.log(line('webhook (verify + durable enqueue)', durable));
    const fixed = await load(real.url, SECONDS, RATE);
    console.log(line(`webhook at a fixed ${fmt(RATE)} req/s`, fixed));
    await real.stop();

    const queue = new Queue('events', { connection: { host: '127.0.0.1', port: redis.port } });
    const jobsStored = await queue.getWaitingCount();
    // The reference rows run after the real route, each on an empty Redis: hundreds of thousands of stored jobs
    // make the AOF grow past its rewrite threshold, and a rewrite (fork) in the middle of a run distorts it.
    await queue.close();
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    // Reference rows: what one Redis round trip, and one BullMQ add, cost on this machine (no auth, no parsing).
    const bareRedis = await measure(['bare-redis', redis.url], '  reference: bare + one Redis SET');
    const bareBullmq = await measure(['bare-bullmq', redis.url], '  reference: bare + one BullMQ add');
    const acked = 1 + warm.ok + durable.ok + fixed.ok;
    const ratio = durable.rps / bare.rps;
    const pct = (r: LoadResult) => `${((100 * r.rps) / bare.rps).toFixed(0)} %`;
    console.log(`of the bare route: bare + Redis SET ${pct(bareRedis)}, bare + BullMQ add ${pct(bareBullmq)}, our webhook ${pct(durable)}`);
    console.log(
      `ack ratio ${(100 * ratio).toFixed(0)} % (target ≥ 50 %: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ` +
        `p99 at ${fmt(RATE)} req/s ${fixed.p99} ms (target < 25 ms: ${fixed.p99 < 25 ? 'met' : 'NOT met'}); ` +
        `${fmt(jobsStored)} jobs in Redis for ${fmt(acked)} acknowledged events${jobsStored >= acked ? '' : ' — ACKNOWLEDGED EVENTS MISSING'}`,
    );
    return { bare, bareRedis, bareBullmq, durable, fixedRate: { ...fixed, rate: RATE }, ratio, jobsStored, acked };
  } finally {
    for (const t of targets) await t.stop();
    await redis.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runAckBench();
  if (flag('json')) printJson(result);
}
