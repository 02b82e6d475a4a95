import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';

import { beforeEach, describe, expect, it } from 'vitest';

import { ConnectorError, err, ok } from '../../src/contract/index.js';
import type {
  ConnectorContext,
  Logger,
  Result,
  SafeFetchOptions,
  SharedCache,
  WebhookRequest,
} from '../../src/contract/index.js';

import { settingsSchema } from './schemas.js';
import type { ConnectWiseSettings } from './schemas.js';
import { cwSignature, keyUrlAllowed, parseWebhook, signatureMatches, verifyWebhook } from './webhook.js';

const KEY = 'test-signing-key';
const raw = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));

// ------------------------------------------------------------------ a minimal context: a scripted key server, a map cache
type KeyAnswer = Result<{ status: number; text: string }, ConnectorError>;
let keyAnswers: KeyAnswer[];
let keyFetches: { url: string; options: SafeFetchOptions }[];
let nowMs: number;

class MapCache implements SharedCache {
  readonly map = new Map<string, { v: string; until: number }>();
  async get<T>(key: string): Promise<T | undefined> {
    const e = this.map.get(key);
    return e && e.until > nowMs ? (JSON.parse(e.v) as T) : undefined;
  }
  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.map.set(key, { v: JSON.stringify(value), until: nowMs + ttlMs });
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};

function makeCtx(overrides: Partial<ConnectWiseSettings['connection']> = {}): ConnectorContext<ConnectWiseSettings> {
  const settings = settingsSchema.parse({
    connection: {
      site: 'api-na.myconnectwise.net',
      companyId: 'acme',
      publicKey: 'p',
      privateKey: 'k',
      clientId: 'c',
      apiMember: 'escalator-api',
      ...overrides,
    },
    webhook: { keyUrlHosts: ['na.myconnectwise.net'] },
  });
  return {
    instance: {
      id: 'acme-cw',
      kind: 'connectwise',
      policy: 'standard',
      mode: 'enforce',
      mapping: { tiers: {}, groups: {}, priorities: {}, statuses: {}, members: {}, vipCompanies: [] },
      rateLimit: { requests: 600, per: 60_000 },
    },
    settings,
    http: {
      request: () => Promise.reject(new Error('no REST calls while verifying')),
      safeGet: async (url, options) => {
        keyFetches.push({ url, options });
        return keyAnswers.shift() ?? err(new ConnectorError('network', 'no scripted answer'));
      },
    },
    log: quiet,
    clock: { now: () => new Date(nowMs) },
    cache: new MapCache(),
  };
}

const keyJson = (key: string): KeyAnswer => ok({ status: 200, text: JSON.stringify({ signing_key: key }) });
function request(body: Buffer, signature?: string, json: unknown = JSON.parse(body.toString('utf8'))): WebhookRequest {
  return {
    headers: signature === undefined ? {} : { 'x-content-signature': signature },
    rawBody: body,
    json,
    query: { recordId: '1393194' },
    ip: '203.0.113.7',
  };
}
const signed = (body: Buffer, key = KEY) => request(body, cwSignature(key, body));

beforeEach(() => {
  keyAnswers = [];
  keyFetches = [];
  nowMs = Date.parse('2026-01-27T21:15:00Z');
});

describe('cwSignature', () => {
  it('is base64 HMAC-SHA256 keyed with SHA-256(signing_key) over the raw bytes', () => {
    // Independent computation with the documented recipe (connectwise.md §3.1), not our helper.
    const { createHash, createHmac } = nodeCrypto;
    const body = raw('callback-ticket-updated.json');
    const want = createHmac('sha256', createHash('sha256').update(KEY).digest()).update(body).digest('base64');
    expect(cwSignature(KEY, body)).toBe(want);
    expect(cwSignature(KEY, body)).not.toBe(createHmac('sha256', KEY).update(body).digest('base64'));
    expect(signatureMatches(KEY, body, want)).toBe(true);
  });
});

describe('verifyWebhook', () => {
  const body = raw('callback-ticket-updated.json');

  it('accepts a correctly signed recorded callback and fetches the key from the allow-listed key_url', async () => {
    keyAnswers = [keyJson(KEY)];
    const res = await verifyWebhook(makeCtx(), signed(body));
    expect(res.ok).toBe(true);
    expect(keyFetches).toHaveLength(1);
    expect(keyFetches[0]?.url).toBe(
      'https://na.myconnectwise.net/v2025_1//system/callbackkey/index.rails?companyName=acme&id=e17e6674-42f6-4105-9cff-4cd6cb4e62e8',
    );
    expect(keyFetches[0]?.options).toMatchObject({ allow: ['na.myconnectwise.net'], timeoutMs: 2000 });
  });

  it('verifies the raw bytes, not re-serialized JSON (pretty-printed body)', async () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    keyAnswers = [keyJson(KEY)];
    expect((await verifyWebhook(makeCtx(), signed(pretty))).ok).toBe(true);
    keyAnswers = [keyJson(KEY)];
    expect((await verifyWebhook(makeCtx(), request(pretty, cwSignature(KEY, body)))).ok).toBe(false);
  });

  it.each([
    ['wrong key', cwSignature('another-key', body)],
    ['short', 'c2hvcnQ='],
    ['empty', ''],
    ['non-base64', '!!!!not-base64-at-all-but-forty-four-chars!!'],
    [
      'hex digest',
      nodeCrypto.createHmac('sha256', nodeCrypto.createHash('sha256').update(KEY).digest()).update(body).digest('hex'),
    ],
    ['missing', undefined],
  ])('refuses a %s signature as unauthorized', async (_name, sig) => {
    keyAnswers = [keyJson(KEY), keyJson(KEY)];
    const res = await verifyWebhook(makeCtx(), request(body, sig));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('unauthorized');
  });

  it('refuses a tampered body', async () => {
    const sig = cwSignature(KEY, body);
    const tampered = Buffer.from(body.toString().replace('"ID":1393194', '"ID":1393195'));
    keyAnswers = [keyJson(KEY)];
    const res = await verifyWebhook(makeCtx(), request(tampered, sig));
    expect(res).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('never fetches a key_url outside the allow-list (host, scheme, port, credentials, look-alikes)', async () => {
    for (const url of [
      'https://evil.example/key',
      'http://na.myconnectwise.net/key',
      'https://na.myconnectwise.net:444/key',
      'https://user:pw@na.myconnectwise.net/key',
      'https://na.myconnectwise.net.evil.test/key',
      'https://evil.myconnectwise.net/key',
      'https://169.254.169.254/latest/meta-data',
    ]) {
      const json = { ...JSON.parse(body.toString()), Metadata: { key_url: url } };
      const b = Buffer.from(JSON.stringify(json));
      const res = await verifyWebhook(makeCtx(), signed(b));
      expect(res, url).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(keyFetches).toHaveLength(0);
  });

  it('refuses bodies that are not JSON or lack Metadata.key_url without fetching', async () => {
    const notJson = Buffer.from('not json');
    const notJsonReq: WebhookRequest = {
      ...request(Buffer.from('{}'), cwSignature(KEY, notJson)),
      rawBody: notJson,
      json: undefined,
    };
    expect(await verifyWebhook(makeCtx(), notJsonReq)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const noKey = Buffer.from('{"MessageId":"x","ID":1}');
    expect(await verifyWebhook(makeCtx(), signed(noKey))).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(keyFetches).toHaveLength(0);
  });

  it('refuses a callback naming another ConnectWise company (shared cloud hosts)', async () => {
    const other = Buffer.from(body.toString().replace('"CompanyId":"acme"', '"CompanyId":"evilcorp"'));
    expect(await verifyWebhook(makeCtx(), signed(other))).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const otherKey = Buffer.from(body.toString().replace('companyName=acme', 'companyName=evilcorp'));
    expect(await verifyWebhook(makeCtx(), signed(otherKey))).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(keyFetches).toHaveLength(0);
  });

  it('caches the key per key_url and re-fetches once on a mismatch (rotation)', async () => {
    const ctx = makeCtx();
    keyAnswers = [keyJson(KEY)];
    expect((await verifyWebhook(ctx, signed(body))).ok).toBe(true);
    expect((await verifyWebhook(ctx, signed(body))).ok).toBe(true);
    expect(keyFetches).toHaveLength(1);
    nowMs += 90_000;
    keyAnswers = [keyJson('rotated-key')];
    expect((await verifyWebhook(ctx, signed(body, 'rotated-key'))).ok).toBe(true);
    expect(keyFetches).toHaveLength(2);
    expect((await verifyWebhook(ctx, signed(body, 'rotated-key'))).ok).toBe(true);
    expect(keyFetches).toHaveLength(2);
  });

  it('does not re-fetch on every forged delivery', async () => {
    const ctx = makeCtx();
    keyAnswers = [keyJson(KEY)];
    await verifyWebhook(ctx, signed(body));
    for (let i = 0; i < 5; i += 1) expect((await verifyWebhook(ctx, signed(body, `forged-${i}`))).ok).toBe(false);
    expect(keyFetches).toHaveLength(1);
  });

  it.each([
    ['an empty object', ok({ status: 200, text: '{}' })],
    ['an empty key', ok({ status: 200, text: '{"signing_key":""}' })],
    ['a numeric key', ok({ status: 200, text: '{"signing_key":123}' })],
    ['non-JSON text', ok({ status: 200, text: '<html>login</html>' })],
    ['a 500', ok({ status: 500, text: '{}' })],
    ['a redirect', err(new ConnectorError('redirect_refused', 'key URL answered 302'))],
    ['a timeout', err(new ConnectorError('timeout', 'no answer within 2000 ms'))],
  ])('reports key_unavailable when the key URL answers %s', async (_name, answer) => {
    keyAnswers = [answer];
    expect(await verifyWebhook(makeCtx(), signed(body))).toMatchObject({
      ok: false,
      error: { code: 'key_unavailable' },
    });
  });

  it('treats a key URL refused by the SSRF-safe fetch (private address) as unauthorized', async () => {
    keyAnswers = [err(new ConnectorError('denied_url', 'refused URL: denied_dns'))];
    expect(await verifyWebhook(makeCtx(), signed(body))).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });
});

describe('keyUrlAllowed', () => {
  it('matches exact hosts over https and exact origins', () => {
    expect(keyUrlAllowed('https://NA.myconnectwise.net/x', ['na.myconnectwise.net'])).toBe(true);
    expect(keyUrlAllowed('http://127.0.0.1:9101/key', ['http://127.0.0.1:9101'])).toBe(true);
    expect(keyUrlAllowed('http://127.0.0.1:9102/key', ['http://127.0.0.1:9101'])).toBe(false);
    expect(keyUrlAllowed('https://na.myconnectwise.net/x#frag', ['na.myconnectwise.net'])).toBe(false);
    expect(keyUrlAllowed('not a url', ['na.myconnectwise.net'])).toBe(false);
  });
});

describe('parseWebhook', () => {
  const ctx = makeCtx();
  const parse = async (name: string, patch: Record<string, unknown> = {}) => {
    const json = { ...JSON.parse(raw(name).toString()), ...patch };
    return parseWebhook(ctx, request(Buffer.from(JSON.stringify(json)), 'x', json));
  };

  it('reads the recorded ticket update: id, action, MessageId, actor, version from Entity', async () => {
    expect(await parse('callback-ticket-updated.json')).toEqual(
      ok({
        ticketId: '1393194',
        action: 'updated',
        eventId: '0b9e3c1a-6f2d-4c55-9a1e-2f6d8c9b7a10',
        actor: 'jsmith',
        version: '2026-01-27T21:14:03Z',
      }),
    );
  });

  it('maps added → created and deleted (Entity null) → deleted', async () => {
    expect(await parse('callback-ticket-updated.json', { Action: 'added' })).toMatchObject({
      ok: true,
      value: { action: 'created' },
    });
    const del = await parse('callback-ticket-deleted.json');
    expect(del).toEqual(
      ok({ ticketId: '1393194', action: 'deleted', eventId: '6dd82302-5e46-47c0-8c84-702868125b76', actor: 'jsmith' }),
    );
  });

  it('reads keys and values case-insensitively and accepts Entity as an object', async () => {
    const json = {
      messageid: 'm-1',
      memberid: 'jsmith',
      action: 'Updated',
      type: 'Ticket',
      id: '42',
      entity: { _info: { lastUpdated: '2026-01-27T21:14:03' } },
    };
    const res = await parseWebhook(ctx, request(Buffer.from(JSON.stringify(json)), 'x', json));
    expect(res).toEqual(
      ok({ ticketId: '42', action: 'updated', eventId: 'm-1', actor: 'jsmith', version: '2026-01-27T21:14:03Z' }),
    );
  });

  it('ignores other record types and unknown actions', async () => {
    expect(await parse('callback-contact-added.json')).toEqual(
      ok({ ignore: 'entity_type', eventId: '9a1d7f0e-2b44-4e1e-8f0b-6c2a9d3e5f71', ticketId: '57961' }),
    );
    expect(await parse('callback-ticket-updated.json', { Action: 'merged' })).toMatchObject({
      ok: true,
      value: { ignore: 'action' },
    });
  });

  it('ignores echoes of our own API member (case-insensitive) but never a deletion', async () => {
    expect(await parse('callback-ticket-updated.json', { MemberId: 'Escalator-API' })).toEqual(
      ok({ ignore: 'echo', eventId: '0b9e3c1a-6f2d-4c55-9a1e-2f6d8c9b7a10', ticketId: '1393194' }),
    );
    expect(await parse('callback-ticket-deleted.json', { MemberId: 'escalator-api' })).toMatchObject({
      ok: true,
      value: { action: 'deleted' },
    });
  });

  it('tolerates a broken Entity string and refuses a ticket callback without an ID', async () => {
    expect(await parse('callback-ticket-updated.json', { Entity: '{broken' })).toMatchObject({
      ok: true,
      value: { ticketId: '1393194' },
    });
    expect(await parse('callback-ticket-updated.json', { ID: null })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    const res = await parseWebhook(ctx, request(Buffer.from('[]'), 'x', []));
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('derives a stable event id from the body when MessageId is missing', async () => {
    const a = await parse('callback-ticket-updated.json', { MessageId: undefined });
    const b = await parse('callback-ticket-updated.json', { MessageId: undefined });
    expect(a.ok && 'eventId' in a.value && a.value.eventId).toMatch(/^sha256-[0-9a-f]{32}$/);
    expect(a).toEqual(b);
  });
});
