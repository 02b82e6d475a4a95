import { createServer } from 'node:http';
import type { Server } from 'node:http';

import type { FastifyInstance } from 'fastify';

import type { AppConfig } from '../../src/config/index.js';
import type { Metrics } from '../../src/pipeline/metrics/prometheus.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { ADMIN_TOKEN } from '../helpers/build.js';
import { loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import { cwEnv, cwT1Ticket, FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';
import { freePort, startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { connectwiseInstanceYaml } from '../helpers/instance-yaml.js';

/**
 * The real service (config loader, Fastify app, BullMQ pipeline, real Redis, the ConnectWise connector) against the
 * fake ConnectWise and a recording notifier endpoint, for the operator-surface tests (audit, metrics, observe mode).
 */

const config = (mode: string, notifyUrl: string) => `
calendars:
  always: { timezone: UTC, hours: { mon-sun: "00:00-24:00" } }
tiers: [T1, T2, T3]
notifiers:
  managers: { kind: webhook, url: "${notifyUrl}" }
groups:
  tier2: { assign: round-robin, members: [t2.erin, t2.frank] }
policies:
  standard:
    calendar: always
    sla:
      P3: { firstResponse: 4h, resolution: 8h }
    limits: { maxAutoEscalationsPerDay: 1, respectManualChangesFor: 4h }
    handoff: { required: [customer, summary], onMissing: flag }
    rules:
      - id: t1-timeout
        kind: tiered
        when: { tier: T1, timeInTier: 2h, status: { not: [resolved, closed] } }
        then: { escalateTo: T2, group: tier2, note: handoff, notify: [managers] }
      - id: t2-aged
        kind: hierarchical
        when: { tier: T2, age: 1h, status: { not: [resolved, closed] } }
        then: { escalateTo: T3, note: internal, notify: [managers] }
instances:
${connectwiseInstanceYaml({ id: 'acme-cw', mode: mode as 'enforce' | 'observe', members: { 't2.erin': 'erin.t', 't2.frank': 't2.frank' } })}`;

export interface Harness {
  fake: FakeConnectWise;
  running: RunningPipeline;
  app: FastifyInstance;
  metrics: Metrics;
  config: AppConfig;
  base: string;
  /** Bodies posted to the `managers` notifier. */
  notified: unknown[];
  /** Signed ConnectWise callback for a ticket; resolves with the HTTP status. */
  deliver(ticketId: number): Promise<number>;
  /** Waits until the ticket was evaluated after `since` (epoch ms, by the stored `lastEvaluatedAt`). */
  evaluatedAfter(ticketId: number, since: number): Promise<void>;
  /** Evaluated after `since` AND the job finished: escalation-metrics history and counters are written after the state. */
  evaluated(ticketId: number, since: number): Promise<void>;
  /** GET an admin API path with the bearer token. */
  api<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
  /** A T1 ticket entered `hoursAgo` hours ago, owned by jsmith. */
  t1Ticket(id: number, hoursAgo?: number): void;
  close(): Promise<void>;
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function startNotifier(notified: unknown[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      notified.push(body ? (JSON.parse(body) as unknown) : null);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${port}/hook` };
}

export async function startHarness(mode: 'enforce' | 'observe'): Promise<Harness> {
  const redis: TestRedis = await startRedis();
  const fake = seedConnectWise(await new FakeConnectWise().start());
  const notified: unknown[] = [];
  const notifier = await startNotifier(notified);
  const cfg = loadE2eConfig(config(mode, notifier.url), `metrics-${mode}.yaml`, cwEnv(fake));
  const { running, app, metrics, base, close } = await startE2eService({
    config: cfg,
    redisUrl: redis.url,
    debounceMs: 50,
  });
  const evaluatedAfter = async (ticketId: number, since: number): Promise<void> => {
    await waitFor(async () => {
      const r = await running.stores.tickets.get('acme-cw', String(ticketId));
      return r?.lastEvaluatedAt !== undefined && Date.parse(r.lastEvaluatedAt) >= since;
    });
  };
  return {
    fake,
    running,
    app,
    metrics,
    config: cfg,
    base,
    notified,
    async deliver(ticketId) {
      const body = fake.callbackBody(ticketId);
      const res = await fetch(`${base}/webhooks/acme-cw?recordId=${ticketId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-content-signature': fake.sign(body) },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    },
    evaluatedAfter,
    async evaluated(ticketId, since) {
      await evaluatedAfter(ticketId, since);
      await waitFor(async () => {
        const queues = [running.queues.events, running.queues.tickets];
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed')));
        return counts.every((c) => Object.values(c).every((n) => n === 0));
      });
    },
    async api<T>(path: string) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as T };
    },
    t1Ticket(id, hoursAgo = 3) {
      cwT1Ticket(fake, id, hoursAgo, false);
    },
    async close() {
      await close();
      await fake.close();
      await new Promise<void>((r) => notifier.server.close(() => r()));
      await redis.close();
    },
  };
}
