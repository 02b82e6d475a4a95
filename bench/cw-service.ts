/**
 * The real service (`startService`, role `all`, production defaults, info logs to /dev/null) on a private
 * redis-server (AOF everysec, hz 100) against the fake ConnectWise answering at once, with one rule: a T1 ticket
 * past 2 hours moves to T2 with a handoff note. Shared by bench/latency.ts and bench/soak.ts.
 */
import pino from 'pino';

import { connectors } from '../src/connectors.js';
import { parseEnv } from '../src/config/env.js';
import { loadConfigText } from '../src/config/index.js';
import { createLogger } from '../src/lib/logger.js';
import { startService } from '../src/main.js';
import type { RunningService } from '../src/main.js';
import { cwTicket, FakeConnectWise, seedConnectWise } from '../test/helpers/fake-connectwise.js';
import { startRedis } from '../test/helpers/redis.js';

/** The bench config; `rateLimit` overrides ConnectWise's default budget (600 requests per minute). */
export const cwBenchConfig = (rateLimit?: { requests: number; per: string }): string => `
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
${rateLimit ? `    rateLimit: { requests: ${rateLimit.requests}, per: ${rateLimit.per} }\n` : ''}`;

/** The `${NAME}` values of the bench config for a fake ConnectWise. */
export const cwBenchVars = (fake: FakeConnectWise): Record<string, string> => ({
  CW_BASE_URL: fake.baseUrl,
  CW_PUBLIC_KEY: fake.publicKey,
  CW_PRIVATE_KEY: fake.privateKey,
  CW_CLIENT_ID: fake.clientId,
  CW_ORIGIN: fake.origin,
});

export interface CwService {
  service: RunningService;
  fake: FakeConnectWise;
  debounceMs: number;
  /** Adds a T1 ticket entered 3 hours ago: the next callback for it escalates it. */
  addOverdueTicket(id: number): void;
  /** Posts a correctly signed callback for the ticket; resolves with the HTTP status. */
  callback(id: number): Promise<number>;
  close(): Promise<void>;
}

export async function startCwService(): Promise<CwService> {
  const redis = await startRedis({ appendfsync: 'everysec' });
  const fake = seedConnectWise(await new FakeConnectWise().start());
  const loaded = loadConfigText(cwBenchConfig(), 'bench.yaml', cwBenchVars(fake), connectors);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const env = parseEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redis.url,
    ADMIN_TOKEN: 'b'.repeat(40),
    LOG_LEVEL: 'info',
  });
  if (!env.ok) throw new Error(env.error.join('; '));
  const log = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const service = await startService({ env: env.value, config: loaded.value, role: 'all', log });
  const entered = () => new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    service,
    fake,
    debounceMs: env.value.debounceMs,
    addOverdueTicket: (id) => void cwTicket(fake, id, entered()),
    callback: async (id) => {
      const body = fake.callbackBody(id);
      const res = await fetch(`${service.url}/webhooks/acme-cw`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-content-signature': fake.sign(body) },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    },
    close: async () => {
      await service.close();
      await fake.close();
      await redis.close();
    },
  };
}
