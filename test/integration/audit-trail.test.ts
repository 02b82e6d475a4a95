import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectors } from '../../src/connectors.js';
import { loadConfigText } from '../../src/config/index.js';
import type { MetricsHistory } from '../../src/store/metrics-history-store.js';
import { createStores } from '../../src/store/stores.js';
import type { AuditEntry } from '../../src/store/models.js';
import type { TicketView } from '../../src/pipeline/types.js';
import { newAuditId } from '../../src/store/audit-store.js';
import { MetricsHistoryStore } from '../../src/store/metrics-history-store.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

import { waitFor } from '../helpers/wait.js';
import { startHarness } from './metrics-harness.js';
import type { Harness } from './metrics-harness.js';

// docs/spec.md §5 audit trail: `GET /api/escalations` (filters, paging, newest first) and `GET /api/tickets/:i/:t` through
// the real service against the fake ConnectWise, with an entry that explains its decision (rule, kind, matched
// values) and the results of the PSA calls; and `retention.audit` / `retention.deadLetters` enforced by age.

const SECOND_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
type Page = { items: AuditEntry[]; nextCursor: string | null };

describe('audit trail through the real service', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('enforce');
    for (const id of [5001, 5002, 5003]) {
      h.t1Ticket(id);
      expect(await h.deliver(id)).toBe(202);
      await waitFor(() => (h.fake.tickets.get(id)?.board as { id?: number } | undefined)?.id === 5);
      // The entry is recorded with no results BEFORE the writes (and `[].every(…)` is true): wait for the results.
      await waitFor(async () =>
        (await h.api<Page>(`/api/escalations?instance=acme-cw&rule=t1-timeout`)).body.items.some(
          (e) => e.ticketId === String(id) && e.results.length > 0 && e.results.every((r) => r.status !== 'skipped'),
        ),
      );
    }
    // The results are written before the ticket state (tier, next check) is stored: wait until every job is done.
    await waitFor(async () =>
      Object.values(await h.running.queues.tickets.getJobCounts('waiting', 'active', 'delayed')).every((n) => n === 0),
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an entry explains the decision (rule, kind, matched values) and carries the PSA results', async () => {
    const { status, body } = await h.api<Page>('/api/escalations?instance=acme-cw&rule=t1-timeout');
    expect(status).toBe(200);
    const entry = body.items.find((e) => e.ticketId === '5001')!;
    expect(entry).toMatchObject({ instanceId: 'acme-cw', psa: 'connectwise', ticketId: '5001', mode: 'enforce' });
    expect(entry.id).toEqual(expect.any(String));
    expect(entry.at).toMatch(SECOND_INSTANT);
    expect(entry.decision.reasons).toEqual([
      {
        rule: 't1-timeout',
        kind: 'tiered',
        text: expect.stringContaining('timeInTier'),
        matched: { timeInTier: expect.any(Number), threshold: 120 },
      },
    ]);
    expect(entry.decision.reasons[0]!.matched['timeInTier']).toBeGreaterThanOrEqual(180);
    expect(entry.decision.actions).toEqual([
      expect.objectContaining({ type: 'reassign', rule: 't1-timeout', tier: 'T2', group: 'tier2', owner: 't2.erin' }),
      expect.objectContaining({
        type: 'note',
        rule: 't1-timeout',
        visibility: 'internal',
        text: expect.stringContaining('t1-timeout'),
      }),
      expect.objectContaining({ type: 'notify', rule: 't1-timeout', notifier: 'managers' }),
    ]);
    expect(entry.results.map((r) => [r.action, r.status])).toEqual([
      ['reassign', 'applied'],
      ['note', 'applied'],
      ['notify', 'applied'],
    ]);
  });

  it('lists newest first and pages with nextCursor', async () => {
    const first = await h.api<Page>('/api/escalations?instance=acme-cw&rule=t1-timeout&limit=2');
    expect(first.body.items.map((e) => e.ticketId)).toEqual(['5003', '5002']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await h.api<Page>(
      `/api/escalations?instance=acme-cw&rule=t1-timeout&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
    );
    expect(second.body).toMatchObject({ nextCursor: null });
    expect(second.body.items.map((e) => e.ticketId)).toEqual(['5001']);
  });

  it('filters by instance, rule and since; rejects a limit above 500', async () => {
    expect((await h.api<Page>('/api/escalations?rule=no-such-rule')).body).toEqual({ items: [], nextCursor: null });
    expect((await h.api<Page>('/api/escalations?instance=globex')).body.items).toEqual([]);
    expect((await h.api<Page>('/api/escalations?since=2999-01-01T00:00:00Z')).body.items).toEqual([]);
    expect(
      (await h.api<Page>('/api/escalations?since=2000-01-01T00:00:00%2B02:00')).body.items.length,
    ).toBeGreaterThanOrEqual(3);
    expect((await h.api('/api/escalations?limit=501')).status).toBe(400);
  });

  it('GET /api/tickets shows the ticket, its tier, clocks, next check and decision history', async () => {
    const { status, body } = await h.api<TicketView>('/api/tickets/acme-cw/5001');
    expect(status).toBe(200);
    expect(body.ticket.ref).toEqual({ instance: 'acme-cw', psa: 'connectwise', id: '5001' });
    expect(body.tier).toBe('T2');
    expect(body.clocks.resolution).toMatchObject({ targetMinutes: 480, stopped: false });
    expect(body.decisions.length).toBeGreaterThanOrEqual(1);
    const move = body.decisions.find((d) => d.decision.actions.some((a) => a.type === 'reassign'))!;
    expect(move.decision.reasons[0]).toMatchObject({ rule: 't1-timeout', kind: 'tiered' });
    for (const d of body.decisions) expect(d.at).toMatch(SECOND_INSTANT);
    const missing = await h.api<{ error: { code: string } }>('/api/tickets/acme-cw/999999');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });
});

describe('retention', () => {
  let redis: TestRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });

  const decision = {
    actions: [{ type: 'tag' as const, rule: 'r1', tag: 'x' }],
    reasons: [],
    nearMisses: [],
    clocks: {},
    nextCheckAt: null,
  };
  const entry = (atMs: number, ticketId: string): AuditEntry => ({
    id: newAuditId(atMs),
    at: new Date(atMs).toISOString(),
    instanceId: 'acme',
    psa: 'connectwise',
    ticketId,
    mode: 'enforce',
    decision,
    results: [],
  });

  it('retention.audit and retention.deadLetters are read from the YAML as durations', () => {
    const yaml = `
tiers: [T1]
policies: { p: { calendar: always } }
retention: { audit: 7d, deadLetters: 12h }
instances:
  - id: a
    kind: halo
    policy: p
    connection: { tenantUrl: "https://initech.halopsa.com", clientId: c, clientSecret: s }
    webhook: { basicAuth: { username: u, password: "a-long-enough-password-1234" } }
    mapping: { tiers: { T1: { team: "1st Line Support" } } }
`;
    const loaded = loadConfigText(yaml, 'retention.yaml', {}, connectors);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    expect(loaded.value.retention).toEqual({
      auditMs: 7 * 86_400_000,
      deadLettersMs: 12 * 3_600_000,
      ticketsMs: 30 * 86_400_000,
    });
  });

  it('audit entries older than retention.audit are no longer served and are trimmed from the indexes', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const stores = createStores(client, { retention: { auditMs: 86_400_000, deadLettersMs: 3_600_000 } }, () => now);
    const old = entry(now, 't-old');
    await stores.audit.record(old);
    expect((await stores.audit.query({ limit: 50 })).items.map((e) => e.ticketId)).toEqual(['t-old']);
    now += 86_400_000 + 1; // a day later: the old entry has aged out, even before anything else is written
    expect((await stores.audit.query({ limit: 50 })).items).toEqual([]);
    expect(await stores.audit.forTicket('acme', 't-old')).toEqual([]);
    await stores.audit.record(entry(now, 't-new'));
    expect((await stores.audit.query({ instance: 'acme', limit: 50 })).items.map((e) => e.ticketId)).toEqual(['t-new']);
    expect(await client.zscore(stores.keys.auditIndexAll(), old.id)).toBeNull();
    expect(await client.zscore(stores.keys.auditIndexInstance('acme'), old.id)).toBeNull();
    // Every key expires on its own too (TTL = the retention).
    const ttl = await client.pttl(stores.keys.auditEntry(old.id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    expect(await client.pttl(stores.keys.auditIndexTicket('acme', 't-old'))).toBeGreaterThan(0);
  });

  it('dead letters older than retention.deadLetters are no longer listed', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const stores = createStores(client, { retention: { auditMs: 86_400_000, deadLettersMs: 3_600_000 } }, () => now);
    const letter = await stores.deadLetters.add({
      instanceId: 'acme',
      ticketId: 't1',
      kind: 'actions',
      actions: [],
      error: { code: 'psa_unavailable', message: 'x' },
    });
    expect((await stores.deadLetters.list()).map((l) => l.id)).toContain(letter.id);
    now += 3_600_000 + 1;
    expect((await stores.deadLetters.list()).map((l) => l.id)).not.toContain(letter.id);
    expect(await client.pttl(stores.keys.deadLetter(letter.id))).toBeLessThanOrEqual(3_600_000);
  });

  it('metrics histories of tickets that ended before the retention are dropped from the index', async () => {
    let now = Date.parse('2026-03-10T00:00:00Z');
    const keys = createStores(client, { retention: { auditMs: 86_400_000, deadLettersMs: 1 } }).keys;
    const store = new MetricsHistoryStore(client, keys, { retentionMs: 86_400_000, now: () => now });
    const h = (ticketId: string, endedAt?: string): MetricsHistory => ({
      v: 1,
      instanceId: 'ret',
      ticketId,
      createdAt: '2026-03-01T00:00:00Z',
      initialTier: 'T1',
      moves: [],
      clockStops: [],
      nearMisses: [],
      observedAt: '2026-03-01T00:00:00Z',
      ...(endedAt ? { endedAt } : {}),
    });
    await store.put(h('ended-long-ago', '2026-03-01T00:00:00Z'));
    await store.put(h('open'));
    await store.put(h('ended-today', '2026-03-09T12:00:00Z'));
    expect(await client.zscore(keys.metricsHistoryIndex('ret'), 'ended-long-ago')).toBeNull();
    now += 1;
    expect((await store.since('ret', Date.parse('2026-03-09T00:00:00Z'))).map((x) => x.ticketId).sort()).toEqual([
      'ended-today',
      'open',
    ]);
  });
});
