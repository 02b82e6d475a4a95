import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { connectwise } from '../../connectors/connectwise/index.js';
import { callbackModel, noteModel, validate, validateTicketPatch } from '../helpers/vendor-schemas/connectwise.js';
import type { ConnectorContext, InstanceInfo, Mapping, WritePlan } from '../../src/contract/index.js';
import type { ConnectWiseSettings } from '../../connectors/connectwise/schemas.js';
import { testContext } from '../helpers/connector-context.js';
import { cwTicket, FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';

// The ConnectWise connector against a local fake ConnectWise over real HTTP, through the real outbound client.

const mapping: Mapping = {
  tiers: {
    T1: { board: 1, team: 3 },
    T2: [
      { board: 1, team: 4 },
      { board: 5, team: 9 },
    ],
    T3: [
      { board: 12, team: 27 },
      { board: 12, team: 30 },
    ],
    T4: { board: 14 },
  },
  groups: { tier2: { board: 1, team: 4 }, tier3: { board: 12, team: 27 } },
  priorities: { P1: [4], P2: [5], P3: [6], P4: [7, 8] },
  statuses: { waiting_customer: ['Waiting Customer'], closed: ['Closed'] },
  members: { 't2.erin': 'erin.t' },
  vipCompanies: ['HQCorp'],
};
const instance: Omit<InstanceInfo, 'rateLimit' | 'kind' | 'policy' | 'mode'> = { id: 'acme-cw', mapping };
const ENTERED = '2026-01-27T13:00:00Z';

let fake: FakeConnectWise;
let waits: number[];

function ctxFor(
  connection: Partial<ConnectWiseSettings['connection']> = {},
  extra: Record<string, unknown> = {},
): ConnectorContext<ConnectWiseSettings> {
  const settings = fake.settings();
  return testContext({
    connector: connectwise,
    instance,
    settings: { ...settings, connection: { ...settings.connection, ...connection }, ...extra },
    http: { sleep: async (ms) => void waits.push(ms) },
  });
}

async function plan(
  ctx: ConnectorContext<ConnectWiseSettings>,
  ticketId: string,
  parts: Partial<WritePlan>,
): Promise<WritePlan> {
  const fetched = await connectwise.fetchTicket(ctx, ticketId);
  if (!fetched.ok) throw fetched.error;
  const current = connectwise.normalize(fetched.value, ctx.instance, ctx.settings);
  return { ticketId, current, fetched: fetched.value, notes: [], verify: false, ...parts };
}

const reassignTo = (location: Record<string, number>, owner: unknown = null) => ({
  actionId: 'a-reassign',
  location,
  tier: 'T2',
  owner,
});
const handoff = (marker = '[esc:7f3a2c]') => ({
  actionId: 'a-note',
  marker,
  visibility: 'internal' as const,
  text: `Escalated T1 -> T2 (t1-timeout).\n\n${marker}`,
});

beforeEach(async () => {
  fake = seedConnectWise(await new FakeConnectWise().start());
  waits = [];
  cwTicket(fake, 1001, ENTERED);
  fake.addNote(1001, {
    text: 'Users cannot open Outlook since this morning.',
    detailDescriptionFlag: true,
    dateCreated: ENTERED,
  });
  fake.addNote(1001, {
    text: 'Recreated the mail profile; no change.',
    internalAnalysisFlag: true,
    member: { id: 150, identifier: 'jsmith' },
    dateCreated: '2026-01-27T13:40:00Z',
  });
});

afterEach(async () => {
  // Every body we sent must conform to the vendor's published request schema.
  for (const r of fake.writes()) {
    if (r.method === 'PATCH' && /\/service\/tickets\/\d+$/.test(r.path))
      expect(validateTicketPatch(r.body), r.path).toEqual([]);
    if (r.method === 'POST' && /\/notes$/.test(r.path)) expect(validate(noteModel, r.body), r.path).toEqual([]);
    if (/\/system\/callbacks/.test(r.path) && r.method !== 'DELETE')
      expect(validate(callbackModel, r.body), r.path).toEqual([]);
  }
  await fake.close();
});

describe('read', () => {
  it('fetches ticket + notes with API-member auth, clientId and a pinned Accept version, then normalizes', async () => {
    const ctx = ctxFor();
    const res = await connectwise.fetchTicket(ctx, '1001');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const t = connectwise.normalize(res.value, ctx.instance, ctx.settings);
    expect(t).toMatchObject({
      tier: 'T1',
      owner: { id: 'jsmith' },
      priority: { level: 3 },
      company: { vip: true },
      createdAt: ENTERED,
      version: ENTERED,
    });
    expect(t.description).toBe('Users cannot open Outlook since this morning.');
    expect(t.latestNote).toBe('Recreated the mail profile; no change.');
    const [get, notes] = fake.requests;
    expect(get?.path).toBe('/v2025_1/apis/3.0/service/tickets/1001');
    expect(get?.headers.authorization).toBe(`Basic ${Buffer.from('acme+pub-key:priv-key').toString('base64')}`);
    expect(get?.headers['clientid']).toBe(fake.clientId);
    expect(get?.headers.accept).toBe('application/vnd.connectwise.com+json; version=2025.8');
    expect(notes?.path).toBe('/v2025_1/apis/3.0/service/tickets/1001/notes');
    expect(notes?.query.get('orderBy')).toBe('id desc');
  });

  it('discovers the codebase via /login/companyinfo, caches it, and rediscovers once after a move', async () => {
    const ctx = ctxFor({ baseUrl: undefined, site: fake.origin });
    expect((await connectwise.fetchTicket(ctx, '1001')).ok).toBe(true);
    expect((await connectwise.fetchTicket(ctx, '1001')).ok).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/login/companyinfo/acme')).toHaveLength(1);
    fake.codebase = 'v2025_2';
    expect((await connectwise.fetchTicket(ctx, '1001')).ok).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/login/companyinfo/acme')).toHaveLength(2);
    expect(fake.requests.at(-1)?.path).toBe('/v2025_2/apis/3.0/service/tickets/1001/configurations');
  });

  it('reports a gone ticket as not_found without rediscovery; 401 as psa_auth; a redirect is never followed', async () => {
    const ctx = ctxFor({ baseUrl: undefined, site: fake.origin });
    expect(await connectwise.fetchTicket(ctx, '4040')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(fake.requests.filter((r) => r.path.startsWith('/login/'))).toHaveLength(1);
    expect(await connectwise.fetchTicket(ctxFor({ privateKey: 'wrong' }), '1001')).toMatchObject({
      ok: false,
      error: { code: 'psa_auth' },
    });
    fake.script(
      { method: 'GET', path: '/service/tickets/1001' },
      { status: 302, headers: { location: `${fake.origin}/elsewhere` } },
    );
    const before = fake.requests.length;
    expect(await connectwise.fetchTicket(ctxFor(), '1001')).toMatchObject({
      ok: false,
      error: { code: 'redirect_refused' },
    });
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual(['/v2025_1/apis/3.0/service/tickets/1001']);
  });

  it('retries an idempotent GET through 500s', async () => {
    fake.script(
      { method: 'GET', path: '/service/tickets/1001' },
      { status: 500, body: { code: 'ServerError' } },
      { status: 502 },
    );
    expect((await connectwise.fetchTicket(ctxFor(), '1001')).ok).toBe(true);
    expect(fake.apiRequests('GET', /tickets\/1001$/)).toHaveLength(3);
  });
});

describe('write-back', () => {
  it('reassigns with one JSON-Patch of only the differing fields, reads back, then posts the internal handoff note', async () => {
    const ctx = ctxFor();
    const p = await plan(ctx, '1001', {
      reassign: reassignTo({ board: 1, team: 4 }, 'erin.t'),
      priority: { actionId: 'a-prio', id: 5, name: 'P2' },
      notes: [handoff()],
    });
    const results = await connectwise.applyActions(ctx, p);
    expect(results).toEqual([
      { actionId: 'a-reassign', action: 'reassign', status: 'applied' },
      { actionId: 'a-prio', action: 'priority', status: 'applied' },
      { actionId: 'a-note', action: 'note', status: 'applied', remoteId: expect.any(String) },
    ]);
    const writes = fake.writes();
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([
      'PATCH /v2025_1/apis/3.0/service/tickets/1001',
      'POST /v2025_1/apis/3.0/service/tickets/1001/notes',
    ]);
    expect(writes[0]?.body).toEqual([
      { op: 'replace', path: 'team', value: { id: 4 } },
      { op: 'replace', path: 'owner', value: { identifier: 'erin.t' } },
      { op: 'replace', path: 'priority', value: { id: 5 } },
    ]);
    expect(writes[1]?.body).toEqual({
      text: expect.stringContaining('[esc:7f3a2c]'),
      detailDescriptionFlag: false,
      internalAnalysisFlag: true,
      resolutionFlag: false,
      processNotifications: false,
    });
    const ticket = fake.tickets.get(1001)!;
    expect(ticket).toMatchObject({ team: { id: 4 }, owner: { identifier: 'erin.t' }, priority: { id: 5 } });
    expect(fake.apiRequests('GET', /tickets\/1001$/)).toHaveLength(2); // fetch + read-back
  });

  it('moves across boards with a status valid on the target board (same name, configured, or the default) and drops a missing team', async () => {
    let ctx = ctxFor();
    await connectwise.applyActions(
      ctx,
      await plan(ctx, '1001', { reassign: reassignTo({ board: 12, team: 27 }, 't3.grace') }),
    );
    expect(fake.writes()[0]?.body).toEqual([
      { op: 'replace', path: 'board', value: { id: 12 } },
      { op: 'replace', path: 'status', value: { id: 122 } },
      { op: 'replace', path: 'team', value: { id: 27 } },
      { op: 'replace', path: 'owner', value: { identifier: 't3.grace' } },
    ]);
    cwTicket(fake, 1002, ENTERED);
    ctx = ctxFor({}, { mapping: { boardStatusOnMove: 'new' } });
    await connectwise.applyActions(ctx, await plan(ctx, '1002', { reassign: reassignTo({ board: 12, team: 30 }) }));
    expect(fake.writes()[1]?.body).toEqual([
      { op: 'replace', path: 'board', value: { id: 12 } },
      { op: 'replace', path: 'status', value: { id: 121 } },
      { op: 'replace', path: 'team', value: { id: 30 } },
    ]);
    cwTicket(fake, 1003, ENTERED);
    const r = await connectwise.applyActions(ctx, await plan(ctx, '1003', { reassign: reassignTo({ board: 14 }) }));
    expect(r[0]?.status).toBe('applied');
    expect(fake.writes()[2]?.body).toEqual([
      { op: 'replace', path: 'board', value: { id: 14 } },
      { op: 'replace', path: 'status', value: { id: 140 } },
      { op: 'remove', path: 'team' },
    ]);
    expect(fake.tickets.get(1003)?.['team']).toBeUndefined();
  });

  it('catches the documented false 200 on read-back and posts no note', async () => {
    const ctx = ctxFor();
    fake.script({ method: 'PATCH', path: '/service/tickets/1001' }, { kind: 'falseOk' });
    const results = await connectwise.applyActions(
      ctx,
      await plan(ctx, '1001', { reassign: reassignTo({ board: 1, team: 4 }, 'erin.t'), notes: [handoff()] }),
    );
    expect(results[0]).toMatchObject({ action: 'reassign', status: 'failed', error: { code: 'write_not_applied' } });
    expect(results[1]).toMatchObject({ action: 'note', status: 'failed', error: { code: 'write_not_applied' } });
    expect(fake.apiRequests('POST')).toHaveLength(0);
  });

  it('skips writes already in place', async () => {
    const ctx = ctxFor();
    const results = await connectwise.applyActions(
      ctx,
      await plan(ctx, '1001', {
        reassign: reassignTo({ board: 1, team: 3 }, 'JSMITH'),
        priority: { actionId: 'a-prio', id: 6, name: 'P3' },
      }),
    );
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(fake.writes()).toHaveLength(0);
  });

  it('never posts a note twice: marker found on retry → skipped; answer lost after commit → found, not re-posted', async () => {
    const ctx = ctxFor();
    const first = await connectwise.applyActions(ctx, await plan(ctx, '1001', { notes: [handoff()] }));
    expect(first[0]?.status).toBe('applied');
    const retry = await connectwise.applyActions(ctx, await plan(ctx, '1001', { notes: [handoff()], verify: true }));
    expect(retry[0]).toMatchObject({ status: 'skipped', remoteId: first[0]?.remoteId });
    fake.script({ method: 'POST', path: '/service/tickets/1001/notes' }, { kind: 'commitThenDrop' });
    const dropped = await connectwise.applyActions(
      ctx,
      await plan(ctx, '1001', { notes: [handoff('[esc:abcdef12]')] }),
    );
    expect(dropped[0]?.status).toBe('applied');
    const ours = (fake.notes.get(1001) ?? []).filter((n) => /\[esc:/.test(n.text));
    expect(ours.map((n) => n.text.match(/\[esc:[0-9a-f]+\]/)?.[0])).toEqual(['[esc:7f3a2c]', '[esc:abcdef12]']);
    expect(fake.apiRequests('POST')).toHaveLength(2);
  });

  it('does not blind-retry a note POST after a 500 and reports it failed', async () => {
    const ctx = ctxFor();
    fake.script(
      { method: 'POST', path: '/service/tickets/1001/notes' },
      { status: 500, body: { code: 'ServerError', message: 'boom' } },
    );
    const r = await connectwise.applyActions(
      ctx,
      await plan(ctx, '1001', { notes: [handoff(), { ...handoff('[esc:0000aa]'), actionId: 'a-note-2' }] }),
    );
    expect(r.map((x) => [x.status, x.error?.code])).toEqual([
      ['failed', 'psa_unavailable'],
      ['failed', 'psa_unavailable'],
    ]);
    expect(fake.apiRequests('POST')).toHaveLength(1);
  });

  it('waits out 429 + Retry-After: 2 and then writes', async () => {
    const ctx = ctxFor();
    fake.script(
      { method: 'PATCH', path: '/service/tickets/1001' },
      {
        status: 429,
        headers: { 'retry-after': '2' },
        body: { error: 'ConnectWiseAPI', message: 'Too many requests. Please try again in 2 seconds.' },
      },
    );
    const r = await connectwise.applyActions(
      ctx,
      await plan(ctx, '1001', { reassign: reassignTo({ board: 1, team: 4 }, 'erin.t') }),
    );
    expect(r[0]?.status).toBe('applied');
    expect(waits).toEqual([2000]);
    expect(fake.apiRequests('PATCH')).toHaveLength(2);
  });
});

describe('callbacks registration', () => {
  const publicUrl = 'https://escalator.acme-msp.example/webhooks/acme-cw';

  it('creates one owner-level ticket callback, then leaves it alone', async () => {
    const ctx = ctxFor();
    expect(await connectwise.webhookState(ctx, publicUrl)).toEqual({ ok: true, value: 'missing' });
    expect(await connectwise.registerWebhooks(ctx, publicUrl)).toEqual({
      ok: true,
      value: { created: 1, updated: 0, unchanged: 0, removed: 0 },
    });
    expect(fake.callbacks).toEqual([
      expect.objectContaining({
        url: `${publicUrl}?recordId=`,
        type: 'ticket',
        level: 'owner',
        objectId: 1,
        inactiveFlag: false,
      }),
    ]);
    expect(await connectwise.registerWebhooks(ctx, publicUrl)).toEqual({
      ok: true,
      value: { created: 0, updated: 0, unchanged: 1, removed: 0 },
    });
    expect(await connectwise.webhookState(ctx, publicUrl)).toEqual({ ok: true, value: 'active' });
    expect(fake.callbacks).toHaveLength(1);
  });

  it('re-activates a disabled callback, removes duplicates and never touches other integrations', async () => {
    const ctx = ctxFor();
    fake.callbacks.push(
      { id: 11, url: `${publicUrl}?recordId=`, type: 'ticket', level: 'owner', objectId: 1, inactiveFlag: true },
      { id: 12, url: `${publicUrl}?recordId=`, type: 'ticket', level: 'board', objectId: 63, inactiveFlag: false },
      {
        id: 13,
        url: 'https://hooks.rmm.example/cw?recordId=',
        type: 'ticket',
        level: 'owner',
        objectId: 1,
        inactiveFlag: false,
      },
      {
        id: 14,
        url: 'https://escalator.acme-msp.example/webhooks/acme-cw2?recordId=',
        type: 'ticket',
        level: 'owner',
        objectId: 1,
        inactiveFlag: false,
      },
    );
    expect(await connectwise.webhookState(ctx, publicUrl)).toEqual({ ok: true, value: 'inactive' });
    expect(await connectwise.registerWebhooks(ctx, publicUrl)).toEqual({
      ok: true,
      value: { created: 0, updated: 1, unchanged: 0, removed: 1 },
    });
    expect(fake.callbacks.map((c) => [c.id, c.inactiveFlag])).toEqual([
      [11, false],
      [13, false],
      [14, false],
    ]);
    expect(await connectwise.webhookState(ctx, publicUrl)).toEqual({ ok: true, value: 'active' });
  });
});

describe('reconciliation', () => {
  it('lists tickets changed since a cursor with lastUpdated conditions and Link paging', async () => {
    const ctx = ctxFor();
    fake.tickets.clear();
    for (let i = 0; i < 1205; i += 1)
      cwTicket(fake, 2000 + i, ENTERED, {
        _info: {
          dateEntered: ENTERED,
          lastUpdated: new Date(Date.parse('2026-01-28T00:00:00Z') + i * 1000).toISOString().replace('.000', ''),
        },
      });
    cwTicket(fake, 10, ENTERED, { _info: { dateEntered: ENTERED, lastUpdated: '2026-01-27T23:00:00Z' } });
    const first = await connectwise.listChangedSince(ctx, '2026-01-27T23:30:00.000Z');
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.items).toHaveLength(1000);
    expect(first.value.items[0]).toEqual({ ticketId: '2000', version: '2026-01-28T00:00:00Z' });
    expect(first.value.nextPage).toBe('2');
    const q = fake.apiRequests('GET', /\/service\/tickets$/)[0]!.query;
    expect(q.get('conditions')).toBe('lastUpdated>[2026-01-27T23:30:00Z]');
    expect(q.get('orderBy')).toBe('id asc');
    const second = await connectwise.listChangedSince(ctx, '2026-01-27T23:30:00Z', first.value.nextPage);
    expect(second.ok && second.value.items).toHaveLength(205);
    expect(second.ok && second.value.nextPage).toBeUndefined();
    expect(second.ok && second.value.highWater).toBe('2026-01-28T00:20:04Z');
    expect(await connectwise.listChangedSince(ctx, 'yesterday')).toMatchObject({
      ok: false,
      error: { code: 'validation' },
    });
  });
});

describe('callback verification over real HTTP', () => {
  const req = (body: string, signature: string) => ({
    headers: { 'x-content-signature': signature },
    rawBody: Buffer.from(body),
    json: JSON.parse(body) as unknown,
    query: { recordId: '1001' },
    ip: '127.0.0.1',
  });

  it('verifies with the key fetched from the allow-listed key_url (served as text), then parses', async () => {
    const ctx = ctxFor();
    const body = fake.callbackBody(1001, { messageId: 'm-1' });
    expect(await connectwise.verifyWebhook(ctx, req(body, fake.sign(body)))).toEqual({ ok: true, value: undefined });
    expect(await connectwise.parseWebhook(ctx, req(body, ''))).toMatchObject({
      ok: true,
      value: { ticketId: '1001', action: 'updated', eventId: 'm-1', actor: 'jsmith' },
    });
    const echo = fake.callbackBody(1001, { memberId: fake.apiMember });
    expect(await connectwise.parseWebhook(ctx, req(echo, ''))).toMatchObject({ ok: true, value: { ignore: 'echo' } });
  });

  it('refuses a bad signature, a foreign key_url host and a redirecting key_url, without any write', async () => {
    const ctx = ctxFor();
    const body = fake.callbackBody(1001);
    expect(await connectwise.verifyWebhook(ctx, req(body, fake.sign(body, 'wrong-key')))).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    const foreign = fake.callbackBody(1001, { keyUrl: 'https://attacker.example/key?companyName=acme' });
    const before = fake.requests.length;
    expect(await connectwise.verifyWebhook(ctx, req(foreign, fake.sign(foreign)))).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(fake.requests.length).toBe(before);
    const redirecting = fake.callbackBody(1001, { keyUrl: `${fake.keyUrl}&r=1` });
    fake.script(
      { path: /callbackkey/ },
      { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } },
    );
    expect(await connectwise.verifyWebhook(ctx, req(redirecting, fake.sign(redirecting)))).toMatchObject({
      ok: false,
      error: { code: 'key_unavailable' },
    });
    expect(fake.writes()).toHaveLength(0);
  });
});
