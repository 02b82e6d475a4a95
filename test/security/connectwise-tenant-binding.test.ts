import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cwT1, post, startSecurityService } from '../integration/security-harness.js';
import type { Answer, SecurityService } from '../integration/security-harness.js';

// Issue 12 item 1: ConnectWise cloud hosts (na.myconnectwise.net, …) serve every company, so another company on the
// same host can sign a callback with its own key and point `Metadata.key_url` at that key. A callback is ours only
// when the key_url names our company exactly once and the body names no other; every refusal comes before any key
// fetch. The key fetches senders can cause are bounded per instance, and key_unavailable answers cost the sender
// probe budget. The real service over HTTP, a real Redis, the fake ConnectWise (its key endpoint scripted to serve
// the other company's key, as ConnectWise would for that company's key_url).

const PROBE_MAX = 5;
const EVIL_KEY = 'SNTNL-evilcorp-signing-key';

let s: SecurityService;
beforeAll(async () => {
  // trustProxy: each test sends from its own address (x-forwarded-for), so probe budgets do not mix between tests.
  s = await startSecurityService({ app: { trustProxy: true, probeLimit: { max: PROBE_MAX } } });
});
afterAll(async () => s?.close());

const hook = () => `${s.base}/webhooks/sec-cw`;
const keyFetches = () => s.cw.requests.filter((r) => r.path.includes('callbackkey')).length;
/** The most key fetches the fake ConnectWise saw within any 60 s. */
function maxFetchesInAMinute(): number {
  const at = s.cw.requests.filter((r) => r.path.includes('callbackkey')).map((r) => r.at);
  return Math.max(0, ...at.map((t) => at.filter((u) => u >= t && u < t + 60_000).length));
}
const errorCode = (a: Answer) => (JSON.parse(a.text) as { error: { code: string } }).error.code;
const from = (ip: string, signature: string) => ({
  'content-type': 'application/json',
  'x-content-signature': signature,
  'x-forwarded-for': ip,
});
const KEY_PATH = () => s.cw.keyUrl.split('?')[0]!;

/** The other company's key endpoint: whatever key_url reaches the fake, it answers with evilcorp's key. */
function serveEvilKey(times: number): void {
  for (let i = 0; i < times; i += 1)
    s.cw.script({ path: /callbackkey/ }, { status: 200, body: { signing_key: EVIL_KEY } });
}
/** Drops scripted key answers that were (correctly) never asked for. */
function dropKeyScripts(): void {
  while (s.cw.takeScript('GET', new URL(KEY_PATH()).pathname)) {
    /* drained */
  }
}

/** A callback for `ticket` whose body is tweaked by `edit`, signed with `key`. */
function callback(
  ticket: number,
  keyUrl: string,
  key: string,
  edit: (b: Record<string, unknown>) => void = () => undefined,
): { body: string; signature: string } {
  const json = JSON.parse(s.cw.callbackBody(ticket, { keyUrl })) as Record<string, unknown>;
  edit(json);
  const body = JSON.stringify(json);
  return { body, signature: s.cw.sign(body, key) };
}

describe('ConnectWise tenant binding (companyName in key_url, CompanyId in the body)', () => {
  it('another company signs a callback whose key_url repeats companyName (ours, then its own) → 401 before any key fetch', async () => {
    cwT1(s, 9101);
    const id = s.cw.callbackKeyId;
    const repeated = [
      `${KEY_PATH()}?companyName=acme&id=${id}&companyName=evilcorp`,
      `${KEY_PATH()}?companyName=acme&CompanyName=evilcorp&id=${id}`, // ASP.NET reads query names case-insensitively
      `${KEY_PATH()}?companyname=evilcorp&companyName=acme&id=${id}`,
      `${KEY_PATH()}?companyName=acme&companyName=acme&id=${id}`,
    ];
    serveEvilKey(repeated.length);
    const before = keyFetches();
    for (const [i, keyUrl] of repeated.entries()) {
      const { body, signature } = callback(9101, keyUrl, EVIL_KEY);
      const res = await post(hook(), body, from(`198.51.100.${10 + i}`, signature));
      expect(res.status, keyUrl).toBe(401);
      expect(errorCode(res)).toBe('unauthorized');
    }
    expect(keyFetches()).toBe(before);
    dropKeyScripts();
    expect(await s.running.read.ticket('sec-cw', '9101')).toBeFalsy();
  });

  it('another company signs a callback whose key_url has no companyName → 401 before any key fetch', async () => {
    cwT1(s, 9102);
    const bare = [
      `${KEY_PATH()}?id=${s.cw.callbackKeyId}`,
      KEY_PATH(),
      `${KEY_PATH()}?company=acme&id=${s.cw.callbackKeyId}`,
      `${KEY_PATH()}?companyName=&id=x`,
    ];
    serveEvilKey(bare.length);
    const before = keyFetches();
    for (const keyUrl of bare) {
      const { body, signature } = callback(9102, keyUrl, EVIL_KEY);
      const res = await post(hook(), body, from('198.51.100.20', signature));
      expect(res.status, keyUrl).toBe(401);
    }
    expect(keyFetches()).toBe(before);
    dropKeyScripts();
    expect(await s.running.read.ticket('sec-cw', '9102')).toBeFalsy();
  });

  it('a body CompanyId naming another company (or not a string) → 401 before any key fetch, even with our key_url', async () => {
    cwT1(s, 9103);
    const before = keyFetches();
    for (const [i, company] of ['evilcorp', 'acme2', 42, ['acme'], { id: 'acme' }, true].entries()) {
      const { body, signature } = callback(9103, s.cw.keyUrl, EVIL_KEY, (b) => (b.CompanyId = company));
      const res = await post(hook(), body, from(`198.51.100.${30 + i}`, signature));
      expect(res.status, JSON.stringify(company)).toBe(401);
    }
    expect(keyFetches()).toBe(before);
  });

  it('our own callback is still accepted: companyName matches case-insensitively, CompanyId may be absent', async () => {
    cwT1(s, 9104);
    const upper = s.cw.keyUrl.replace('companyName=acme', 'companyName=ACME');
    // ConnectWise resolves the company case-insensitively (the fake matches exactly, so its answer is scripted).
    s.cw.script({ path: /callbackkey/ }, { status: 200, body: { signing_key: s.cw.signingKey } });
    const a = callback(9104, upper, s.cw.signingKey, (b) => (b.CompanyId = 'Acme'));
    expect((await post(hook(), a.body, from('198.51.100.40', a.signature))).status).toBe(202);
    const b = callback(9104, s.cw.keyUrl, s.cw.signingKey, (j) => delete j.CompanyId);
    expect((await post(hook(), b.body, from('198.51.100.40', b.signature))).status).toBe(202);
  });
});

describe('key fetches are bounded', () => {
  it('a sender whose key_urls answer key_unavailable runs out of probe budget → 429, and no further key fetch', async () => {
    cwT1(s, 9105);
    const answers: number[] = [];
    const before = keyFetches();
    for (let i = 0; i < PROBE_MAX + 3; i += 1) {
      s.cw.script({ path: /callbackkey/ }, { status: 500, body: { message: 'boom' } });
      const { body, signature } = callback(9105, `${s.cw.keyUrl}&probe=ku${i}`, s.cw.signingKey);
      answers.push((await post(hook(), body, from('198.51.100.50', signature))).status);
    }
    dropKeyScripts();
    expect(answers.slice(0, PROBE_MAX)).toEqual(Array(PROBE_MAX).fill(503));
    expect(answers.slice(PROBE_MAX)).toEqual([429, 429, 429]);
    expect(keyFetches() - before).toBe(PROBE_MAX);
    expect(await s.running.read.ticket('sec-cw', '9105')).toBeFalsy();
  });

  it('a flood of distinct key_urls from many senders costs at most 20 key fetches per minute; a cached key keeps working', async () => {
    cwT1(s, 9106);
    // Our own callback first: its key is cached before the flood.
    const ours = callback(9106, s.cw.keyUrl, s.cw.signingKey);
    expect((await post(hook(), ours.body, from('198.51.100.60', ours.signature))).status).toBe(202);
    const counts: Record<number, number> = {};
    const before = keyFetches();
    for (let sender = 0; sender < 8; sender += 1) {
      for (let i = 0; i < PROBE_MAX; i += 1) {
        const { body, signature } = callback(9106, `${s.cw.keyUrl}&flood=${sender}-${i}`, EVIL_KEY);
        const res = await post(hook(), body, from(`203.0.113.${sender + 1}`, signature));
        counts[res.status] = (counts[res.status] ?? 0) + 1;
      }
    }
    // 40 forged deliveries. Whatever else this file fetched counts too: no 60 s window holds more than 20 fetches.
    expect(maxFetchesInAMinute()).toBeLessThanOrEqual(20);
    expect(keyFetches() - before).toBeLessThan(20);
    expect(counts[503]).toBeGreaterThanOrEqual(20);
    expect(counts[202]).toBeUndefined();
    const again = callback(9106, s.cw.keyUrl, s.cw.signingKey);
    expect((await post(hook(), again.body, from('198.51.100.60', again.signature))).status).toBe(202);
  });
});
