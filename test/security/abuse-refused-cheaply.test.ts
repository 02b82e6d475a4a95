import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { basic, cwT1, haloBody, haloT1, post, SECRETS, startSecurityService } from '../integration/security-harness.js';
import type { SecurityService } from '../integration/security-harness.js';

// Issue 12 item 8: a client over its failure budget is refused in `onRequest`, before its body is read, parsed,
// authenticated or used to fetch a key; `/metrics` (whose labels list every instance id) can be put behind
// METRICS_TOKEN. The real service over HTTP, a real Redis and the fake PSAs.

const PROBE_MAX = 3;
const METRICS_TOKEN = 'SNTNL-metrics-token-0123456789abcdef01234567';

let s: SecurityService;
beforeAll(async () => {
  // trustProxy: each test sends from its own address (x-forwarded-for), so probe budgets do not mix between tests.
  s = await startSecurityService({
    app: { trustProxy: true, probeLimit: { max: PROBE_MAX } },
    env: { metricsToken: METRICS_TOKEN, webhookMaxBytes: 16_384 },
  });
});
afterAll(async () => s?.close());

const url = (id: string) => `${s.base}/webhooks/${id}`;
const keyFetches = () => s.cw.requests.filter((r) => r.path.includes('callbackkey')).length;
const cw = (ip: string, signature: string) => ({
  'content-type': 'application/json',
  'x-content-signature': signature,
  'x-forwarded-for': ip,
});

/** Spends `ip`'s whole failure budget with badly signed ConnectWise callbacks (each one a 401). */
async function exhaust(ip: string): Promise<void> {
  for (let i = 0; i < PROBE_MAX; i += 1) {
    const body = s.cw.callbackBody(9201);
    expect((await post(url('sec-cw'), body, cw(ip, s.cw.sign(body, 'SNTNL-wrong-key')))).status).toBe(401);
  }
}

describe('over-budget clients are refused before any body work', () => {
  it('an over-budget sender of a correctly signed callback with a new key_url gets 429 and costs no key fetch (no verification ran)', async () => {
    cwT1(s, 9201);
    await exhaust('192.0.2.10');
    const before = keyFetches();
    const body = s.cw.callbackBody(9201, { keyUrl: `${s.cw.keyUrl}&fresh=1` });
    const res = await post(url('sec-cw'), body, cw('192.0.2.10', s.cw.sign(body)));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(keyFetches()).toBe(before);
    expect(await s.running.read.ticket('sec-cw', '9201')).toBeFalsy();
    // The same delivery from an address within its budget is verified (key fetched) and accepted.
    expect((await post(url('sec-cw'), body, cw('192.0.2.11', s.cw.sign(body)))).status).toBe(202);
    expect(keyFetches()).toBe(before + 1);
  });

  it('an over-budget sender gets 429 where reading the body would have given 413 (too large) or 400 (not JSON)', async () => {
    haloT1(s, 9202);
    const ip = '192.0.2.20';
    const halo = {
      'content-type': 'application/json',
      authorization: basic('escalator', SECRETS.haloHookPassword),
      'x-forwarded-for': ip,
    };
    // Within budget: the body is read and judged.
    expect((await post(url('sec-halo'), '{"not json', halo)).status).toBe(400);
    expect((await post(url('sec-halo'), 'x'.repeat(32_768), halo)).status).toBe(413);
    await exhaust(ip);
    expect((await post(url('sec-halo'), '{"not json', halo)).status).toBe(429);
    expect((await post(url('sec-halo'), 'x'.repeat(32_768), halo)).status).toBe(429);
    expect((await post(url('sec-halo'), haloBody(9202), halo)).status).toBe(429);
    const events = await (
      await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(events).toMatch(
      /psa_escalator_webhook_events_total\{[^}]*instance="sec-halo"[^}]*outcome="rate_limited"[^}]*\} 3/,
    );
  });
});

describe('/metrics behind METRICS_TOKEN', () => {
  it('an unauthenticated scrape of /metrics (which would list every instance id) → 401; the bearer token → 200', async () => {
    const anonymous = await fetch(`${s.base}/metrics`, { headers: { 'x-forwarded-for': '192.0.2.30' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const text = await anonymous.text();
    expect(text).not.toContain('sec-cw');
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await fetch(`${s.base}/metrics`, {
      headers: { authorization: 'Bearer nope', 'x-forwarded-for': '192.0.2.30' },
    });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${s.base}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}`, 'x-forwarded-for': '192.0.2.31' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('psa_escalator_');
    // Failed scrapes are probes: the third failure from one address exhausts the budget, the fourth is a 429.
    expect((await fetch(`${s.base}/metrics`, { headers: { 'x-forwarded-for': '192.0.2.30' } })).status).toBe(401);
    expect((await fetch(`${s.base}/metrics`, { headers: { 'x-forwarded-for': '192.0.2.30' } })).status).toBe(429);
    // Liveness and readiness stay open.
    expect((await fetch(`${s.base}/healthz`, { headers: { 'x-forwarded-for': '192.0.2.30' } })).status).toBe(200);
  });
});
