import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../helpers/wait.js';
import { cwHeaders, cwT1, post, REBINDING_HOST, startSecurityService } from './security-harness.js';
import type { SecurityService } from './security-harness.js';

// docs/reliability.md §4 #14 (SSRF via ConnectWise `Metadata.key_url`) and #15 (no redirects) through the real webhook
// route. A TCP trap on loopback counts every connection: a hostile URL pointing at it must never reach it.

let s: SecurityService;
let trap: Server;
let trapPort: number;
let trapHits = 0;

beforeAll(async () => {
  s = await startSecurityService();
  trap = createServer((c) => {
    trapHits += 1;
    c.end(
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 28\r\n\r\n{"signing_key":"trap-stolen"}',
    );
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapPort = (trap.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => trap?.close(r));
  await s?.close();
});

const hook = () => `${s.base}/webhooks/sec-cw`;
const keyFetches = () => s.cw.requests.filter((r) => r.path.includes('callbackkey')).length;
const errorCode = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;
const KEY_PATH = '/v2025_1//system/callbackkey/index.rails?companyName=acme&id=e17e6674-42f6-4105-9cff-4cd6cb4e62e8';

/** A callback for ticket 8001 whose key_url is `keyUrl`, signed with a key the attacker chose. */
function hostile(keyUrl: string): { body: string; signature: string } {
  const body = s.cw.callbackBody(8001, { keyUrl });
  return { body, signature: s.cw.sign(body, 'trap-stolen') };
}

describe('#14 key_url SSRF vectors are refused before anything is fetched', () => {
  it('every vector → 401, no connection to the trap, no request to the PSA', async () => {
    cwT1(s, 8001);
    const vectors = [
      `http://cw.example.com${KEY_PATH}`, // https only
      `https://user:pass@cw.example.com${KEY_PATH}`,
      `https://cw.example.com${KEY_PATH}#frag`,
      `https://cw.example.com.evil.test${KEY_PATH}`, // suffix of an allowed host
      `https://evil.cw.example.com${KEY_PATH}`, // subdomain of an allowed host
      `https://cw.example.com:444${KEY_PATH}`, // non-default port
      `https://evil.myconnectwise.net${KEY_PATH}`, // a cloud domain is not the tenant's host
      `https://127.0.0.1${KEY_PATH}`,
      `http://127.0.0.1:${trapPort}${KEY_PATH}`,
      `https://127.0.0.1:${trapPort}${KEY_PATH}`,
      `http://localhost:${trapPort}${KEY_PATH}`, // allow-listed name, but http and a port
      `https://169.254.169.254/latest/meta-data/`,
      `https://10.0.0.1${KEY_PATH}`,
      `https://[::1]:${trapPort}${KEY_PATH}`,
      `https://[::ffff:127.0.0.1]:${trapPort}${KEY_PATH}`,
      `https://2130706433${KEY_PATH}`, // 127.0.0.1 as one decimal number
      `https://0x7f.1${KEY_PATH}`,
      `file:///etc/passwd`,
      `gopher://127.0.0.1:${trapPort}/_x`,
      `//127.0.0.1:${trapPort}${KEY_PATH}`,
      'not a url',
    ];
    const psaRequests = s.cw.requests.length;
    for (const v of vectors) {
      const { body, signature } = hostile(v);
      const res = await post(hook(), body, cwHeaders(signature));
      expect(res.status, v).toBe(401);
      expect(errorCode(res.text)).toBe('unauthorized');
    }
    expect(trapHits).toBe(0);
    expect(s.cw.requests.length).toBe(psaRequests);
  });

  it('a body that is not JSON or has no key_url is a 401 before any lookup', async () => {
    const psaRequests = s.cw.requests.length;
    for (const body of [
      'not json',
      '[]',
      '{}',
      '{"Metadata":{}}',
      '{"Metadata":{"key_url":42}}',
      JSON.stringify({ ID: 8001, Type: 'ticket', Action: 'updated' }),
    ]) {
      const res = await post(hook(), body, cwHeaders(s.cw.sign(body)));
      expect(res.status, body).toBe(401);
    }
    expect(s.cw.requests.length).toBe(psaRequests);
  });

  it('DNS rebinding: an allow-listed name that resolves to a non-unicast address → 401 denied_dns, never connected', async () => {
    const { body, signature } = hostile(`https://${REBINDING_HOST}${KEY_PATH}`);
    const res = await post(hook(), body, cwHeaders(signature));
    expect(res.status).toBe(401);
    expect(s.logText()).toContain('denied_dns');
    expect(trapHits).toBe(0);
  });

  it('a key_url naming another ConnectWise company is refused (cloud hosts serve every tenant)', async () => {
    const before = keyFetches();
    const body = s.cw.callbackBody(8001, { keyUrl: s.cw.keyUrl.replace('companyName=acme', 'companyName=othermsp') });
    expect((await post(hook(), body, cwHeaders(s.cw.sign(body)))).status).toBe(401);
    expect(keyFetches()).toBe(before);
  });

  it('unusable key answers → 503 key_unavailable, nothing queued', async () => {
    const answers = [
      { status: 200, body: {} },
      { status: 200, body: { signing_key: '' } },
      { status: 200, body: { signing_key: 123 } },
      { status: 200, body: 'plain text' },
      { status: 500, body: { message: 'boom' } },
      { status: 404, body: 'not found' },
    ];
    for (const [i, answer] of answers.entries()) {
      s.cw.script({ path: /callbackkey/ }, answer);
      const body = s.cw.callbackBody(8001, { keyUrl: `${s.cw.keyUrl}&probe=${i}`, messageId: `key-${i}` });
      const res = await post(hook(), body, cwHeaders(s.cw.sign(body)));
      expect(res.status, JSON.stringify(answer)).toBe(503);
      expect(errorCode(res.text)).toBe('key_unavailable');
    }
    expect(await s.running.read.ticket('sec-cw', '8001')).toBeFalsy();
  });

  it('a key answer larger than 64 KiB is not read to the end → 503', async () => {
    s.cw.script({ path: /callbackkey/ }, { status: 200, body: { signing_key: 'k'.repeat(70_000) } });
    const body = s.cw.callbackBody(8001, { keyUrl: `${s.cw.keyUrl}&probe=big` });
    const res = await post(hook(), body, cwHeaders(s.cw.sign(body, 'k'.repeat(70_000))));
    expect(res.status).toBe(503);
  });
});

describe('#15 redirects are never followed', () => {
  it('a key_url answering 302 to the trap → 503, trap never contacted', async () => {
    s.cw.script(
      { path: /callbackkey/ },
      { status: 302, body: '', headers: { location: `http://127.0.0.1:${trapPort}/steal` } },
    );
    const body = s.cw.callbackBody(8001, { keyUrl: `${s.cw.keyUrl}&probe=302` });
    const res = await post(hook(), body, cwHeaders(s.cw.sign(body)));
    expect(res.status).toBe(503);
    expect(trapHits).toBe(0);
  });

  it('a PSA write answered with 302 to the trap is not followed: no write lands, the trap is never contacted', async () => {
    cwT1(s, 8002);
    s.cw.script(
      { method: 'PATCH', path: '/service/tickets/8002' },
      { status: 302, body: '', headers: { location: `http://127.0.0.1:${trapPort}/admin` } },
    );
    const body = s.cw.callbackBody(8002);
    expect((await post(hook(), body, cwHeaders(s.cw.sign(body)))).status).toBe(202);
    const view = await waitFor(async () =>
      (await s.running.read.ticket('sec-cw', '8002'))?.decisions.find((d) =>
        d.results.some((r) => r.action === 'reassign'),
      ),
    );
    const reassign = view.results.find((r) => r.action === 'reassign');
    expect(reassign?.status).not.toBe('applied');
    expect(trapHits).toBe(0);
    expect(s.cw.tickets.get(8002)).toMatchObject({ board: { id: 1 } });
  });
});
