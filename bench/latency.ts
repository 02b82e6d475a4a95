/**
 * Webhook → write-back latency (SPEC §8: ≤ DEBOUNCE_MS + 50 ms median, plus PSA latency): the real service
 * (`startService`, role `all`, production defaults: DEBOUNCE_MS 250, info logs to /dev/null) on a private redis-server
 * with AOF everysec and hz 100 (as the embedded Redis and docker-compose.yml run it), against the fake ConnectWise answering at once (so "PSA latency" is ~0). One T1 ticket past its
 * 2-hour limit at a time: a signed callback is posted, and the clock stops when the fake receives the reassignment
 * PATCH, and when it receives the handoff note. The worker's own work in between: fetch the ticket and its notes
 * (2 GETs), evaluate, PATCH, read back, note.
 *
 *   npx tsx bench/latency.ts [--tickets 40] [--json]
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

const TICKETS = arg('tickets', 40);

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
    connection: { baseUrl: "\${CW_BASE_URL}", companyId: acme, publicKey: pub, privateKey: "\${CW_PRIVATE_KEY}", clientId: "\${CW_CLIENT_ID}", apiMember: escalator-api }
    webhook: { keyUrlHosts: ["\${CW_ORIGIN}"] }
    mapping:
      tiers: { T1: { board: 1, team: 3 }, T2: { board: 5, team: 9 } }
      groups: { tier2: { board: 5, team: 9 } }
      priorities: { P1: [4], P2: [5], P3: [6], P4: [7, 8] }
      members: { t2.erin: erin.t }
`;

export interface LatencyResult {
  debounceMs: number;
  tickets: number;
  /** Webhook posted → reassignment PATCH received by the PSA, ms. */
  patch: { p50: number; p95: number; max: number };
  /** Webhook posted → handoff note received by the PSA, ms. */
  note: { p50: number; p95: number; max: number };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const summary = (xs: number[]) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: Math.max(...xs) });

export async function runLatencyBench(): Promise<LatencyResult> {
  const redis = await startRedis({ appendfsync: 'everysec' });
  const fake = seedConnectWise(await new FakeConnectWise().start());
  const vars = { CW_BASE_URL: fake.baseUrl, CW_PRIVATE_KEY: fake.privateKey, CW_CLIENT_ID: fake.clientId, CW_ORIGIN: fake.origin };
  const loaded = loadConfigText(CONFIG.replace('publicKey: pub', `publicKey: ${fake.publicKey}`), 'latency.yaml', vars, connectors);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url, ADMIN_TOKEN: 'l'.repeat(40), LOG_LEVEL: 'info' });
  if (!env.ok) throw new Error(env.error.join('; '));
  const log = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const service = await startService({ env: env.value, config: loaded.value, role: 'all', log });
  const patch: number[] = [];
  const note: number[] = [];
  try {
    for (let i = 0; i <= TICKETS; i++) {
      const id = 7_000 + i;
      cwTicket(fake, id, new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      const body = fake.callbackBody(id);
      const started = Date.now();
      const res = await fetch(`${service.url}/webhooks/acme-cw`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-content-signature': fake.sign(body) }, body });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      const seen = (method: string, re: RegExp) => fake.apiRequests(method, re)[0]?.at;
      let patchAt: number | undefined;
      let noteAt: number | undefined;
      while (noteAt === undefined) {
        if (Date.now() - started > 30_000) throw new Error(`ticket ${id}: no write-back within 30 s`);
        await new Promise((r) => setTimeout(r, 1));
        patchAt ??= seen('PATCH', new RegExp(`/service/tickets/${id}$`));
        noteAt = seen('POST', new RegExp(`/service/tickets/${id}/notes$`));
      }
      // The first ticket warms connections, codebase discovery and lookups: not counted.
      if (i === 0) continue;
      patch.push(patchAt! - started);
      note.push(noteAt - started);
    }
  } finally {
    await service.close();
    await fake.close();
    await redis.close();
  }
  const result: LatencyResult = { debounceMs: env.value.debounceMs, tickets: TICKETS, patch: summary(patch), note: summary(note) };
  const target = result.debounceMs + 50;
  console.log(
    `webhook → PATCH: p50 ${result.patch.p50} ms, p95 ${result.patch.p95} ms, max ${result.patch.max} ms; ` +
      `webhook → note: p50 ${result.note.p50} ms, p95 ${result.note.p95} ms (${TICKETS} tickets, DEBOUNCE_MS ${result.debounceMs}, PSA answering at once)`,
  );
  console.log(`median webhook → write-back ${result.patch.p50} ms (target ≤ DEBOUNCE_MS + 50 = ${target} ms plus PSA latency: ${result.patch.p50 <= target ? 'met' : 'NOT met'})`);
  return result;
}

if (process.argv[1]?.endsWith('latency.ts')) {
  const result = await runLatencyBench();
  if (flag('json')) printJson(result);
}
