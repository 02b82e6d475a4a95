/**
 * Memory soak (SPEC §8: no memory growth over a 10-minute soak): the real service (`startService`, role `all`) on a
 * private redis-server, against the fake ConnectWise, under steady webhook traffic for `--minutes` (default 10):
 * `--rate` signed callbacks per second (default 40) spread over 400 tickets, so tickets escalate, get re-evaluated,
 * are deduplicated and echo back. Every 30 s it forces a full GC and samples heap used and RSS of this process
 * (service + load generator; the generator keeps nothing). Growth is judged on the samples after the first two
 * minutes (warm-up: JIT, caches, connection pools): the least-squares slope of heap used, in MB per 10 minutes.
 *
 *   node --expose-gc --import tsx bench/soak.ts [--minutes 10] [--rate 40] [--json]
 *   npm run bench:soak
 */
import pino from 'pino';

import { connectors } from '../src/connectors.js';
import { parseEnv } from '../src/config/env.js';
import { loadConfigText } from '../src/config/index.js';
import { createLogger } from '../src/lib/logger.js';
import { startService } from '../src/main.js';
import { cwTicket, FakeConnectWise, seedConnectWise } from '../test/helpers/fake-connectwise.js';
import { startRedis } from '../test/helpers/redis.js';

import { arg, flag, printJson } from './util.js';

const MINUTES = arg('minutes', 10);
const RATE = arg('rate', 40);
const TICKETS = 400;
const SAMPLE_MS = 30_000;
const WARMUP_MS = Math.min(120_000, (MINUTES * 60_000) / 5);

const CONFIG = `
calendars:
  always: { timezone: UTC, hours: { mon-sun: "00:00-24:00" } }
tiers: [T1, T2]
groups:
  tier2: { assign: round-robin, members: [t2.erin] }
policies:
  standard:
    calendar: always
    rules:
      - id: t1-timeout
        kind: tiered
        when: { tier: T1, timeInTier: 2h }
        then: { escalateTo: T2, group: tier2, note: handoff }
instances:
  - id: acme-cw
    kind: connectwise
    policy: standard
    connection: { baseUrl: "\${CW_BASE_URL}", companyId: acme, publicKey: "\${CW_PUBLIC_KEY}", privateKey: "\${CW_PRIVATE_KEY}", clientId: "\${CW_CLIENT_ID}", apiMember: escalator-api }
    webhook: { keyUrlHosts: ["\${CW_ORIGIN}"] }
    mapping:
      tiers: { T1: { board: 1, team: 3 }, T2: { board: 5, team: 9 } }
      groups: { tier2: { board: 5, team: 9 } }
      priorities: { P1: [4], P2: [5], P3: [6], P4: [7, 8] }
      members: { t2.erin: erin.t }
`;

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
  const redis = await startRedis({ appendfsync: 'everysec' });
  const fake = seedConnectWise(await new FakeConnectWise().start());
  const vars = { CW_BASE_URL: fake.baseUrl, CW_PUBLIC_KEY: fake.publicKey, CW_PRIVATE_KEY: fake.privateKey, CW_CLIENT_ID: fake.clientId, CW_ORIGIN: fake.origin };
  const loaded = loadConfigText(CONFIG, 'soak.yaml', vars, connectors);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url, ADMIN_TOKEN: 's'.repeat(40), LOG_LEVEL: 'info' });
  if (!env.ok) throw new Error(env.error.join('; '));
  const log = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const service = await startService({ env: env.value, config: loaded.value, role: 'all', log });
  const entered = new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let id = 1; id <= TICKETS; id++) cwTicket(fake, 9_000 + id, entered);

  const started = Date.now();
  const samples: Sample[] = [];
  let acked = 0;
  let failed = 0;
  let n = 0;
  const sample = () => {
    gc();
    const m = process.memoryUsage();
    samples.push({ atS: Math.round((Date.now() - started) / 1000), heapMb: m.heapUsed / 2 ** 20, rssMb: m.rss / 2 ** 20 });
    const s = samples.at(-1)!;
    console.log(`t=${String(s.atS).padStart(4)} s  heap ${s.heapMb.toFixed(1)} MB  rss ${s.rssMb.toFixed(1)} MB  acked ${acked}  failed ${failed}`);
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  // The fake's request log would grow for ever (it is the test double, not the service): trimmed as we go.
  const trim = setInterval(() => fake.requests.splice(0, fake.requests.length), 10_000);
  try {
    while (Date.now() - started < MINUTES * 60_000) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: RATE }, async () => {
          const id = 9_000 + 1 + (n++ % TICKETS);
          const body = fake.callbackBody(id);
          const res = await fetch(`${service.url}/webhooks/acme-cw`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-content-signature': fake.sign(body) }, body }).catch(() => undefined);
          if (res?.status === 202) acked++;
          else failed++;
          await res?.arrayBuffer();
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - tick))));
    }
    sample();
  } finally {
    clearInterval(sampler);
    clearInterval(trim);
    await service.close();
    await fake.close();
    await redis.close();
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
