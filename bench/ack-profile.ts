/**
 * Where the webhook acknowledgement's CPU goes: runs the "bare + one BullMQ add" reference and our real
 * `POST /webhooks/globex-at` (the same two servers as bench/ack.ts, compiled as shipped) under `node --cpu-prof`, drives
 * both with autocannon in alternating slices, and prints, per target, the CPU µs per 202 spent in each function
 * (self time; samples of the measured slices only: start-up, priming and warm-up are cut off) and per package.
 *
 *   npx tsx bench/ack-profile.ts [--seconds 9] [--rounds 3] [--warmup 5] [--settle 1] [--top 40] [--no-compile]
 *                                [--no-prof] [--base <git ref>] [--rate N [--together]]
 *
 * `--base <ref>` adds the real route as of that commit (its src/, connectors/ and bench/ compiled the same way into a
 * temporary folder) as a third target taking turns in the same rounds: before/after a change under the same load.
 *
 * The profiler itself adds some time to every figure; compare the two columns of one run, not runs. `--no-prof`
 * leaves it out (CPU per 202 from /proc only). The last lines give each target's median CPU per 202 over the rounds
 * and, with `--base`, the median of the per-round ratios ours / base (each round's pair ran back to back under the
 * same neighbours): on a loaded machine, the figure to compare a change by.
 */
import { execFileSync, execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { startRedis } from '../test/helpers/redis.js';

import { SECRET, compileTargets, load, prime, startTarget, type Target } from './ack.js';
import { arg, flag, fmt } from './util.js';

const SECONDS = arg('seconds', 9);
const ROUNDS = Math.max(1, arg('rounds', 3));
const TOP = arg('top', 40);
/** `--rate N`: every slice at a fixed N req/s instead of as fast as possible (same batching for every target). */
const RATE = arg('rate', 0) > 0 ? arg('rate', 0) : undefined;
/**
 * `--together` (needs `--rate`): the targets take their load at the same time instead of in turns, each at `--rate`,
 * so each round's pair sees the same neighbours: on a machine where other work comes and goes, the paired ratio
 * of one round is then far steadier than with turns.
 */
const TOGETHER = flag('together');
if (TOGETHER && !RATE) throw new Error('--together needs --rate N');
/** Seconds of load per target before the measured rounds (the first turns after start-up cost up to 2× more). */
const WARMUP = arg('warmup', 5);
const PROFILE = !flag('no-prof');
/** `--settle S`: each turn starts with S seconds of unmeasured load (a server switched in after idling is slower at first). */
const SETTLE = arg('settle', 1);
const b = process.argv.indexOf('--base');
const BASE = b > 0 ? process.argv[b + 1] : undefined;

/** The repository as of `ref`, compiled as bench/ack.ts compiles the working tree; returns where to run it. */
function compileBase(ref: string): { cwd: string; entry: string } {
  // One build per commit, reused by later runs (a compile takes minutes on a loaded machine).
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `ack-base-${sha.slice(0, 12)}`);
  const entry = join(dir, 'build/bench/ack-target.js');
  if (existsSync(entry)) return { cwd: dir, entry };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  execSync(
    `git archive ${JSON.stringify(ref)} src connectors bench examples package.json tsconfig.json tsconfig.build.json | tar -x -C ${JSON.stringify(dir)}`,
    { stdio: 'inherit' },
  );
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  execFileSync(
    process.execPath,
    [resolve('node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.ack.json', '--outDir', 'build'],
    { cwd: dir, stdio: 'inherit' },
  );
  cpSync(join(dir, 'src/http/console/assets'), join(dir, 'build/src/http/console/assets'), { recursive: true });
  return { cwd: dir, entry };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Monotonic µs, the clock V8's profile timestamps use on Linux. */
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

const shortUrl = (url: string): string =>
  url
    .replace(/^.*(node_modules\/\.cache\/psa-escalator-ack-[^/]+|ack-base-[^/]+\/build)\//, '')
    .replace(/^.*node_modules\//, '');
const frameName = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
function packageOf(n: ProfileNode): string {
  const url = n.callFrame.url;
  if (!url) return n.callFrame.functionName;
  if (/psa-escalator-ack-|ack-base-/.test(url)) return `ours: ${shortUrl(url).split('/').slice(0, -1).join('/')}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return m ? m[1]! : url.startsWith('node:') ? url.replace(/^node:(internal\/)?/, 'node:').split('/')[0]! : 'other';
}

/** Self time (µs) per function and per package of the samples inside `windows`. */
function summarise(
  file: string,
  windows: Array<[number, number]>,
): { byFunction: Map<string, number>; byPackage: Map<string, number>; busy: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  let t = profile.startTime;
  for (let k = 0; k < profile.samples.length; k++) {
    t += profile.timeDeltas[k] ?? 0;
    const dt = profile.timeDeltas[k + 1] ?? 0;
    if (!windows.some(([a, b]) => t >= a && t < b)) continue;
    const node = nodes.get(profile.samples[k]!)!;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += dt;
    const f = frameName(node);
    byFunction.set(f, (byFunction.get(f) ?? 0) + dt);
    const p = packageOf(node);
    byPackage.set(p, (byPackage.get(p) ?? 0) + dt);
  }
  return { byFunction, byPackage, busy };
}

if (!flag('no-compile')) compileTargets();
const dir = mkdtempSync(join(tmpdir(), 'ack-profile-'));
if (PROFILE) process.env.BENCH_CPU_PROF = dir;
const redis = await startRedis({ appendfsync: 'everysec', extraArgs: ['--auto-aof-rewrite-percentage', '0'] });
/** [user, system] CPU µs of a process (Linux /proc; clock ticks of 10 ms). */
function cpuSplit(pid: number): [number, number] {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [Number(fields[11]) * 10_000, Number(fields[12]) * 10_000];
}
const targets: Array<{
  name: string;
  target: Target;
  windows: Array<[number, number]>;
  acks: number;
  user: number;
  system: number;
  rounds: number[];
}> = [];
try {
  targets.push({
    name: 'bare + one BullMQ add',
    target: await startTarget(['bare-bullmq', redis.url]),
    windows: [],
    acks: 0,
    user: 0,
    system: 0,
    rounds: [],
  });
  targets.push({
    name: 'our webhook',
    target: await startTarget(['durable', redis.url, SECRET, 'info']),
    windows: [],
    acks: 0,
    user: 0,
    system: 0,
    rounds: [],
  });
  if (BASE) {
    const at = compileBase(BASE);
    targets.push({
      name: `our webhook as of ${BASE}`,
      target: await startTarget(['durable', redis.url, SECRET, 'info'], [], at),
      windows: [],
      acks: 0,
      user: 0,
      system: 0,
      rounds: [],
    });
  }
  for (const t of targets) {
    await prime(t.target.url);
    await load(t.target.url, WARMUP);
  }
  // The order rotates from round to round: the slot right after the reference costs more (two builds of our route,
  // fixed order: whichever ran second used 14 % and 56 % more CPU per 202 than the one third, flipping on a swap).
  const measure = async (t: (typeof targets)[number]): Promise<void> => {
    const start = nowUs();
    const [user, system] = cpuSplit(t.target.child.pid!);
    const r = await load(t.target.url, SECONDS / ROUNDS, RATE);
    t.windows.push([start, nowUs()]);
    const [user2, system2] = cpuSplit(t.target.child.pid!);
    t.user += user2 - user;
    t.system += system2 - system;
    t.acks += r.ok;
    t.rounds.push((user2 - user + system2 - system) / Math.max(1, r.ok));
  };
  // `--together`: every target under load at once, each at `--rate`, so all see the same neighbours at the same time.
  for (let round = 0; TOGETHER && round < ROUNDS; round++) {
    if (SETTLE > 0) await Promise.all(targets.map((t) => load(t.target.url, SETTLE, RATE)));
    await Promise.all(targets.map(measure));
  }
  for (let round = 0; !TOGETHER && round < ROUNDS; round++) {
    for (const t of [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)]) {
      if (SETTLE > 0) await load(t.target.url, SETTLE, RATE);
      await measure(t);
    }
  }
} finally {
  for (const t of targets) await t.target.stop();
  await redis.close();
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
const us = (x: number, acks: number): string => (x / Math.max(1, acks)).toFixed(1).padStart(7);
if (PROFILE) {
  const files = readdirSync(dir);
  const results = targets.map((t) => {
    const file = files.find((f) => f.includes(`.${t.target.child.pid}.`));
    if (!file) throw new Error(`no CPU profile for ${t.name} in ${dir}`);
    return { ...t, ...summarise(join(dir, file), t.windows) };
  });
  for (const r of results) {
    console.log(
      `\n== ${r.name}: ${fmt(r.acks)} × 202; per 202: CPU ${us(r.user, r.acks).trim()} µs user + ${us(r.system, r.acks).trim()} µs system (/proc), ${us(r.busy, r.acks).trim()} µs busy in the profile`,
    );
    console.log('-- self time per 202, by function');
    for (const [name, t] of [...r.byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP))
      console.log(`${us(t, r.acks)} µs  ${name}`);
    console.log('-- self time per 202, by package');
    for (const [name, t] of [...r.byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`${us(t, r.acks)} µs  ${name}`);
  }
  console.log(`\nprofiles: ${dir}`);
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(
  targets
    .map(
      (r) =>
        `${r.name}: ${us(r.user + r.system, r.acks).trim()} µs CPU per 202, median of rounds ${fmt(median(r.rounds))} µs (${fmt(r.acks / SECONDS)} req/s; per round: ${r.rounds.map((x) => fmt(x)).join(', ')} µs)`,
    )
    .join('\n'),
);
const [, ours, base] = targets;
if (ours && base) {
  const ratios = ours.rounds.map((x, k) => x / base.rounds[k]!);
  console.log(
    `ours / base per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(3)}`,
  );
}
