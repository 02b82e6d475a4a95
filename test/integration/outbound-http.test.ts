import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { checkAllowedUrl, createHttpClient } from '../../src/pipeline/outbound/psa-http.js';
import { isPublicUnicast } from '../../src/lib/ip.js';
import { parseRetryAfter } from '../../src/lib/retry-after.js';
import { silentLogger } from '../helpers/connector-context.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server;
let base: string;
let handler: Handler;
let hits: { method: string; url: string; at: number }[];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push({ method: req.method ?? '', url: req.url ?? '', at: Date.now() });
    handler(req, res, hits.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  hits = [];
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const client = (extra: Parameters<typeof createHttpClient>[0] extends infer O ? Partial<O> : never = {}) =>
  createHttpClient({ log: silentLogger(), minDelayMs: 5, maxDelayMs: 20, ...extra });

describe('request()', () => {
  it('resolves 2xx with parsed JSON', async () => {
    handler = (_q, res) => json(res, 200, { id: 7 });
    const res = await client().request({ method: 'GET', url: `${base}/t/7`, query: { a: 1, b: undefined } });
    expect(res.data).toEqual({ id: 7 });
    expect(hits[0]?.url).toBe('/t/7?a=1');
  });

  it('retries idempotent calls on 5xx then succeeds', async () => {
    handler = (_q, res, n) => (n < 3 ? json(res, 502, {}) : json(res, 200, { ok: true }));
    const res = await client().request({ method: 'GET', url: `${base}/x` });
    expect(res.data).toEqual({ ok: true });
    expect(hits).toHaveLength(3);
  });

  it('never blind-retries a non-idempotent POST after a 5xx', async () => {
    handler = (_q, res) => json(res, 500, {});
    await expect(client().request({ method: 'POST', url: `${base}/notes`, json: { a: 1 } })).rejects.toMatchObject({
      code: 'psa_unavailable',
    });
    expect(hits).toHaveLength(1);
  });

  it('waits out 429 Retry-After (also for POST) and reports the pause', async () => {
    const pauses: number[] = [];
    handler = (_q, res, n) => (n === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 201, { id: 1 }));
    const res = await client({ onRetryAfter: async (ms) => void pauses.push(ms) }).request({
      method: 'POST',
      url: `${base}/n`,
      json: {},
    });
    expect(res.status).toBe(201);
    expect(pauses).toEqual([1000]);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('hands long Retry-After waits back to the caller as rate_limited', async () => {
    handler = (_q, res) => json(res, 429, {}, { 'retry-after': '120' });
    await expect(client().request({ method: 'GET', url: `${base}/x` })).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 120_000,
    });
    expect(hits).toHaveLength(1);
  });

  it('does not follow redirects', async () => {
    handler = (_q, res, n) => {
      if (n === 1) {
        res.writeHead(302, { location: `${base}/internal` });
        res.end();
      } else json(res, 200, { leaked: true });
    };
    await expect(client().request({ method: 'GET', url: `${base}/x` })).rejects.toMatchObject({
      code: 'redirect_refused',
    });
    expect(hits).toHaveLength(1);
  });

  it('maps statuses to stable codes and lets the connector reclassify', async () => {
    handler = (_q, res, n) => json(res, [401, 404, 400, 500][n - 1] ?? 200, { errors: ['Queue is required'] });
    const c = client({ retries: 0 });
    await expect(c.request({ method: 'GET', url: `${base}/a` })).rejects.toMatchObject({
      code: 'psa_auth',
      retryable: false,
    });
    await expect(c.request({ method: 'GET', url: `${base}/b` })).rejects.toMatchObject({ code: 'not_found' });
    await expect(c.request({ method: 'GET', url: `${base}/c` })).rejects.toMatchObject({ code: 'validation' });
    const { ConnectorError } = await import('../../src/contract/index.js');
    await expect(
      c.request({
        method: 'PATCH',
        url: `${base}/d`,
        json: {},
        idempotent: true,
        classify: (s) => (s === 500 ? new ConnectorError('validation', 'business rule') : undefined),
      }),
    ).rejects.toMatchObject({ code: 'validation' });
    expect(hits).toHaveLength(4);
  });

  it('times out a PSA that never answers', async () => {
    handler = () => undefined;
    await expect(
      client({ retries: 0 }).request({ method: 'GET', url: `${base}/hang`, timeoutMs: 200 }),
    ).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('safeGet() and the key-URL allow-list (docs/reliability.md §4 #14)', () => {
  const allow = ['na.myconnectwise.net'];
  it.each([
    'http://na.myconnectwise.net/key',
    'https://user:pass@na.myconnectwise.net/key',
    'https://na.myconnectwise.net/key#frag',
    'https://na.myconnectwise.net.evil.test/key',
    'https://na.myconnectwise.net:444/key',
    'https://evil.myconnectwise.net/key',
    'https://127.0.0.1/key',
    'https://169.254.169.254/latest',
    'https://10.0.0.1/key',
    'https://[::1]/key',
    'https://[::ffff:127.0.0.1]/key',
    'not a url',
  ])('refuses %s without fetching', async (url) => {
    const res = await client().safeGet(url, { allow });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('denied_url');
    expect(hits).toHaveLength(0);
  });

  it('refuses an allow-listed name that resolves to a private address', async () => {
    const res = await client().safeGet('https://localhost/key', { allow: ['localhost'] });
    expect(res.ok || res.error.code).toBe('denied_url');
  });

  it('fetches from an explicitly allow-listed origin, without following redirects', async () => {
    handler = (_q, res, n) => {
      if (n === 1) json(res, 200, { signing_key: 'abc' });
      else {
        res.writeHead(301, { location: 'http://169.254.169.254/' });
        res.end();
      }
    };
    const ok = await client().safeGet(`${base}/key`, { allow: [base] });
    expect(ok.ok && JSON.parse(ok.value.text)).toEqual({ signing_key: 'abc' });
    const redirected = await client().safeGet(`${base}/key2`, { allow: [base] });
    expect(redirected.ok || redirected.error.code).toBe('redirect_refused');
  });

  it('caps the response size', async () => {
    handler = (_q, res) => json(res, 200, { signing_key: 'x'.repeat(100_000) });
    const res = await client().safeGet(`${base}/big`, { allow: [base], maxBytes: 1024 });
    expect(res.ok || res.error.code).toBe('key_unavailable');
  });

  it('classifies URLs', () => {
    expect(typeof checkAllowedUrl('https://NA.myconnectwise.net/x', allow)).toBe('object');
    expect(checkAllowedUrl('https://na.myconnectwise.net:8443/x', allow)).toBe('non-default port');
  });
});

describe('helpers', () => {
  it('parses Retry-After in both forms and clamps it', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('knows public unicast addresses', () => {
    expect(isPublicUnicast('8.8.8.8')).toBe(true);
    expect(isPublicUnicast('2606:4700::1111')).toBe(true);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      'x',
    ]) {
      expect(isPublicUnicast(ip), ip).toBe(false);
    }
  });
});
