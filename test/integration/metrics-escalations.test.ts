import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EscalationMetrics } from '../../src/pipeline/metrics/escalation-metrics.js';
import type { InstanceStatus } from '../../src/store/models.js';

import { waitFor } from '../helpers/wait.js';
import { iso, startHarness } from './metrics-harness.js';
import type { Harness } from './metrics-harness.js';

// docs/spec.md §5 "Escalation metrics" and `GET /api/instances` through the real service (enforce mode) against the fake
// ConnectWise: a T1 ticket escalated by us after 3 h with the new owner's note a moment later, and a T1 ticket
// resolved in T1 after 30 minutes. The arithmetic itself is unit-tested on a scripted history
// (src/pipeline/metrics/escalation-metrics.test.ts); this proves the pipeline records what it needs and the route serves it.

let h: Harness;
const started = Date.now();
const stamp = () => iso(Date.now());

beforeAll(async () => {
  h = await startHarness('enforce');
});
afterAll(async () => {
  await h?.close();
});

describe('escalation metrics through the real service', () => {
  it("records our move, the new owner's first note and a first-contact resolution", async () => {
    h.t1Ticket(4001, 3);
    let since = Date.now();
    expect(await h.deliver(4001)).toBe(202);
    await waitFor(() => (h.fake.tickets.get(4001)?.board as { id?: number } | undefined)?.id === 5);
    await h.evaluated(4001, since);
    // Erin (the member we assigned) writes her first note; ConnectWise calls us back.
    const t = h.fake.tickets.get(4001)!;
    h.fake.addNote(4001, {
      text: 'Looking at it now.',
      internalAnalysisFlag: true,
      member: { id: 160, identifier: 'erin.t' },
      createdBy: 'erin.t',
      dateCreated: stamp(),
    });
    t._info = { ...t._info, lastUpdated: h.fake.stamp(), updatedBy: 'erin.t' };
    since = Date.now();
    expect(await h.deliver(4001)).toBe(202);
    await h.evaluated(4001, since);

    // A T1 ticket entered 30 minutes ago, closed in T1 now.
    h.t1Ticket(4002, 0.5);
    Object.assign(h.fake.tickets.get(4002)!, {
      status: { id: 30, name: 'Closed' },
      closedFlag: true,
      closedDate: stamp(),
      dateResolved: stamp(),
    });
    since = Date.now();
    expect(await h.deliver(4002)).toBe(202);
    await h.evaluated(4002, since);
  });

  it('GET /api/metrics/escalations answers the docs/spec.md §5 shape with the expected numbers', async () => {
    const from = iso(started - 86_400_000);
    const to = iso(Date.now() + 3_600_000);
    const { status, body } = await h.api<EscalationMetrics>(
      `/api/metrics/escalations?instance=acme-cw&from=${from}&to=${to}`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ instance: 'acme-cw', from, to, tier3Audit: [] });
    expect(Object.keys(body.tiers)).toEqual(['T1', 'T2', 'T3']);
    const t1 = body.tiers['T1']!;
    expect(t1).toMatchObject({ tickets: 2, escalated: 1, escalationRate: 0.5, reEscalationRate: 0 });
    // Business minutes on the 24×7 calendar from tier entry (createdAt, 3 h ago) to our move.
    expect(t1.timeToEscalateMedianMin).toBeGreaterThanOrEqual(179.9);
    expect(t1.timeToEscalateMedianMin).toBeLessThan(182);
    expect(t1.handoffDelayMedianMin).not.toBeNull();
    expect(t1.handoffDelayMedianMin!).toBeGreaterThanOrEqual(0);
    expect(t1.handoffDelayMedianMin!).toBeLessThan(2);
    expect(body.tiers['T2']).toMatchObject({ tickets: 1, escalated: 0, escalationRate: 0 });
    expect(body.overEscalation).toEqual({ rate: 0.5, warn: true });
    expect(body.fcr).toBe(1);
    expect(body.mttrMin).toBeGreaterThanOrEqual(29.9);
    expect(body.mttrMin).toBeLessThan(32);
    expect(body.slaAttainment.resolution).toBe(1);
  });

  it('a window before everything is empty; the instance may be omitted with one instance configured', async () => {
    const empty = await h.api<EscalationMetrics>(
      `/api/metrics/escalations?instance=acme-cw&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`,
    );
    expect(empty.body.tiers['T1']).toMatchObject({ tickets: 0, escalated: 0, escalationRate: 0 });
    expect(empty.body.mttrMin).toBeNull();
    const implicit = await h.api<EscalationMetrics>('/api/metrics/escalations');
    expect(implicit.status).toBe(200);
    expect(implicit.body.tiers['T1']!.escalated).toBe(1);
  });

  it('refuses an unknown instance (404), an empty window (400), a bad instant (400) and a missing token (401)', async () => {
    expect((await h.api('/api/metrics/escalations?instance=nope')).status).toBe(404);
    const backwards = await h.api<{ error: { code: string } }>(
      '/api/metrics/escalations?instance=acme-cw&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(backwards).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect((await h.api('/api/metrics/escalations?instance=acme-cw&from=yesterday')).status).toBe(400);
    expect((await fetch(`${h.base}/api/metrics/escalations?instance=acme-cw`)).status).toBe(401);
  });

  it('exposes the same numbers as Prometheus gauges on /metrics', async () => {
    const text = await (await fetch(`${h.base}/metrics`)).text();
    expect(text).toContain('psa_escalator_tier_escalated{instance="acme-cw",tier="T1"} 1');
    expect(text).toContain('psa_escalator_tier_tickets{instance="acme-cw",tier="T1"} 2');
    expect(text).toContain('psa_escalator_tier_escalation_rate{instance="acme-cw",tier="T1"} 0.5');
    expect(text).toContain('psa_escalator_over_escalation_warn{instance="acme-cw"} 1');
    expect(text).toContain('psa_escalator_first_contact_resolution_rate{instance="acme-cw"} 1');
    expect(text).toMatch(/psa_escalator_tier_time_to_escalate_median_minutes\{instance="acme-cw",tier="T1"\} 18\d/);
  });
});

describe('GET /api/instances', () => {
  const instances = async () => (await h.api<{ items: InstanceStatus[] }>('/api/instances')).body.items;

  it('reports kind, mode, webhook state, last event, queue lag, rate limit and PSA health', async () => {
    const [item] = await instances();
    expect(item).toMatchObject({
      id: 'acme-cw',
      kind: 'connectwise',
      mode: 'enforce',
      webhook: 'unknown',
      psa: 'ok',
      rateLimit: { requests: 600, perMs: 60_000, pausedUntil: null },
    });
    expect(item!.lastEventAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(item!.lastEventAt!)).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(item!.psaCheckedAt).toMatch(/Z$/);
    expect(typeof item!.queueLag).toBe('number');
    expect(item!.queueLag).toBeGreaterThanOrEqual(0);
  });

  it('shows the webhook active once registered and checked by a reconciliation sweep', async () => {
    const reg = await fetch(`${h.base}/api/instances/acme-cw/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await import('../helpers/build.js')).ADMIN_TOKEN}` },
    });
    expect(reg.status).toBe(200);
    const queued = await fetch(`${h.base}/api/instances/acme-cw/reconcile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await import('../helpers/build.js')).ADMIN_TOKEN}` },
    });
    expect(queued.status).toBe(202);
    await waitFor(async () => (await instances())[0]?.webhook === 'active');
  });

  it('shows auth_failed after the PSA refuses our credentials', async () => {
    h.t1Ticket(4003);
    h.fake.script(
      { method: 'GET', path: /\/service\/tickets\/4003$/ },
      { status: 401, body: { code: 'Unauthorized', message: 'bad credentials' } },
    );
    expect(await h.deliver(4003)).toBe(202);
    await waitFor(async () => (await instances())[0]?.psa === 'auth_failed');
  });
});
