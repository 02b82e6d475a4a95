/**
 * Memory soak (docs/spec.md §8: no memory growth over a 10-minute soak): the real service (`startService`, role `all`) on a
 * private redis-server, against the fake ConnectWise, under steady webhook traffic for `--minutes` (default 10):
 * `--rate` signed callbacks per second (default 40) spread over 400 tickets, so tickets escalate, get re-evaluated,
 * are deduplicated and echo back. Every 30 s it forces a full GC and samples heap used and RSS of this process
 * (service + load generator; the generator keeps nothing). Growth is judged on the samples after the first two
 * minutes (warm-up: JIT, caches, connection pools): the least-squares slope of heap used, in MB per 10 minutes.
 *
 *   node --expose-gc --import tsx bench/soak.ts [--minutes 10] [--rate 40] [--json]
 *   npm run bench:soak
 */
import { startCwService } from './cw-service.js';
import { arg, flag, printJson } from './util.js';

const MINUTES = arg('minutes', 10);
const RATE = arg('rate', 40);
const TICKETS = 400;
const SAMPLE_MS = 30_000;
const WARMUP_MS = Math.min(120_000, (MINUTES * 60_000) / 5);

interface Sample {
  atS: number;
  heapMb: number;
  rssMb: number;
}

export interface SoakResult {
  minutes: number;
  rate: number;
  acked: number;
  failed: number;
  samples: Sample[];
  /** Least-squares slope of heap used after warm-up, MB per 10 minutes. */
  heapSlopeMbPer10Min: number;
  rssSlopeMbPer10Min: number;
}

function slopePer10Min(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : (sxy / sxx) * 600;
}

const gc = (globalThis as { gc?: () => void }).gc;

export async function runSoak(): Promise<SoakResult> {
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:soak does)');
  const bench = await startCwService();
  const { fake } = bench;
  for (let id = 1; id <= TICKETS; id++) bench.addOverdueTicket(9_000 + id);

  const started = Date.now();
  const samples: Sample[] = [];
  let acked = 0;
  let failed = 0;
  let n = 0;
  const sample = () => {
    gc();
    const m = process.memoryUsage();
    samples.push({
      atS: Math.round((Date.now() - started) / 1000),
      heapMb: m.heapUsed / 2 ** 20,
      rssMb: m.rss / 2 ** 20,
    });
    const s = samples.at(-1)!;
    console.log(
      `t=${String(s.atS).padStart(4)} s  heap ${s.heapMb.toFixed(1)} MB  rss ${s.rssMb.toFixed(1)} MB  acked ${acked}  failed ${failed}`,
    );
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  // The fake's request log would grow for ever (it is the test double, not the service): trimmed as we go.
  const trim = setInterval(() => fake.requests.splice(0, fake.requests.length), 10_000);
  try {
    while (Date.now() - started < MINUTES * 60_000) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: RATE }, async () => {
          const status = await bench.callback(9_000 + 1 + (n++ % TICKETS)).catch(() => 0);
          if (status === 202) acked++;
          else failed++;
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - tick))));
    }
    sample();
  } finally {
    clearInterval(sampler);
    clearInterval(trim);
    await bench.close();
  }
  const after = samples.filter((s) => s.atS * 1000 >= WARMUP_MS);
  const result: SoakResult = {
    minutes: MINUTES,
    rate: RATE,
    acked,
    failed,
    samples,
    heapSlopeMbPer10Min: slopePer10Min(after.map((s) => ({ x: s.atS, y: s.heapMb }))),
    rssSlopeMbPer10Min: slopePer10Min(after.map((s) => ({ x: s.atS, y: s.rssMb }))),
  };
  console.log(
    `soak: ${MINUTES} min at ${RATE} webhooks/s (${acked} acked, ${failed} failed); after ${WARMUP_MS / 60_000} min of warm-up ` +
      `heap ${result.heapSlopeMbPer10Min >= 0 ? '+' : ''}${result.heapSlopeMbPer10Min.toFixed(2)} MB / 10 min, ` +
      `rss ${result.rssSlopeMbPer10Min >= 0 ? '+' : ''}${result.rssSlopeMbPer10Min.toFixed(2)} MB / 10 min`,
  );
  return result;
}

if (process.argv[1]?.endsWith('soak.ts')) {
  const result = await runSoak();
  if (flag('json')) printJson(result);
}
