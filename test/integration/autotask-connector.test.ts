import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { autotask } from '../../connectors/autotask/index.js';
import type { AutotaskSettings } from '../../connectors/autotask/schemas.js';
import type { ConnectorContext, FetchedTicket, WritePlan } from '../../src/contract/index.js';
import { autotaskCtx, closeCheckedAutotask, startSeededAutotask } from '../helpers/autotask-connector.js';
import { FakeAutotask } from '../helpers/fake-autotask.js';

// The Autotask connector against a fake Autotask over real HTTP (test/helpers/fake-autotask.ts), through the real
// outbound client (retries, Retry-After, no redirects) that testContext() builds.

const makeCtx = autotaskCtx;

let fake: FakeAutotask;
let ctx: ConnectorContext<AutotaskSettings>;

beforeEach(async () => {
  fake = await startSeededAutotask();
  ctx = makeCtx(fake.connection());
});
afterEach(() => closeCheckedAutotask(fake));

async function fetched(id = '351181'): Promise<FetchedTicket> {
  const r = await autotask.fetchTicket(ctx, id);
  if (!r.ok) throw r.error;
  return r.value;
}

async function planFor(extra: Partial<WritePlan>): Promise<WritePlan> {
  const f = await fetched();
  return {
    ticketId: '351181',
    current: autotask.normalize(f, ctx.instance, ctx.settings),
    fetched: f,
    notes: [],
    verify: false,
    ...extra,
  };
}

const toT2 = {
  actionId: 'a-reassign',
  location: { queueID: 29682969 },
  tier: 'T2',
  owner: { resourceID: 29684003, roleID: 29683002 },
  ownerName: 't2.erin',
};
const handoff = {
  actionId: 'a-note',
  marker: '[esc:7f3a2c]',
  visibility: 'internal' as const,
  text: 'Escalated to T2 (t1-timeout).\nCustomer: Globex',
};

describe('read', () => {
  it('fetches and normalizes a ticket with its notes and lookups', async () => {
    const t = autotask.normalize(await fetched(), ctx.instance, ctx.settings);
    expect(t).toMatchObject({
      ref: { instance: 'globex-at', psa: 'autotask', id: '351181' },
      tier: 'T1',
      status: { id: '1', name: 'New', category: 'open' },
      priority: { id: '2', name: 'Medium', level: 3 },
      owner: { id: '29684010', name: 'Tom Tier-One' },
      company: { id: '174', name: 'Globex Corporation', vip: true },
      contact: { name: 'Dana Schäfer', email: 'dana.schaefer@globex.example' },
      affectedSystems: 'HP LaserJet M607 (2nd floor)',
      latestNote: 'Phone call\nPower-cycled the printer; no change.',
      version: '2026-11-24T15:10:02.433Z',
    });
    const get = fake.calls('GET', /^\/Tickets\/351181$/)[0]!;
    expect(get.headers).toMatchObject({
      apiintegrationcode: fake.state.integrationCode,
      username: fake.state.username,
      secret: fake.state.secret,
    });
  });

  it('caches picklists and lookups: a second fetch costs the ticket and its notes only', async () => {
    await fetched();
    const before = fake.requests.length;
    await fetched();
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /atservicesrest/v1.0/Tickets/351181',
      'GET /atservicesrest/v1.0/Tickets/351181/Notes',
    ]);
  });

  it('discovers the zone once (unauthenticated) and uses the URL it reports', async () => {
    ctx = makeCtx(fake.connection(true));
    await fetched();
    await fetched();
    const zone = fake.requests.filter((r) => /zoneinformation/i.test(r.path));
    expect(zone).toHaveLength(1);
    expect(zone[0]!.headers['secret']).toBeUndefined();
    expect(fake.calls('GET', /^\/Tickets\/351181$/).map((r) => r.path)).toEqual([
      '/ATServicesRest/V1.0/Tickets/351181',
      '/ATServicesRest/V1.0/Tickets/351181',
    ]);
  });

  it('maps a gone ticket to not_found and bad credentials to psa_auth', async () => {
    expect(await autotask.fetchTicket(ctx, '999')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    ctx = makeCtx({ ...fake.connection(), secret: 'wrong' });
    expect(await autotask.fetchTicket(ctx, '351181')).toMatchObject({ ok: false, error: { code: 'psa_auth' } });
    ctx = makeCtx({ ...fake.connection(), integrationCode: 'WRONG' });
    expect(await autotask.fetchTicket(ctx, '351181')).toMatchObject({
      ok: false,
      error: { code: 'psa_auth', retryable: false },
    });
  });

  it('waits out a 429 with Retry-After and then succeeds', async () => {
    fake.fail({
      method: 'GET',
      path: '/Tickets/351181',
      status: 429,
      headers: { 'retry-after': '1' },
      body: { errors: ['Rate limit exceeded'] },
    });
    const started = Date.now();
    await fetched();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.calls('GET', /^\/Tickets\/351181$/)).toHaveLength(2);
  });

  it('hands a 429 without Retry-After back with a one-minute wait instead of hammering the hourly threshold', async () => {
    fake.fail({
      method: 'GET',
      path: '/Tickets/351181',
      status: 429,
      body: { errors: ['API request threshold exceeded'] },
    });
    expect(await autotask.fetchTicket(ctx, '351181')).toMatchObject({
      ok: false,
      error: { code: 'rate_limited', retryAfterMs: 60_000 },
    });
    expect(fake.calls('GET', /^\/Tickets\/351181$/)).toHaveLength(1);
  });

  it('never follows a redirect', async () => {
    fake.fail({
      method: 'GET',
      path: '/Tickets/351181',
      status: 302,
      headers: { location: 'http://169.254.169.254/' },
    });
    expect(await autotask.fetchTicket(ctx, '351181')).toMatchObject({ ok: false, error: { code: 'redirect_refused' } });
  });
});

describe('write-back', () => {
  it('reassigns and re-prioritises in one PATCH with exactly the fields Autotask expects, reads back, then notes', async () => {
    const results = await autotask.applyActions(
      ctx,
      await planFor({ reassign: toT2, priority: { actionId: 'a-prio', id: 1, name: 'P2' }, notes: [handoff] }),
    );
    expect(results).toEqual([
      { actionId: 'a-reassign', action: 'reassign', status: 'applied' },
      { actionId: 'a-prio', action: 'priority', status: 'applied' },
      { actionId: 'a-note', action: 'note', status: 'applied', remoteId: expect.any(String) },
    ]);
    const patches = fake.calls('PATCH', /^\/Tickets$/);
    expect(patches.map((p) => p.body)).toEqual([
      { id: 351181, queueID: 29682969, assignedResourceID: 29684003, assignedResourceRoleID: 29683002, priority: 1 },
    ]);
    const order = fake.requests.map((r) => `${r.method} ${r.path.replace(/^\/atservicesrest\/v1\.0/i, '')}`);
    const patchAt = order.indexOf('PATCH /Tickets');
    expect(order.slice(patchAt)).toEqual(['PATCH /Tickets', 'GET /Tickets/351181', 'POST /Tickets/351181/Notes']);
    const note = fake.calls('POST', /^\/Tickets\/351181\/Notes$/)[0]!.body as Record<string, unknown>;
    expect(note).toMatchObject({ ticketID: 351181, noteType: 1, publish: 2 });
    expect(String(note.title)).toContain('[esc:7f3a2c]');
    expect(String(note.description)).toContain('[esc:7f3a2c]');
    expect(fake.state.tickets.get(351181)).toMatchObject({
      queueID: 29682969,
      assignedResourceID: 29684003,
      priority: 1,
    });
  });

  it('sends only what differs from the re-read ticket (nothing when it is already there)', async () => {
    const already = { ...toT2, location: { queueID: 29682833 }, owner: { resourceID: 29684010, roleID: 29683001 } };
    const results = await autotask.applyActions(
      ctx,
      await planFor({ reassign: already, priority: { actionId: 'a-prio', id: 'High', name: 'P2' } }),
    );
    expect(results.map((r) => r.status)).toEqual(['skipped', 'applied']);
    expect(fake.calls('PATCH', /^\/Tickets$/).map((p) => p.body)).toEqual([{ id: 351181, priority: 1 }]);
  });

  it('catches a write that did not take (false 200) on read-back and posts no note', async () => {
    fake.falseWrites = 1;
    const results = await autotask.applyActions(ctx, await planFor({ reassign: toT2, notes: [handoff] }));
    expect(results[0]).toMatchObject({ status: 'failed', error: { code: 'write_not_applied' } });
    expect(results[1]).toMatchObject({
      action: 'note',
      status: 'failed',
      error: { message: expect.stringContaining('not attempted') },
    });
    expect(fake.calls('POST', /Notes$/)).toHaveLength(0);
  });

  it('treats a business-rule 500 {"errors":[…]} as a non-retryable validation failure (one request)', async () => {
    const wrongRole = { ...toT2, owner: { resourceID: 29684003, roleID: 29683003 } };
    const results = await autotask.applyActions(ctx, await planFor({ reassign: wrongRole, notes: [handoff] }));
    expect(results[0]).toMatchObject({
      status: 'failed',
      error: { code: 'validation', message: expect.stringContaining('Role does not exist') },
    });
    expect(fake.calls('PATCH', /^\/Tickets$/)).toHaveLength(1);
    expect(fake.calls('POST', /Notes$/)).toHaveLength(0);
  });

  it('retries a thread-limit rejection (Itgenatr005), even for a note POST, and posts the note once', async () => {
    fake.fail({
      method: 'POST',
      path: '/Tickets/351181/Notes',
      status: 500,
      body: {
        errors: [
          'Itgenatr005 Thread Threshold Exceeded - The Autotask API thread threshold of 3 threads has been exceeded.',
        ],
      },
    });
    const results = await autotask.applyActions(ctx, await planFor({ notes: [handoff] }));
    expect(results).toEqual([{ actionId: 'a-note', action: 'note', status: 'applied', remoteId: expect.any(String) }]);
    expect(fake.calls('POST', /Notes$/)).toHaveLength(2);
    expect(fake.state.notes.get(351181)!.filter((n) => String(n.description).includes('[esc:7f3a2c]'))).toHaveLength(1);
  });

  it('never blind-retries a note after an ambiguous 5xx, and the retried job finds the marker instead of posting again', async () => {
    fake.fail({ method: 'POST', path: '/Tickets/351181/Notes', status: 502, body: 'Bad Gateway' });
    const first = await autotask.applyActions(ctx, await planFor({ notes: [handoff] }));
    expect(first[0]).toMatchObject({ status: 'failed', error: { code: 'psa_unavailable' } });
    expect(fake.calls('POST', /Notes$/)).toHaveLength(1);
    // The job is retried: the first attempt's note is posted, then a crash-retry checks the marker.
    const second = await autotask.applyActions(ctx, await planFor({ notes: [handoff], verify: true }));
    expect(second[0]).toMatchObject({ status: 'applied' });
    const third = await autotask.applyActions(ctx, await planFor({ notes: [handoff], verify: true }));
    expect(third[0]).toMatchObject({ status: 'skipped' });
    expect(fake.state.notes.get(351181)!.filter((n) => String(n.description).includes('[esc:7f3a2c]'))).toHaveLength(1);
  });

  it('reads back our own note as ours, not as the latest customer-facing note', async () => {
    await autotask.applyActions(ctx, await planFor({ notes: [handoff] }));
    const t = autotask.normalize(await fetched(), ctx.instance, ctx.settings);
    expect(t.recentNotes?.[0]).toMatchObject({ ours: true, internal: true });
    expect(t.latestNote).toBe('Phone call\nPower-cycled the printer; no change.');
  });
});
