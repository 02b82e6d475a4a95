import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { WebhookRequest } from '../../src/contract/index.js';

import { settingsSchema } from './schemas.js';
import { readBasicCredentials, readWebhook, verifyCredentials } from './webhook.js';

const raw = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));

const settings = settingsSchema.parse({
  connection: { tenantUrl: 'https://initech.halopsa.com', clientId: 'id', clientSecret: 'secret' },
  webhook: {
    basicAuth: { username: 'escalator', password: 'correct horse battery' },
    previousBasicAuth: { username: 'escalator', password: 'old-pass' },
  },
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function request(
  authorization: string | undefined,
  body: Buffer = raw('webhook-status-changed.json'),
  ip = '203.0.113.7',
): WebhookRequest {
  return {
    headers: authorization === undefined ? {} : { authorization },
    rawBody: body,
    json: JSON.parse(body.toString()),
    query: {},
    ip,
  };
}

describe('verifyCredentials (Basic auth, constant-time)', () => {
  it('accepts the configured credentials and the previous ones during rotation', () => {
    expect(verifyCredentials(settings.webhook, request(basic('escalator', 'correct horse battery'))).ok).toBe(true);
    expect(verifyCredentials(settings.webhook, request(basic('escalator', 'old-pass'))).ok).toBe(true);
    expect(
      verifyCredentials(settings.webhook, request(`  basic ${Buffer.from('escalator:old-pass').toString('base64')} `))
        .ok,
    ).toBe(true);
  });

  it.each([
    ['missing header', undefined],
    ['empty header', ''],
    ['scheme only', 'Basic'],
    ['empty token', 'Basic '],
    ['wrong password', basic('escalator', 'correct horse batterx')],
    ['wrong user', basic('escalat0r', 'correct horse battery')],
    ['short password (prefix)', basic('escalator', 'correct')],
    ['longer password', basic('escalator', 'correct horse battery!')],
    ['empty password', basic('escalator', '')],
    ['no colon', `Basic ${Buffer.from('escalatorcorrect horse battery').toString('base64')}`],
    ['not base64', 'Basic %%%not-base64%%%'],
    ['base64 with bad length', 'Basic ZXNjYWxhdG9y=x'],
    ['bearer scheme', 'Bearer correct horse battery'],
    ['password in clear', 'Basic escalator:correct horse battery'],
  ])('rejects %s with unauthorized', (_name, header) => {
    const r = verifyCredentials(settings.webhook, request(header));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('unauthorized');
  });

  it('checks credentials only: Halo signs no body, so a tampered body still verifies and is only a hint', () => {
    const tampered = Buffer.from(raw('webhook-status-changed.json').toString().replaceAll('4242', '4243'));
    expect(verifyCredentials(settings.webhook, request(basic('escalator', 'correct horse battery'), tampered)).ok).toBe(
      true,
    );
    const parsed = readWebhook(JSON.parse(tampered.toString()), tampered);
    expect(parsed.ok && parsed.value[0]!.kind === 'event' && parsed.value[0]!.event.ticketId).toBe('4243');
  });

  it('applies the IP allow-list as a second factor (IPv4, IPv6, IPv4-mapped)', () => {
    const withIps = settingsSchema.parse({
      ...settings,
      webhook: { ...settings.webhook, allowIps: ['203.0.113.0/24', '2001:db8::/32'] },
    }).webhook;
    const good = basic('escalator', 'correct horse battery');
    expect(verifyCredentials(withIps, request(good, undefined, '203.0.113.200')).ok).toBe(true);
    expect(verifyCredentials(withIps, request(good, undefined, '::ffff:203.0.113.9')).ok).toBe(true);
    expect(verifyCredentials(withIps, request(good, undefined, '2001:db8:1::5')).ok).toBe(true);
    expect(verifyCredentials(withIps, request(good, undefined, '198.51.100.1')).ok).toBe(false);
    expect(verifyCredentials(withIps, request(good, undefined, '2001:db9::1')).ok).toBe(false);
    expect(verifyCredentials(withIps, request(basic('escalator', 'nope'), undefined, '203.0.113.200')).ok).toBe(false);
  });

  it('rejects invalid CIDRs and user names with ":" at config time', () => {
    expect(
      settingsSchema.safeParse({ ...settings, webhook: { ...settings.webhook, allowIps: ['10.0.0.0/33'] } }).success,
    ).toBe(false);
    expect(
      settingsSchema.safeParse({ ...settings, webhook: { basicAuth: { username: 'a:b', password: 'x' } } }).success,
    ).toBe(false);
  });

  it('readBasicCredentials returns the decoded bytes only for well-formed headers', () => {
    expect(readBasicCredentials(basic('u', 'p'))?.toString()).toBe('u:p');
    expect(readBasicCredentials('Basic dTpw====')).toBeNull();
  });
});

describe('readWebhook (small, full, event-only, batched, custom)', () => {
  const read = (name: string) => {
    const body = raw(name);
    const r = readWebhook(JSON.parse(body.toString()), body);
    if (!r.ok) throw r.error;
    return r.value;
  };

  it('live "ticket status changed" payload: ticket from object_id/ticket.id, dedupe on escmsg_id, actor = agent_id', () => {
    expect(read('webhook-status-changed.json')).toEqual([
      {
        kind: 'event',
        agentId: '3',
        ticketAgentId: '3',
        event: { ticketId: '4242', action: 'updated', eventId: 'a726ee11-acb8-f111-8260-02725cb0e102', actor: '3' },
      },
    ]);
  });

  it('keeps the embedded ticket’s agent apart from the top-level agent_id (their meaning differs, webhook.ts parseWebhook)', () => {
    const body = Buffer.from(
      JSON.stringify({
        id: 'g2',
        event: 'Ticket Updated',
        object_id: 7,
        agent_id: 38,
        ticket: { id: 7, agent_id: '13' },
      }),
    );
    const r = readWebhook(JSON.parse(body.toString()), body);
    expect(r.ok && r.value).toEqual([
      {
        kind: 'event',
        agentId: '38',
        ticketAgentId: '13',
        event: { ticketId: '7', action: 'updated', eventId: 'g2', actor: '38' },
      },
    ]);
  });

  it('canonicalizes the ticket id (zero padding, whitespace) so one ticket has one state key', () => {
    for (const id of ['0007', ' 7 ', 7]) {
      const body = Buffer.from(JSON.stringify({ id: 'g3', event: 'Ticket Updated', object_id: id }));
      const r = readWebhook(JSON.parse(body.toString()), body);
      expect(r.ok && r.value[0]?.kind === 'event' && r.value[0].event.ticketId, JSON.stringify(id)).toBe('7');
    }
  });

  it('event-only payload: the top-level GUID is the event id, never the ticket id', () => {
    expect(read('webhook-event-only.json')).toEqual([
      {
        kind: 'event',
        event: { ticketId: '4242', action: 'updated', eventId: '3f1c3e9e-0c1d-4e34-9a55-6d2f2b7a9f10' },
      },
    ]);
  });

  it('full payload of an action event: the ticket id comes from ticket/action, not object_id (the action id)', () => {
    const [e] = read('webhook-full.json');
    expect(e).toMatchObject({
      kind: 'event',
      event: {
        ticketId: '4242',
        eventId: 'b1c2d3e4-0000-f111-8260-02725cb0e102',
        actor: '12',
        version: '2026-11-24T15:45:00',
      },
    });
  });

  it('a non-ticket event is ignored as entity_type', () => {
    expect(read('webhook-client-updated.json')).toEqual([
      { kind: 'ignore', reason: 'entity_type', eventId: '6a1f7a8e-2222-4bbb-8ccc-0d0e0f101112' },
    ]);
  });

  it('maps event names to created / updated / deleted', () => {
    const one = (event: string) => {
      const body = Buffer.from(JSON.stringify({ id: 'g1', event, object_id: 5 }));
      const r = readWebhook(JSON.parse(body.toString()), body);
      return r.ok && r.value[0]!.kind === 'event' ? r.value[0]!.event.action : undefined;
    };
    expect(one('New Ticket Logged')).toBe('created');
    expect(one('Ticket Deleted')).toBe('deleted');
    expect(one('Ticket Reassigned')).toBe('updated');
    expect(one('custom')).toBe('updated');
  });

  it('falls back to a hash of the exact bytes for the event id, stable across identical deliveries', () => {
    const body = Buffer.from('{"object_id":"4242","event":"Ticket Updated"}');
    const a = readWebhook(JSON.parse(body.toString()), body);
    const b = readWebhook(JSON.parse(body.toString()), Buffer.from(body));
    const id = (r: typeof a) => (r.ok && r.value[0]!.kind === 'event' ? r.value[0]!.event.eventId : '');
    expect(id(a)).toMatch(/^body-[0-9a-f]{32}$/);
    expect(id(a)).toBe(id(b));
  });

  it('reads every entry of a batched (array) delivery', () => {
    const batch = [
      JSON.parse(raw('webhook-status-changed.json').toString()),
      JSON.parse(raw('webhook-event-only.json').toString()),
    ];
    const body = Buffer.from(JSON.stringify(batch));
    const r = readWebhook(batch, body);
    expect(r.ok && r.value.map((x) => x.kind === 'event' && x.event.eventId)).toEqual([
      'a726ee11-acb8-f111-8260-02725cb0e102',
      '3f1c3e9e-0c1d-4e34-9a55-6d2f2b7a9f10',
    ]);
  });

  it.each([
    ['not JSON', undefined],
    ['a string', 'hello'],
    ['an empty array', []],
    ['no ticket id at all', { id: '3f1c3e9e-0c1d-4e34-9a55-6d2f2b7a9f10', event: 'ticket updated' }],
    ['a GUID where the ticket id should be', { object_id: '3f1c3e9e-0c1d', event: 'ticket updated' }],
    ['a negative ticket id', { object_id: -4, event: 'ticket updated' }],
  ])('rejects %s as bad_request', (_name, json) => {
    const r = readWebhook(json, Buffer.from(JSON.stringify(json ?? 'x')));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad_request');
  });
});
