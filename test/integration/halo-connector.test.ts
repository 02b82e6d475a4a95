import { readFileSync } from 'node:fs';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { halo } from '../../connectors/halo/index.js';
import type { HaloSettings } from '../../connectors/halo/schemas.js';
import { MappingSchema } from '../../src/contract/index.js';
import type { ConnectorContext, WritePlan } from '../../src/contract/index.js';
import { testContext } from '../helpers/connector-context.js';
import { startFakeHalo, type FakeHalo, type Json } from '../helpers/fake-halo.js';

const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../connectors/halo/__fixtures__/${name}`, import.meta.url), 'utf8')) as Json;

const mapping = MappingSchema.parse({
  tiers: {
    T1: { team: '1st Line Support' },
    T2: [{ team: '2nd Line Support' }, { team: 'Network' }],
    T3: { team: '3rd Line Support' },
  },
  priorities: { P1: [1], P2: [2], P3: [3], P4: [4] },
  statuses: { waiting_customer: ['Waiting on Customer'], resolved: ['Resolved'], closed: ['Closed'] },
  members: { 't2.erin': { agent_id: 12 }, 't2.frank': { agent_id: 13 } },
});

let fake: FakeHalo;
let waits: number[];

function ctxFor(overrides: Partial<{ connection: Json; webhook: Json }> = {}): ConnectorContext<HaloSettings> {
  return testContext({
    connector: halo,
    instance: { id: 'initech-halo', mapping },
    settings: {
      connection: {
        tenantUrl: fake.origin,
        clientId: 'client-id',
        clientSecret: 'client-secret',
        ...overrides.connection,
      },
      webhook: { basicAuth: { username: 'escalator', password: 'hook-pass' }, ...overrides.webhook },
    },
    http: { sleep: async (ms: number) => void waits.push(ms) },
  });
}

async function plan(ctx: ConnectorContext<HaloSettings>, id: string, extra: Partial<WritePlan>): Promise<WritePlan> {
  const fetched = await halo.fetchTicket(ctx, id);
  if (!fetched.ok) throw fetched.error;
  return {
    ticketId: id,
    current: halo.normalize(fetched.value, ctx.instance, ctx.settings),
    fetched: fetched.value,
    notes: [],
    verify: false,
    ...extra,
  };
}

const reassignToT2 = {
  actionId: 'a-reassign',
  location: { team: '2nd line support' },
  tier: 'T2',
  owner: { agent_id: 13 },
  ownerName: 't2.frank',
};
const handoff = {
  actionId: 'a-note',
  marker: '[esc:1a2b3c4d]',
  visibility: 'internal' as const,
  text: 'Handoff: customer Initech, steps taken: password reset.',
};

beforeEach(async () => {
  waits = [];
  fake = await startFakeHalo();
  fake.addTicket(fixture('ticket-full.json'));
  for (const a of fixture('actions.json').actions as Json[]) fake.addAction(a);
});
afterEach(async () => {
  expect(fake.vendorProblems).toEqual([]); // every body and query we sent is one Halo documents
  await fake.close();
});

describe('HaloPSA connector against a fake Halo over real HTTP', () => {
  it('fetches (token discovered via /api/authinfo, cached) and normalizes a ticket with its notes', async () => {
    const ctx = ctxFor();
    const fetched = await halo.fetchTicket(ctx, '4242');
    expect(fetched.ok).toBe(true);
    if (!fetched.ok) return;
    const t = halo.normalize(fetched.value, ctx.instance, ctx.settings);
    expect(t).toMatchObject({
      tier: 'T1',
      owner: { id: '12' },
      priority: { level: 2 },
      status: { category: 'open' },
      version: '2026-11-24T15:41:10.123Z',
    });
    expect(t.latestNote).toContain('conditional access');
    // Only the note with our marker AND our API agent (38 = /Agent/me) is ours; 38's unmarked note is not (issue 12).
    expect(t.recentNotes!.filter((n) => n.ours)).toHaveLength(1);
    expect(fake.requestsTo('GET', '/api/authinfo')).toHaveLength(1);
    const token = fake.requestsTo('POST', '/auth/token')[0]!;
    expect(token.query.tenant).toBe('fake');
    expect(token.body).toContain('grant_type=client_credentials');
    expect(fake.requestsTo('GET', '/api/Tickets/4242')[0]!.query).toEqual({
      includedetails: 'true',
      includelastaction: 'false',
    });
    expect(fake.requestsTo('GET', '/api/Actions')[0]!.query).toMatchObject({ ticket_id: '4242' });
    await halo.fetchTicket(ctx, '4242');
    expect(fake.tokensIssued).toBe(1); // shared cache: no second token
  });

  it('refreshes an expired token once after a 401; a second 401 is psa_auth', async () => {
    const ctx = ctxFor({ connection: { authUrl: `${fake.origin}/auth` } });
    expect((await halo.fetchTicket(ctx, '4242')).ok).toBe(true);
    fake.expireTokens();
    expect((await halo.fetchTicket(ctx, '4242')).ok).toBe(true);
    expect(fake.tokensIssued).toBe(2);
    fake.fail({ path: '/api/Tickets/4242', status: 401, times: 2 });
    const r = await halo.fetchTicket(ctx, '4242');
    expect(r.ok ? 'ok' : r.error.code).toBe('psa_auth');
    expect(fake.tokensIssued).toBe(3);
    expect(fake.requestsTo('GET', '/api/authinfo')).toHaveLength(0); // configured authUrl: no discovery
  });

  it('sends the configured tenant on the token request; refused client credentials are psa_auth, never retried', async () => {
    await fake.close();
    fake = await startFakeHalo({ tenant: 'initech' });
    fake.addTicket({ id: 7, summary: 'x' });
    const good = ctxFor({ connection: { tenant: 'initech' } });
    expect((await halo.fetchTicket(good, '7')).ok).toBe(true);
    expect(fake.requestsTo('POST', '/auth/token')[0]!.query).toEqual({ tenant: 'initech' });
    const bad = ctxFor({ connection: { tenant: 'initech', clientSecret: 'wrong' } });
    const r = await halo.fetchTicket(bad, '7');
    expect(r.ok ? 'ok' : r.error.code).toBe('psa_auth');
    expect(fake.requestsTo('POST', '/auth/token')).toHaveLength(2);
    expect(fake.requestsTo('GET', '/api/Tickets/7')).toHaveLength(1);
  });

  it('maps a missing ticket to not_found and a redirect to redirect_refused', async () => {
    const ctx = ctxFor();
    const gone = await halo.fetchTicket(ctx, '1');
    expect(gone.ok ? 'ok' : gone.error.code).toBe('not_found');
    fake.fail({ path: '/api/Tickets/4242', status: 302, headers: { location: 'http://169.254.169.254/' } });
    const moved = await halo.fetchTicket(ctx, '4242');
    expect(moved.ok ? 'ok' : moved.error.code).toBe('redirect_refused');
  });

  it('waits out a 429 with Retry-After and retries a 500 on reads', async () => {
    const ctx = ctxFor();
    fake.fail({
      path: '/api/Tickets/4242',
      status: 429,
      headers: { 'retry-after': '7' },
      body: 'Rate Limit Reached - 300 Requests per rolling 5 minute window',
    });
    fake.fail({ path: '/api/Actions', status: 500 });
    const r = await halo.fetchTicket(ctx, '4242');
    expect(r.ok).toBe(true);
    expect(waits[0]).toBe(7000);
    expect(fake.requestsTo('GET', '/api/Tickets/4242')).toHaveLength(2);
    expect(fake.requestsTo('GET', '/api/Actions')).toHaveLength(2);
  });

  it('backs off 30 s on a 429 without Retry-After (the window is a rolling 5 minutes)', async () => {
    const ctx = ctxFor();
    fake.fail({ method: 'POST', path: '/api/Actions', status: 429 });
    const results = await halo.applyActions(ctx, await plan(ctx, '4242', { notes: [handoff] }));
    expect(results[0]!.status).toBe('applied');
    expect(waits).toEqual([30_000]);
    expect(fake.requestsTo('POST', '/api/Actions')).toHaveLength(2);
    expect(fake.actions.filter((a) => String(a.note).includes(handoff.marker))).toHaveLength(1);
  });

  it('reassigns + re-prioritises in ONE POST /api/Tickets carrying the id, reads back, then posts one private note', async () => {
    const ctx = ctxFor();
    const p = await plan(ctx, '4242', {
      reassign: reassignToT2,
      priority: { actionId: 'a-prio', id: 1, name: 'P1' },
      notes: [handoff],
    });
    const results = await halo.applyActions(ctx, p);
    expect(results).toEqual([
      { actionId: 'a-reassign', action: 'reassign', status: 'applied', remoteId: '4242' },
      { actionId: 'a-prio', action: 'priority', status: 'applied', remoteId: '4242' },
      expect.objectContaining({ actionId: 'a-note', action: 'note', status: 'applied' }),
    ]);
    const writes = fake.requestsTo('POST', '/api/Tickets');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.body).toEqual([{ id: 4242, team: '2nd Line Support', agent_id: 13, priority_id: 1 }]);
    expect(fake.created).toEqual([]);
    const notes = fake.requestsTo('POST', '/api/Actions');
    expect(notes.map((n) => n.body)).toEqual([
      [
        {
          ticket_id: 4242,
          outcome: 'Private Note',
          note: `${handoff.text}\n\n${handoff.marker}`,
          hiddenfromuser: true,
          sendemail: false,
        },
      ],
    ]);
    const order = fake.requests
      .filter((r) => r.method === 'POST' || r.path === '/api/Tickets/4242')
      .map((r) => `${r.method} ${r.path}`);
    expect(order.slice(-3)).toEqual(['POST /api/Tickets', 'GET /api/Tickets/4242', 'POST /api/Actions']);
    expect(fake.tickets.get(4242)).toMatchObject({ team: '2nd Line Support', agent_id: 13, priority_id: 1 });
  });

  it('sends only the fields that differ; nothing differs → no write at all', async () => {
    const ctx = ctxFor();
    fake.tickets.get(4242)!.team = '2nd Line Support';
    const first = await halo.applyActions(ctx, await plan(ctx, '4242', { reassign: reassignToT2 }));
    expect(first[0]!.status).toBe('applied');
    expect(fake.requestsTo('POST', '/api/Tickets').map((r) => r.body)).toEqual([[{ id: 4242, agent_id: 13 }]]);
    const again = await halo.applyActions(
      ctx,
      await plan(ctx, '4242', { reassign: reassignToT2, priority: { actionId: 'p', id: 2, name: 'P2' } }),
    );
    expect(again.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(fake.requestsTo('POST', '/api/Tickets')).toHaveLength(1);
  });

  it('catches a write that did not take (false 200) by read-back and posts no note', async () => {
    const ctx = ctxFor();
    fake.falseTicketWrites = 1;
    const results = await halo.applyActions(ctx, await plan(ctx, '4242', { reassign: reassignToT2, notes: [handoff] }));
    expect(results[0]).toMatchObject({ action: 'reassign', status: 'failed', error: { code: 'write_not_applied' } });
    expect(results[1]).toMatchObject({ action: 'note', status: 'failed', error: { code: 'write_not_applied' } });
    expect(fake.requestsTo('POST', '/api/Actions')).toHaveLength(0);
  });

  it('refuses an unknown team without writing', async () => {
    const ctx = ctxFor();
    const results = await halo.applyActions(
      ctx,
      await plan(ctx, '4242', { reassign: { ...reassignToT2, location: { team: 'Nowhere' } } }),
    );
    expect(results[0]).toMatchObject({ status: 'failed', error: { code: 'validation' } });
    expect(fake.requestsTo('POST', '/api/Tickets')).toHaveLength(0);
  });

  it('posts notes idempotently: a retry with verify finds the marker and skips; a false-200 note is reported', async () => {
    const ctx = ctxFor();
    const first = await halo.applyActions(ctx, await plan(ctx, '4242', { notes: [handoff] }));
    expect(first[0]!.status).toBe('applied');
    const retry = await halo.applyActions(ctx, await plan(ctx, '4242', { notes: [handoff], verify: true }));
    expect(retry[0]).toMatchObject({ status: 'skipped', remoteId: expect.any(String) });
    expect(fake.actions.filter((a) => String(a.note).includes(handoff.marker))).toHaveLength(1);
    fake.falseNoteWrites = 1;
    const lost = await halo.applyActions(
      ctx,
      await plan(ctx, '4242', { notes: [{ ...handoff, actionId: 'n2', marker: '[esc:abcdef01]' }] }),
    );
    expect(lost[0]).toMatchObject({ status: 'failed', error: { code: 'write_not_applied' } });
  });

  it('posts a customer note visible to the user with the configured outcome', async () => {
    const ctx = ctxFor();
    await halo.applyActions(
      ctx,
      await plan(ctx, '4242', {
        notes: [
          { actionId: 'c', marker: '[esc:c0ffee]', visibility: 'customer', text: 'We have escalated your request.' },
        ],
      }),
    );
    expect(fake.requestsTo('POST', '/api/Actions')[0]!.body).toEqual([
      {
        ticket_id: 4242,
        outcome: 'Email User',
        note: 'We have escalated your request.\n\n[esc:c0ffee]',
        hiddenfromuser: false,
      },
    ]);
  });

  it('drops the echo of our own API agent and keeps other agents’ events', async () => {
    const ctx = ctxFor();
    const body = (agent: number) =>
      Buffer.from(JSON.stringify({ ...fixture('webhook-status-changed.json'), agent_id: agent }));
    const parse = (raw: Buffer) =>
      halo.parseWebhook(ctx, {
        headers: {},
        rawBody: raw,
        json: JSON.parse(raw.toString()),
        query: {},
        ip: '127.0.0.1',
      });
    expect(await parse(body(38))).toEqual({
      ok: true,
      value: { ignore: 'echo', eventId: 'a726ee11-acb8-f111-8260-02725cb0e102', ticketId: '4242' },
    });
    expect(await parse(body(12))).toMatchObject({ ok: true, value: { ticketId: '4242', actor: '12' } });
    expect(fake.requestsTo('GET', '/api/Agent/me')).toHaveLength(1);
  });

  it('does not drop an event as an echo when the ticket in the payload is assigned to our API agent (agent_id may be the assignee)', async () => {
    const ctx = ctxFor();
    const live = fixture('webhook-status-changed.json') as { ticket: Record<string, unknown> };
    const raw = Buffer.from(JSON.stringify({ ...live, agent_id: 38, ticket: { ...live.ticket, agent_id: 38 } }));
    const req = { headers: {}, rawBody: raw, json: JSON.parse(raw.toString()) as unknown, query: {}, ip: '127.0.0.1' };
    expect(await halo.parseWebhook(ctx, req)).toMatchObject({
      ok: true,
      value: { ticketId: '4242', actor: '38', eventId: 'a726ee11-acb8-f111-8260-02725cb0e102' },
    });
    // the same delivery about a ticket assigned to someone else is still our echo
    const echo = Buffer.from(JSON.stringify({ ...live, agent_id: 38, ticket: { ...live.ticket, agent_id: 13 } }));
    expect(
      await halo.parseWebhook(ctx, { ...req, rawBody: echo, json: JSON.parse(echo.toString()) as unknown }),
    ).toMatchObject({ ok: true, value: { ignore: 'echo' } });
  });

  it('does not hold the webhook ack for a slow /Agent/me: the event passes, the lookup fills the cache for later echoes', async () => {
    const ctx = ctxFor();
    fake.fail({ method: 'GET', path: '/api/Agent/me', status: 200, body: { id: 38 }, delayMs: 2_500 });
    const raw = Buffer.from(JSON.stringify({ ...fixture('webhook-status-changed.json'), agent_id: 38 }));
    const req = { headers: {}, rawBody: raw, json: JSON.parse(raw.toString()) as unknown, query: {}, ip: '127.0.0.1' };
    expect(await halo.parseWebhook(ctx, req)).toMatchObject({ ok: true, value: { ticketId: '4242', actor: '38' } });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await halo.parseWebhook(ctx, req)).toMatchObject({ ok: true, value: { ignore: 'echo' } });
    expect(fake.requestsTo('GET', '/api/Agent/me')).toHaveLength(1);
  });
  it('remembers our agent id in process: later deliveries read neither Halo nor the shared cache', async () => {
    const base = ctxFor();
    const reads: string[] = [];
    const ctx = {
      ...base,
      cache: {
        get: <T>(k: string) => (reads.push(k), base.cache.get<T>(k)),
        set: (k: string, v: unknown, ttl: number) => base.cache.set(k, v, ttl),
        delete: (k: string) => base.cache.delete(k),
      },
    };
    fake.fail({ method: 'GET', path: '/api/Agent/me', status: 200, body: { id: 38 } });
    const raw = Buffer.from(JSON.stringify({ ...fixture('webhook-status-changed.json'), agent_id: 38 }));
    const req = { headers: {}, rawBody: raw, json: JSON.parse(raw.toString()) as unknown, query: {}, ip: '127.0.0.1' };
    expect(await halo.parseWebhook(ctx, req)).toMatchObject({ ok: true, value: { ignore: 'echo' } });
    const afterFirst = reads.filter((k) => k.includes('agent-me')).length;
    for (let i = 0; i < 5; i++)
      expect(await halo.parseWebhook(ctx, req)).toMatchObject({ ok: true, value: { ignore: 'echo' } });
    expect(reads.filter((k) => k.includes('agent-me'))).toHaveLength(afterFirst);
    expect(fake.requestsTo('GET', '/api/Agent/me')).toHaveLength(1);
  });
});

describe('HaloPSA webhook registration', () => {
  const hook = 'https://escalator.example.com/webhooks/initech-halo';

  it('creates, then leaves alone, then repairs in place, removing duplicates (never two)', async () => {
    const ctx = ctxFor();
    expect(await halo.webhookState(ctx, hook)).toEqual({ ok: true, value: 'missing' });
    const created = await halo.registerWebhooks(ctx, hook);
    expect(created).toMatchObject({ ok: true, value: { created: 1, updated: 0, unchanged: 0, removed: 0 } });
    expect(fake.webhooks).toHaveLength(1);
    expect(fake.webhooks[0]).toMatchObject({
      url: hook,
      type: 0,
      authentication_type: 1,
      basic_username: 'escalator',
      basic_password: 'hook-pass',
      active: true,
    });
    expect(created.ok && created.value.manualSteps?.join(' ')).toMatch(/Events/); // events are bound in the UI
    expect(await halo.webhookState(ctx, hook)).toEqual({ ok: true, value: 'active' });
    fake.bindEvents = true;
    expect(await halo.registerWebhooks(ctx, hook)).toEqual({
      ok: true,
      value: { created: 0, updated: 0, unchanged: 1, removed: 0 },
    });
    const id = fake.webhooks[0]!.id;
    Object.assign(fake.webhooks[0]!, { active: false, basic_username: 'someone-else' });
    expect(await halo.webhookState(ctx, hook)).toEqual({ ok: true, value: 'inactive' });
    const repaired = await halo.registerWebhooks(ctx, hook);
    expect(repaired).toEqual({ ok: true, value: { created: 0, updated: 1, unchanged: 0, removed: 0 } });
    expect(fake.webhooks).toEqual([expect.objectContaining({ id, active: true, basic_username: 'escalator' })]);
    // A duplicate made by hand: the active one pointing at us is kept, the other removed.
    fake.webhooks.push({ ...fake.webhooks[0]!, id: 'dup-guid', active: false });
    expect(await halo.registerWebhooks(ctx, hook)).toEqual({
      ok: true,
      value: { created: 0, updated: 0, unchanged: 1, removed: 1 },
    });
    expect(fake.webhooks.map((w) => w.id)).toEqual([id]);
    expect(fake.requestsTo('POST', '/api/Webhook').every((r) => (r.body as Json[]).length === 1)).toBe(true);
  });

  it('prints the exact manual steps (no secrets) when the API user lacks the permission', async () => {
    const ctx = ctxFor();
    fake.canManageWebhooks = false;
    const r = await halo.registerWebhooks(ctx, hook);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.created).toBe(0);
    expect(r.value.manualSteps!.join('\n')).toContain(hook);
    expect(r.value.manualSteps!.join('\n')).not.toContain('hook-pass');
    expect(await halo.webhookState(ctx, hook)).toEqual({ ok: true, value: 'unknown' });
  });
});

describe('HaloPSA reconciliation (listChangedSince)', () => {
  it('pages through open tickets (100 per page) and keeps those updated since the cursor', async () => {
    const ctx = ctxFor();
    fake.tickets.clear();
    for (let i = 1; i <= 230; i += 1) {
      const day = i % 2 === 0 ? '2026-11-24' : '2026-11-20';
      fake.addTicket({
        id: i,
        summary: `t${i}`,
        status_id: i === 10 ? 9 : 2,
        last_update: `${day}T10:00:00`,
        team: '1st Line Support',
      });
    }
    const seen: string[] = [];
    const pages: (string | undefined)[] = [];
    let page: string | undefined;
    do {
      const r = await halo.listChangedSince(ctx, '2026-11-23T00:00:00Z', page);
      if (!r.ok) throw r.error;
      seen.push(...r.value.items.map((x) => x.ticketId));
      expect(r.value.highWater).toBe('2026-11-24T10:00:00Z');
      pages.push(page);
      page = r.value.nextPage;
    } while (page);
    expect(pages).toEqual([undefined, '2', '3']);
    expect(seen).toHaveLength(114); // 115 even ids, minus the closed ticket 10
    expect(seen).not.toContain('10');
    expect(fake.requestsTo('GET', '/api/Tickets').map((r) => r.query)).toEqual(
      ['1', '2', '3'].map((n) => ({ pageinate: 'true', page_size: '100', page_no: n, open_only: 'true' })),
    );
  });

  it('handles bare-array list answers (no record_count): a short page ends the sweep', async () => {
    await fake.close();
    fake = await startFakeHalo({ listShape: 'bare' });
    fake.addTicket({ id: 5, last_update: '2026-11-24T10:00:00' });
    fake.addTicket({ id: 6 });
    const r = await halo.listChangedSince(ctxFor(), '2026-11-23T00:00:00Z');
    expect(r).toEqual({
      ok: true,
      value: {
        items: [{ ticketId: '5', version: '2026-11-24T10:00:00Z' }, { ticketId: '6' }],
        highWater: '2026-11-24T10:00:00Z',
      },
    });
  });
});
