import type { AddressInfo } from 'node:net';

import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, testEnv } from '../helpers/build.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ingestEvent, INSTANCE, startTestPipeline, testConfig, testConnectors } from '../helpers/test-pipeline.js';
import { FakePsa } from '../helpers/test-psa.js';
import { waitFor } from '../helpers/wait.js';

// Issue 17, weekly review: POST /api/escalations/:id/review over real HTTP, the real pipeline and a real Redis; the
// verdicts are counted as the share judged appropriate, overall and per rule.

let redis: TestRedis;
let fake: FakePsa;
let p: Awaited<ReturnType<typeof startTestPipeline>>;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  await fake.start();
  const config = testConfig({ psaUrl: fake.url });
  p = await startTestPipeline({ redisUrl: redis.url, config });
  app = buildApp(
    {
      config,
      env: testEnv(),
      connectors: { ...testConnectors, autotask: testConnectors.connectwise, halo: testConnectors.connectwise },
      contextFor: (id) => p.runtimes.contextFor(id),
      pipeline: p.pipeline,
      read: p.read,
      metrics: p.metrics,
      log: pino({ level: 'silent' }),
      role: 'all',
    },
    { readinessTimeoutMs: 500 },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
  await p.close();
  await fake.stop();
  await redis.close();
});

const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const review = (id: string, body: unknown) =>
  fetch(`${base}/api/escalations/${id}/review`, { method: 'POST', headers, body: JSON.stringify(body) });

describe('POST /api/escalations/:id/review', () => {
  it('records verdicts on real audit entries and counts the share judged appropriate per rule', async () => {
    fake.addTicket({ id: 'v1', queue: '1', title: 'Ransomware on a laptop' });
    fake.addTicket({ id: 'v2', queue: '1', title: 'ransomware test mail from the awareness campaign' });
    for (const id of ['v1', 'v2'])
      await ingestEvent(p, { eventId: `e-${id}`, ticketId: id, action: 'created' }, `r-${id}`);
    const entries = await waitFor(async () => {
      const { items } = await p.read.escalations({ limit: 10 });
      return items.length === 2 ? items : undefined;
    }, 10_000);
    const byTicket = new Map(entries.map((e) => [e.ticketId, e.id]));

    const ok = await review(byTicket.get('v1')!, { appropriate: true });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      id: byTicket.get('v1'),
      instanceId: INSTANCE,
      ticketId: 'v1',
      rules: ['emergency'],
      appropriate: true,
    });
    const notOk = await review(byTicket.get('v2')!, {
      appropriate: false,
      comment: 'phishing simulation, not an incident',
    });
    expect(((await notOk.json()) as { comment?: string }).comment).toBe('phishing simulation, not an incident');

    const summary = await (await fetch(`${base}/api/escalations/reviews`, { headers })).json();
    expect(summary).toMatchObject({
      reviewed: 2,
      appropriate: 1,
      appropriateShare: 0.5,
      rules: [{ rule: 'emergency', reviewed: 2, appropriate: 1, appropriateShare: 0.5 }],
    });

    // A second review of the same entry replaces the first.
    await review(byTicket.get('v2')!, { appropriate: true });
    expect(await (await fetch(`${base}/api/escalations/reviews`, { headers })).json()).toMatchObject({
      reviewed: 2,
      appropriate: 2,
      appropriateShare: 1,
    });
  }, 30_000);

  it('GET /api/metrics/escalations counts the verdicts, the RCA status, the breakdowns and the patterns (gaps of issue 17)', async () => {
    const window = `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
    type FollowThrough = {
      reviews: {
        reviewed: number;
        appropriate: number;
        share: number | null;
        byRule: Record<string, { reviewed: number; appropriate: number; share: number }>;
      };
      rca: { required: number; done: number; overdue: number; completionRate: number | null };
      breakdowns: {
        byCompany: Record<string, number>;
        byCategory: Record<string, number>;
        byHour: number[];
        byWeekday: Record<string, number>;
      };
      patterns: {
        escalations: number;
        tier3: { fleetShare: number | null; auditByCategory: Record<string, number> };
        functionalRuleCandidates: unknown[];
      };
    };
    // Our moves are in the ticket records once their writes completed (the audit entries above come before them).
    await waitFor(async () => {
      const records = await Promise.all(['v1', 'v2'].map((id) => p.stores.tickets.get(INSTANCE, id)));
      return records.every((r) => r !== undefined && r.escalations.length === 1 && !r.pending);
    }, 10_000);
    const one = await fetch(`${base}/api/metrics/escalations?instance=${INSTANCE}&${window}`, { headers });
    expect(one.status).toBe(200);
    const body = (await one.json()) as FollowThrough;
    // The two reviews above (the second one replaced): both judged appropriate, both for the emergency rule.
    expect(body.reviews).toEqual({
      reviewed: 2,
      appropriate: 2,
      share: 1,
      byRule: { emergency: { reviewed: 2, appropriate: 2, share: 1 } },
    });
    expect(body.rca).toEqual({ required: 0, done: 0, overdue: 0, open: 0, completionRate: null });
    // Both ransomware tickets (company c1, no category) were moved to T3 by us.
    expect(body.breakdowns.byCompany).toEqual({ c1: 2 });
    expect(body.breakdowns.byCategory).toEqual({ '(none)': 2 });
    expect(body.breakdowns.byHour.reduce((a, b) => a + b, 0)).toBe(2);
    expect(Object.values(body.breakdowns.byWeekday).reduce((a, b) => a + b, 0)).toBe(2);
    expect(body.patterns).toMatchObject({
      escalations: 2,
      tier3: { fleetShare: 1, auditByCategory: { '(none)': 2 } },
      functionalRuleCandidates: [],
    });

    // Every instance together (no `instance`), and each one in `byInstance`, with the same parts.
    const all = (await (
      await fetch(`${base}/api/metrics/escalations?${window}`, { headers })
    ).json()) as FollowThrough & { byInstance: Record<string, FollowThrough> };
    expect(all.reviews).toEqual(body.reviews);
    expect(all.breakdowns.byCompany).toEqual({ c1: 2 });
    expect(all.byInstance[INSTANCE]!.patterns.escalations).toBe(2);
    expect(all.byInstance[INSTANCE]!.rca.required).toBe(0);

    // The cheap parts as Prometheus gauges.
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain(`psa_escalator_review_appropriate_ratio{instance="${INSTANCE}"} 1`);
    expect(text).toContain(`psa_escalator_rca_overdue{instance="${INSTANCE}"} 0`);
  });

  it('bad input is a 400 naming the field, an unknown entry a 404, and neither stores anything', async () => {
    const bad = await review('0001764000000-0a1b2c3d', { appropriate: 'yes' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('appropriate');
    expect((await review('0001764000000-0a1b2c3d', { appropriate: true, extra: 1 })).status).toBe(400);
    expect((await review('not-an-id', { appropriate: true })).status).toBe(400);
    const missing = await review('0001764000000-0a1b2c3d', { appropriate: true });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(await p.redis.exists(p.stores.keys.review('0001764000000-0a1b2c3d'))).toBe(0);
    expect(
      (await fetch(`${base}/api/escalations/reviews`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
  });

  it('GET /api/escalations/rca answers per instance (nothing required here) and validates its window', async () => {
    const res = await fetch(`${base}/api/escalations/rca?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z`, {
      headers,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      items: [
        {
          instance: INSTANCE,
          rca: { required: 0, done: 0, overdue: 0, open: 0, completionRate: null, overdueTickets: [] },
        },
      ],
    });
    expect(
      (await fetch(`${base}/api/escalations/rca?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z`, { headers }))
        .status,
    ).toBe(400);
    expect((await fetch(`${base}/api/escalations/rca?month=11`, { headers })).status).toBe(400);
  });
});
