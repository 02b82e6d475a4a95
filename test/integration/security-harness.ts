import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

import type { FastifyInstance } from 'fastify';

import type { EnvConfig } from '../../src/config/types.js';
import type { BuildAppOptions } from '../../src/http/app.js';
import { createLogger } from '../../src/lib/logger.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { e2ePolicyYaml, loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import { autotaskJson, autotaskSignature, FakeAutotask, type Json } from '../helpers/fake-autotask.js';
import { cwEnv, cwTicket, FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';
import { startFakeHalo, type FakeHalo } from '../helpers/fake-halo.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

// The real service (config loader, three real connectors, Fastify app, BullMQ pipeline, real Redis) over the three
// fake PSAs, with every secret set to a recognisable sentinel and the production logger (its redaction included)
// writing into memory: shared by the security-*.test.ts files (docs/reliability.md §4).

/** Every configured secret. Each contains `SNTNL` so a scan for it finds any of them. */
export const SECRETS = {
  adminToken: 'SNTNL-admin-token-0123456789abcdef0123456789ab',
  cwPrivateKey: 'SNTNL-cw-private-key-5b1e',
  cwSigningKey: 'SNTNL-cw-signing-key-77aa',
  atSecret: 'SNTNL-at-api-secret-9c2d',
  atHookSecret: 'SNTNL-at-hook-secret-current',
  atPreviousHookSecret: 'SNTNL-at-hook-secret-previous',
  haloClientSecret: 'SNTNL-halo-client-secret-41f0',
  haloHookPassword: 'SNTNL-halo-hook-password-now',
  haloPreviousHookPassword: 'SNTNL-halo-hook-password-old',
} as const;

/** A host name that resolves to loopback: stands in for a DNS-rebinding name allow-listed by mistake. */
export const REBINDING_HOST = 'localhost';

const CONFIG = `${e2ePolicyYaml({ members: ['t2.erin'], required: ['summary'] })}instances:
  - id: sec-cw
    kind: connectwise
    policy: standard
    connection:
      baseUrl: \${CW_BASE_URL}
      companyId: acme
      publicKey: \${CW_PUBLIC_KEY}
      privateKey: \${CW_PRIVATE_KEY}
      clientId: \${CW_CLIENT_ID}
      apiMember: escalator-api
    webhook:
      keyUrlHosts: [na.myconnectwise.net, cw.example.com, ${REBINDING_HOST}, "\${CW_ORIGIN}"]
    mapping:
      tiers: { T1: { board: 1, team: 3 }, T2: { board: 5, team: 9 }, T3: { board: 12, team: 27 } }
      groups: { tier2: { board: 5, team: 9 } }
      members: { t2.erin: erin.t }
  - id: sec-at
    kind: autotask
    policy: standard
    connection:
      username: \${AT_USERNAME}
      secret: \${AT_SECRET}
      integrationCode: \${AT_INTEGRATION_CODE}
      zoneUrl: \${AT_ZONE_URL}
    webhook:
      secretKey: \${AT_WEBHOOK_SECRET}
      previousSecretKey: \${AT_PREVIOUS_WEBHOOK_SECRET}
    mapping:
      tiers: { T1: { queueID: 29682833 }, T2: { queueID: 29682969 }, T3: { queueID: 29683484 } }
      groups: { tier2: { queueID: 29682969 } }
      members: { t2.erin: { resourceID: 29684003, roleID: 29683002 } }
    notes:
      internal: { noteType: 1, publish: 2 }
  - id: sec-halo
    kind: halo
    policy: standard
    connection:
      tenantUrl: \${HALO_URL}
      clientId: halo-client
      clientSecret: \${HALO_CLIENT_SECRET}
    webhook:
      basicAuth: { username: escalator, password: "\${HALO_HOOK_PASSWORD}" }
      previousBasicAuth: { username: escalator, password: "\${HALO_PREVIOUS_HOOK_PASSWORD}" }
    mapping:
      tiers: { T1: { team: "1st Line Support" }, T2: { team: "2nd Line Support" }, T3: { team: "3rd Line Support" } }
      groups: { tier2: { team: "2nd Line Support" } }
      members: { t2.erin: { agent_id: 12 } }
    notes:
      internal: { outcome: "Private Note" }
`;

export interface SecurityService {
  redis: TestRedis;
  cw: FakeConnectWise;
  at: FakeAutotask;
  halo: FakeHalo;
  app: FastifyInstance;
  running: RunningPipeline;
  /** `http://127.0.0.1:<port>` of the service. */
  base: string;
  /** Every log line written so far (production logger, level trace). */
  logText(): string;
  close(): Promise<void>;
}

export interface SecurityServiceOptions {
  app?: BuildAppOptions;
  env?: Partial<EnvConfig>;
  /** The pipeline's clock (connector contexts read it too). @defaultValue Date.now */
  now?: () => number;
}

export async function startSecurityService(options: SecurityServiceOptions = {}): Promise<SecurityService> {
  const redis = await startRedis();
  const cw = seedConnectWise(
    await new FakeConnectWise({ privateKey: SECRETS.cwPrivateKey, signingKey: SECRETS.cwSigningKey }).start(),
  );
  const at = await new FakeAutotask({ secret: SECRETS.atSecret }).start();
  const halo = await startFakeHalo({ clientId: 'halo-client', clientSecret: SECRETS.haloClientSecret });
  const env = {
    ...cwEnv(cw),
    AT_USERNAME: at.state.username,
    AT_SECRET: at.state.secret,
    AT_INTEGRATION_CODE: at.state.integrationCode,
    AT_ZONE_URL: `${at.url}/atservicesrest/v1.0`,
    AT_WEBHOOK_SECRET: SECRETS.atHookSecret,
    AT_PREVIOUS_WEBHOOK_SECRET: SECRETS.atPreviousHookSecret,
    HALO_URL: halo.origin,
    HALO_CLIENT_SECRET: SECRETS.haloClientSecret,
    HALO_HOOK_PASSWORD: SECRETS.haloHookPassword,
    HALO_PREVIOUS_HOOK_PASSWORD: SECRETS.haloPreviousHookPassword,
  };
  const config = loadE2eConfig(CONFIG, 'security.yaml', env);
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'trace', destination });
  const { app, running, base, close } = await startE2eService({
    config,
    redisUrl: redis.url,
    log,
    adminToken: SECRETS.adminToken,
    ...(options.app ? { app: options.app } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    redis,
    cw,
    at,
    halo,
    app,
    running,
    base,
    logText: () => lines.join(''),
    close: async () => {
      await close();
      await Promise.all([cw.close(), at.close(), halo.close()]);
      await redis.close();
    },
  };
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

export async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export const cwHeaders = (signature: string) => ({
  'content-type': 'application/json',
  'x-content-signature': signature,
});
export const atHeaders = (signature: string) => ({ 'content-type': 'application/json', 'x-hook-signature': signature });
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A T1 ConnectWise ticket entered three hours ago (past the 2-hour limit). */
export function cwT1(s: SecurityService, id: number): void {
  cwTicket(s.cw, id, new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), {
    summary: `Printer offline (${id})`,
  });
}

const zoneless = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');

/** A T1 Autotask ticket created three hours ago. */
export function atT1(s: SecurityService, id: number): void {
  const created = zoneless(Date.now() - 3 * 3_600_000);
  s.at.state.addTicket({
    id,
    queueID: 29682833,
    status: 1,
    title: `Printer offline (${id})`,
    createDate: created,
    lastActivityDate: created,
    lastTrackedModificationDateTime: created,
  });
}

/** The exact bytes and signature Autotask would send for a ticket update. */
export function atDelivery(
  s: SecurityService,
  id: number,
  secret: string = SECRETS.atHookSecret,
): { body: string; signature: string } {
  const body = autotaskJson(s.at.payload(id, { Title: 'Imprimante café & <étage 2> "hors ligne"' }) as Json);
  return { body, signature: autotaskSignature(body, secret) };
}

/** A T1 Halo ticket opened three hours ago. */
export function haloT1(s: SecurityService, id: number): void {
  const opened = zoneless(Date.now() - 3 * 3_600_000).replace(/\.\d{3}$/, '');
  s.halo.addT1Ticket(id, opened, { summary: `Printer offline (${id})`, details: 'Offline since this morning.' });
}

/** A Halo "small object" delivery body. */
export const haloBody = (id: number): string =>
  JSON.stringify({
    id: randomUUID(),
    escmsg_id: randomUUID(),
    event: 'New Ticket Logged',
    object_id: id,
    agent_id: 5,
    timestamp: new Date().toISOString(),
    ticket: { id, status_id: 2, agent_id: 1 },
  });
