import { describe, expect, it } from 'vitest';

import type { AppConfig } from '../../src/config/types.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import type { InstanceStatus } from '../../src/store/models.js';
import { ADMIN_TOKEN, build } from '../helpers/build.js';
import { useFileRedis } from '../helpers/file-redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, startTestPipeline, testConfig, waitFor } from '../helpers/test-pipeline.js';
import type { StartOptions } from '../helpers/test-pipeline.js';

/**
 * Honest health (issue 13): `psa` is unknown until the first call, then what the latest call said, with the last
 * error and its time; `psa_escalator_psa_up`; a per-instance circuit breaker; webhook registration drift as a
 * metric and an alert (observe mode never repairs); and the all-instance escalation metrics.
 */

let fake: FakePsa;
const file = useFileRedis(() => fake?.stop());
const running = file.running;

async function start(
  o: { config?: (url: string) => AppConfig } & Partial<Omit<StartOptions, 'config' | 'redisUrl'>> = {},
) {
  fake = new FakePsa();
  await fake.start();
  const { config, ...rest } = o;
  const p = await startTestPipeline({
    redisUrl: file.url,
    config: config ? config(fake.url) : testConfig({ psaUrl: fake.url }),
    ...rest,
    tuning: { reconcileStartDelayMs: 60_000, ...rest.tuning },
    // Exact call counts: no in-client retries.
    http: { retries: 0, ...rest.http },
  });
  running.push(p);
  return p;
}

const status = async (p: RunningPipeline): Promise<InstanceStatus> => (await p.read.instances())[0]!;
const metricText = async (p: RunningPipeline & { metrics: { registry: { metrics(): Promise<string> } } }) =>
  p.metrics.registry.metrics();

describe('honest PSA health', () => {
  it('is unknown until the first call, then follows each call with the last error and its time; psa_up follows', async () => {
    const p = await start({ tuning: { reconcileStartDelayMs: 60_000, ticketAttempts: 1 } });
    expect(await status(p)).toMatchObject({ psa: 'unknown', psaCheckedAt: null, psaLastError: null });
    expect(await metricText(p)).not.toMatch(/psa_escalator_psa_up\{instance="acme"\}/);

    fake.addTicket({ id: 'h1', queue: '2' });
    fake.fail({ method: 'GET', path: '/tickets/h1', status: 500 });
    await p.kick({ instanceId: INSTANCE, ticketId: 'h1', trigger: 'webhook' });
    const down = await waitFor(async () => ((await status(p)).psa === 'unreachable' ? status(p) : undefined));
    expect(down.psaLastError).toMatchObject({ code: 'psa_unavailable' });
    expect(down.psaLastError!.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(await metricText(p)).toMatch(/psa_escalator_psa_up\{instance="acme"\} 0/);

    fake.fail({ method: 'GET', path: '/tickets/h1', status: 401 });
    await p.kick({ instanceId: INSTANCE, ticketId: 'h1', trigger: 'webhook' });
    await waitFor(async () => (await status(p)).psa === 'auth_failed');
    expect((await status(p)).psaLastError).toMatchObject({ code: 'psa_auth' });

    // A 429 asking for longer than the client waits inline: the PSA throttles us (the job waits it out).
    fake.fail({ method: 'GET', path: '/tickets/h1', status: 429, headers: { 'retry-after': '6' } });
    await p.kick({ instanceId: INSTANCE, ticketId: 'h1', trigger: 'webhook' });
    await waitFor(async () => (await status(p)).psa === 'rate_limited');
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 'h1')) !== undefined, 30_000);
    const up = await waitFor(async () => ((await status(p)).psa === 'ok' ? status(p) : undefined));
    // The last error stays visible after the PSA recovered.
    expect(up.psaLastError).toMatchObject({ code: 'rate_limited' });
    expect(await metricText(p)).toMatch(/psa_escalator_psa_up\{instance="acme"\} 1/);
  }, 60_000);

  it('opens the circuit breaker after repeated 5xx, lets one probe through per interval, closes on success', async () => {
    const p = await start({
      tuning: {
        reconcileStartDelayMs: 60_000,
        ticketAttempts: 50,
        backoffMs: 50,
        breaker: { failures: 3, intervalMs: 1_000 },
      },
    });
    fake.addTicket({ id: 'b1', queue: '2' });
    fake.fail({ method: 'GET', path: '/tickets/b1', status: 503, times: 1_000 });
    await p.kick({ instanceId: INSTANCE, ticketId: 'b1', trigger: 'webhook' });
    await waitFor(async () => (await status(p)).breaker?.state === 'open', 15_000);
    const opened = fake.count('GET', '/tickets/b1');
    expect(opened).toBe(3);
    // While open: fail fast, at most one probe per interval (the job waits without burning attempts).
    await waitFor(() => fake.count('GET', '/tickets/b1') >= opened + 2, 10_000, 20);
    const probes = fake.calls
      .filter((c) => c.method === 'GET' && c.path === '/tickets/b1')
      .slice(opened)
      .map((c) => c.at);
    expect(probes[1]! - probes[0]!).toBeGreaterThanOrEqual(900);
    expect(await metricText(p)).toMatch(
      /psa_escalator_circuit_breaker_transitions_total\{instance="acme",state="open"\} 1/,
    );
    // The PSA recovers: the next probe succeeds, the breaker closes and the evaluation completes.
    fake.failures.splice(0);
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 'b1')) !== undefined, 15_000);
    await waitFor(async () => (await status(p)).breaker?.state === 'closed');
    expect(await metricText(p)).toMatch(
      /psa_escalator_circuit_breaker_transitions_total\{instance="acme",state="closed"\} 1/,
    );
    expect((await p.read.deadLetters()).items).toHaveLength(0);
  }, 60_000);

  it('caps the retries of one ticket per hour: then it is dead-lettered (retry_cap) instead of hammering the PSA', async () => {
    const p = await start({
      tuning: { reconcileStartDelayMs: 60_000, ticketAttempts: 20, backoffMs: 20, ticketRetriesPerHour: 2 },
    });
    fake.addTicket({ id: 'r1', queue: '2' });
    fake.fail({ method: 'GET', path: '/tickets/r1', status: 500, times: 1_000 });
    await p.kick({ instanceId: INSTANCE, ticketId: 'r1', trigger: 'webhook' });
    const letters = await waitFor(
      async () => ((await p.read.deadLetters()).items.length > 0 ? p.read.deadLetters() : undefined),
      15_000,
    );
    expect(letters.items[0]).toMatchObject({ ticketId: 'r1', error: { code: 'retry_cap' } });
    // The first attempt and two retries reached the PSA; the capped run did not.
    expect(fake.count('GET', '/tickets/r1')).toBe(3);
  }, 60_000);

  it('observe mode reports a missing registration (metric + alert) and never repairs it', async () => {
    const observe = (url: string): AppConfig => {
      const c = testConfig({ psaUrl: url, mode: 'observe' });
      return { ...c, instances: c.instances.map((i) => ({ ...i, alerts: ['managers'] })) };
    };
    const p = await start({ config: observe, publicUrl: 'https://esc.example.com/' });
    fake.webhookState = 'missing';
    await p.pipeline.enqueueReconcile(INSTANCE);
    await waitFor(async () => (await status(p)).webhook === 'missing');
    await waitFor(() => fake.notifications.length > 0);
    expect(fake.notifications[0]).toMatchObject({
      name: 'managers',
      body: {
        event: 'alert',
        alert: 'webhook_registration_drift',
        instance: INSTANCE,
        details: { webhook: 'missing' },
      },
    });
    expect(await metricText(p)).toMatch(
      /psa_escalator_webhook_registration_drift_total\{instance="acme",state="missing"\} 1/,
    );
    // A second check: counted again, alerted once per change, still not repaired.
    await p.pipeline.enqueueReconcile(INSTANCE);
    await waitFor(async () =>
      /psa_escalator_webhook_registration_drift_total\{instance="acme",state="missing"\} 2/.test(await metricText(p)),
    );
    expect(fake.count('POST', '/webhooks')).toBe(0);
    expect(fake.notifications.filter((n) => (n.body as { event?: string }).event === 'alert')).toHaveLength(1);
  }, 60_000);
});

describe('GET /api/metrics/escalations across instances; POST reconcile?full=true', () => {
  it('aggregates every instance without `instance` (instance: null + byInstance) and filters with it', async () => {
    const now = Date.now();
    const p = await start({ config: (url) => testConfig({ psaUrl: url, moreInstances: ['beta'] }) });
    const old = new Date(now - 3 * 3_600_000).toISOString();
    fake.addTicket({ id: 'a1', createdAt: old, updatedAt: old });
    fake.addTicket({ id: 'b1', createdAt: old, updatedAt: old });
    fake.addTicket({ id: 'b2', createdAt: old, updatedAt: old });
    await p.kick({ instanceId: 'acme', ticketId: 'a1', trigger: 'webhook' });
    await p.kick({ instanceId: 'beta', ticketId: 'b1', trigger: 'webhook' });
    await waitFor(() => fake.tickets.get('a1')!.notes.length > 0 && fake.tickets.get('b1')!.notes.length > 0);
    await waitFor(
      async () =>
        (await p.stores.tickets.get('acme', 'a1'))?.lastDecision &&
        (await p.stores.tickets.get('beta', 'b1'))?.lastDecision,
    );

    const { app } = await build({
      config: testConfig({ psaUrl: fake.url, moreInstances: ['beta'] }),
      read: p.read,
      pipeline: p.pipeline,
    });
    try {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const all = await app.inject({ method: 'GET', url: '/api/metrics/escalations', headers: auth });
      expect(all.statusCode).toBe(200);
      const body = all.json<{
        instance: null;
        tiers: Record<string, { escalated: number; tickets: number }>;
        byInstance: Record<string, { instance: string; tiers: Record<string, { escalated: number }> }>;
      }>();
      expect(body.instance).toBeNull();
      expect(body.tiers['T1']!.escalated).toBe(2);
      expect(Object.keys(body.byInstance).sort()).toEqual(['acme', 'beta']);
      expect(body.byInstance['acme']).toMatchObject({ instance: 'acme', tiers: { T1: { escalated: 1 } } });
      expect(body.byInstance['beta']).toMatchObject({ instance: 'beta', tiers: { T1: { escalated: 1 } } });
      const one = await app.inject({ method: 'GET', url: '/api/metrics/escalations?instance=beta', headers: auth });
      expect(one.json()).toMatchObject({ instance: 'beta', tiers: { T1: { escalated: 1 } } });
      expect(one.json()).not.toHaveProperty('byInstance');

      // POST reconcile?full=true starts a backfill of that instance (b2 was never evaluated).
      const queued = await app.inject({
        method: 'POST',
        url: '/api/instances/beta/reconcile?full=true',
        headers: auth,
      });
      expect(queued.statusCode).toBe(202);
      await waitFor(async () => (await p.read.instances()).find((i) => i.id === 'beta')?.backfill?.completedAt, 15_000);
      const beta = (await p.read.instances()).find((i) => i.id === 'beta')!;
      expect(beta.backfill).toMatchObject({ listed: 3, evaluated: 3, remaining: 0 });
      expect(
        (await app.inject({ method: 'POST', url: '/api/instances/beta/reconcile?full=maybe', headers: auth }))
          .statusCode,
      ).toBe(400);
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe("the PSA's own SLA beside ours", () => {
  it('shows psaSla and the drift in /api/tickets, observes the drift histogram and counts a disagreement once', async () => {
    const p = await start();
    const created = Date.now() - 60_000;
    const at = (min: number) => new Date(created + min * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // P3: ours 240 min to first response, 1440 to resolution (24×7); the PSA says 270 and 1440.
    fake.addTicket({
      id: 's1',
      queue: '2',
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(created).toISOString(),
      sla: { respondBy: at(270), resolveBy: at(1440) },
    });
    await p.kick({ instanceId: INSTANCE, ticketId: 's1', trigger: 'webhook' });
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 's1'))?.lastDecision);
    const view = (await p.read.ticket(INSTANCE, 's1'))!;
    expect(view.psaSla).toEqual({ respondBy: at(270), resolveBy: at(1440) });
    expect(view.slaDrift!.firstResponse).toBeCloseTo(30, 0);
    expect(view.slaDrift!.resolution).toBeCloseTo(0, 0);
    const text = await metricText(p);
    expect(text).toMatch(/psa_escalator_sla_drift_minutes_count\{instance="acme",clock="firstResponse"\} 1/);
    expect(text).toMatch(/psa_escalator_sla_disagreements_total\{instance="acme",clock="firstResponse"\} 1/);
    expect(text).not.toMatch(/psa_escalator_sla_disagreements_total\{instance="acme",clock="resolution"\}/);
    // Evaluated again with the same disagreement: still one ticket counted.
    fake.update('s1', { title: 'still slow' });
    await p.kick({ instanceId: INSTANCE, ticketId: 's1', trigger: 'webhook' });
    await waitFor(async () =>
      /psa_escalator_sla_drift_minutes_count\{instance="acme",clock="firstResponse"\} 2/.test(await metricText(p)),
    );
    expect(await metricText(p)).toMatch(
      /psa_escalator_sla_disagreements_total\{instance="acme",clock="firstResponse"\} 1/,
    );

    // Within the tolerance (5 min by default): 3 minutes apart on both clocks, not a disagreement.
    fake.addTicket({
      id: 's2',
      queue: '2',
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(created).toISOString(),
      sla: { respondBy: at(243), resolveBy: at(1437) },
    });
    await p.kick({ instanceId: INSTANCE, ticketId: 's2', trigger: 'webhook' });
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 's2'))?.lastDecision);
    expect((await p.read.ticket(INSTANCE, 's2'))!.slaDrift!.firstResponse).toBeCloseTo(3, 0);
    // The escalation metrics count the ticket (not each evaluation), per instance and across instances.
    const { app } = await build({ config: testConfig({ psaUrl: fake.url }), read: p.read, pipeline: p.pipeline });
    try {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const one = await app.inject({
        method: 'GET',
        url: `/api/metrics/escalations?instance=${INSTANCE}`,
        headers: auth,
      });
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({
        instance: INSTANCE,
        slaDisagreements: { firstResponse: 1, resolution: 0, tickets: 1 },
      });
      const all = await app.inject({ method: 'GET', url: '/api/metrics/escalations', headers: auth });
      expect(all.json()).toMatchObject({
        instance: null,
        slaDisagreements: { firstResponse: 1, resolution: 0, tickets: 1 },
        byInstance: { [INSTANCE]: { slaDisagreements: { firstResponse: 1, resolution: 0, tickets: 1 } } },
      });
    } finally {
      await app.close();
    }
  }, 60_000);
});
