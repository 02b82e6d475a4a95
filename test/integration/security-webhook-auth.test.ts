import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  atDelivery,
  atHeaders,
  atT1,
  basic,
  cwHeaders,
  cwT1,
  haloBody,
  haloT1,
  post,
  SECRETS,
  startSecurityService,
} from './security-harness.js';
import type { SecurityService } from './security-harness.js';

// docs/reliability.md §4 #1–#4 through the real webhook route, the real connectors and real HMACs (nothing mocked):
// the signature is over the raw bytes, malformed signatures are a 401 and never a 500, and rotation works.

let s: SecurityService;
beforeAll(async () => {
  s = await startSecurityService();
});
afterAll(async () => s?.close());

const url = (id: string) => `${s.base}/webhooks/${id}`;
const errorCode = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;

describe('#1 signatures are computed over the raw bytes', () => {
  it('ConnectWise: original bytes → 202; re-serialized, pretty-printed or one trailing space → 401', async () => {
    cwT1(s, 7001);
    const body = s.cw.callbackBody(7001);
    const signature = s.cw.sign(body);
    const variants = [
      JSON.stringify(JSON.parse(body) as unknown, null, 2),
      `${body} `,
      ` ${body}`,
      `${body}\n`,
      JSON.stringify({ ...(JSON.parse(body) as object) }),
    ];
    for (const v of variants.filter((x) => x !== body)) {
      const res = await post(url('sec-cw'), v, cwHeaders(signature));
      expect(res.status, JSON.stringify(v.slice(-5))).toBe(401);
      expect(errorCode(res.text)).toBe('unauthorized');
    }
    expect((await post(url('sec-cw'), body, cwHeaders(signature))).status).toBe(202);
  });

  it('Autotask: the \\u-escaped bytes as signed → 202; the same JSON re-serialized or with a trailing space → 401', async () => {
    atT1(s, 7101);
    const { body, signature } = atDelivery(s, 7101);
    const reserialized = JSON.stringify(JSON.parse(body) as unknown);
    expect(reserialized).not.toBe(body); // Autotask escapes characters that JSON.stringify writes literally
    for (const v of [reserialized, `${body} `, `${body}\r\n`]) {
      const res = await post(url('sec-at'), v, atHeaders(signature));
      expect(res.status).toBe(401);
      expect(errorCode(res.text)).toBe('unauthorized');
    }
    expect((await post(url('sec-at'), body, atHeaders(signature))).status).toBe(202);
  });

  it('Halo signs nothing: the credentials authenticate any byte-exact body, missing ones never do', async () => {
    haloT1(s, 7201);
    const body = haloBody(7201);
    expect((await post(url('sec-halo'), body, { 'content-type': 'application/json' })).status).toBe(401);
    expect(
      (
        await post(url('sec-halo'), `${body} `, {
          'content-type': 'application/json',
          authorization: basic('escalator', SECRETS.haloHookPassword),
        })
      ).status,
    ).toBe(202);
  });
});

describe('#2 malformed signatures are 401, never 500 (length-guarded constant-time compare)', () => {
  const malformed = [
    '',
    ' ',
    'x',
    '=',
    'sha1=',
    'sha256=',
    'not base64 !!',
    'a'.repeat(4096),
    'AAAA',
    '00'.repeat(32),
    'sha1=AAAA',
    `sha1=${'A'.repeat(27)}=`,
    'v1,abc',
    '\u00e9\u00e9',
  ];

  it('ConnectWise: wrong length, empty, non-base64 and hex signatures', async () => {
    cwT1(s, 7002);
    const body = s.cw.callbackBody(7002);
    const good = s.cw.sign(body);
    for (const sig of [
      ...malformed,
      good.slice(0, -2),
      `${good}A`,
      good.toLowerCase() === good ? `${good}=` : good.toLowerCase(),
      Buffer.from(good, 'base64').toString('hex'),
    ]) {
      const res = await post(url('sec-cw'), body, cwHeaders(sig));
      expect(res.status, JSON.stringify(sig)).toBe(401);
    }
    expect((await post(url('sec-cw'), body, { 'content-type': 'application/json' })).status).toBe(401);
  });

  it('Autotask: wrong length, empty, non-base64, hex, bare (no sha1=) and doubled signatures', async () => {
    atT1(s, 7102);
    const { body, signature } = atDelivery(s, 7102);
    const digest = signature.slice('sha1='.length);
    const variants = [
      ...malformed,
      digest,
      `sha1=${digest.slice(0, -2)}`,
      `sha1=${digest}A`,
      `sha1=${Buffer.from(digest, 'base64').toString('hex')}`,
      `${signature}, ${signature}`,
      `sha256=${digest}`,
    ];
    for (const sig of variants) {
      const res = await post(url('sec-at'), body, atHeaders(sig));
      expect(res.status, JSON.stringify(sig)).toBe(401);
    }
    expect((await post(url('sec-at'), body, { 'content-type': 'application/json' })).status).toBe(401);
  });

  it('Halo: malformed Basic credentials of every length', async () => {
    const body = haloBody(7202);
    const headers = [
      'Basic',
      'Basic ',
      'Basic ===',
      'Basic !!!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Bearer ${SECRETS.haloHookPassword}`,
      basic('escalator', `${SECRETS.haloHookPassword}x`),
      basic('escalator', SECRETS.haloHookPassword.slice(0, -1)),
      basic('escalator', ''),
      basic('', SECRETS.haloHookPassword),
      `Basic ${'A'.repeat(4096)}`,
    ];
    for (const authorization of headers) {
      const res = await post(url('sec-halo'), body, { 'content-type': 'application/json', authorization });
      expect(res.status, authorization.slice(0, 40)).toBe(401);
    }
  });
});

describe('#3/#4 rotation: current and previous secrets verify, any other does not', () => {
  it('Autotask previousSecretKey verifies during rotation; a revoked secret → 401', async () => {
    atT1(s, 7103);
    const current = atDelivery(s, 7103, SECRETS.atHookSecret);
    expect((await post(url('sec-at'), current.body, atHeaders(current.signature))).status).toBe(202);
    const previous = atDelivery(s, 7103, SECRETS.atPreviousHookSecret);
    expect((await post(url('sec-at'), previous.body, atHeaders(previous.signature))).status).toBe(202);
    const revoked = atDelivery(s, 7103, 'SNTNL-at-hook-secret-revoked');
    expect((await post(url('sec-at'), revoked.body, atHeaders(revoked.signature))).status).toBe(401);
  });

  it('Halo previousBasicAuth verifies during rotation; a revoked password → 401', async () => {
    haloT1(s, 7203);
    for (const [password, status] of [
      [SECRETS.haloHookPassword, 202],
      [SECRETS.haloPreviousHookPassword, 202],
      ['SNTNL-halo-hook-password-revoked', 401],
    ] as const) {
      const res = await post(url('sec-halo'), haloBody(7203), {
        'content-type': 'application/json',
        authorization: basic('escalator', password),
      });
      expect(res.status, password).toBe(status);
    }
  });

  it('ConnectWise rotation: a rotated callback key (new key_url) verifies at once, the old one keeps verifying, a forged one costs no re-fetch', async () => {
    cwT1(s, 7003);
    const fetches = () => s.cw.requests.filter((r) => r.path.includes('callbackkey')).length;
    const old = s.cw.callbackBody(7003);
    expect((await post(url('sec-cw'), old, cwHeaders(s.cw.sign(old)))).status).toBe(202);
    const rotated = 'SNTNL-cw-signing-key-rotated';
    const rotatedUrl = `${s.cw.keyUrl}-rotated`;
    s.cw.script({ path: /callbackkey/ }, { status: 200, body: { signing_key: rotated } });
    const fresh = s.cw.callbackBody(7003, { keyUrl: rotatedUrl });
    expect((await post(url('sec-cw'), fresh, cwHeaders(s.cw.sign(fresh, rotated)))).status).toBe(202);
    const again = s.cw.callbackBody(7003);
    expect((await post(url('sec-cw'), again, cwHeaders(s.cw.sign(again)))).status).toBe(202);
    // A signature by an unknown key at a recently fetched key_url is refused without fetching the key again.
    const before = fetches();
    const forged = s.cw.callbackBody(7003, { keyUrl: rotatedUrl });
    expect((await post(url('sec-cw'), forged, cwHeaders(s.cw.sign(forged, 'SNTNL-cw-forged')))).status).toBe(401);
    expect(fetches()).toBe(before);
  });
});
