import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keyCacheTtlMs, keyFetchesPerMinute } from '../../connectors/connectwise/webhook.js';
import { cwT1, post, startSecurityService } from '../integration/security-harness.js';
import type { SecurityService } from '../integration/security-harness.js';

// Starving ConnectWise's key fetches (adversarial review of issue 12): the per-instance key-fetch budget is smaller
// than one address's probe budget, so a sender of forged key_urls can use it up. Once the cached key of ConnectWise's
// real key_url expires, ConnectWise's own callbacks would then be refused 503 — ConnectWise never retries a 5xx, so
// the event is lost — and each refusal would count against ConnectWise's own address. A key_url that verified a
// callback before keeps its key (and its own fetches) whatever the budget, and a refusal caused by our budget costs
// the sender nothing. The real service over HTTP, a real Redis, the fake ConnectWise; the pipeline's clock is moved
// past the key's TTL.

const PROBE_MAX = 30;
const EVIL_KEY = 'SNTNL-evilcorp-signing-key';

let s: SecurityService;
let offsetMs = 0;
beforeAll(async () => {
  // trustProxy: each sender has its own address (x-forwarded-for).
  s = await startSecurityService({
    app: { trustProxy: true, probeLimit: { max: PROBE_MAX } },
    now: () => Date.now() + offsetMs,
  });
});
afterAll(async () => s?.close());

const hook = () => `${s.base}/webhooks/sec-cw`;
const from = (ip: string, signature: string) => ({
  'content-type': 'application/json',
  'x-content-signature': signature,
  'x-forwarded-for': ip,
});
const KEY_PATH = () => s.cw.keyUrl.split('?')[0]!;
const keyFetches = () => s.cw.requests.filter((r) => r.path.includes('callbackkey')).length;

function callback(ticket: number, keyUrl: string, key: string): { body: string; signature: string } {
  const body = s.cw.callbackBody(ticket, { keyUrl });
  return { body, signature: s.cw.sign(body, key) };
}

/** Forged callbacks from one address, each naming a key_url of its own (our company, a made-up key id). */
async function flood(ticket: number, ip: string, n: number, tag: string): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (let i = 0; i < n; i += 1) {
    const { body, signature } = callback(ticket, `${KEY_PATH()}?companyName=acme&id=${tag}-${i}`, EVIL_KEY);
    const res = await post(hook(), body, from(ip, signature));
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
  return counts;
}

describe('ConnectWise key fetches cannot be starved by one address', () => {
  it('forged key_urls from one address use up the key-fetch budget; ConnectWise’s real callback after its key’s TTL → 202', async () => {
    cwT1(s, 9301);
    const first = callback(9301, s.cw.keyUrl, s.cw.signingKey);
    expect((await post(hook(), first.body, from('192.0.2.10', first.signature))).status).toBe(202);
    offsetMs += keyCacheTtlMs + 60_000;
    const before = keyFetches();
    const counts = await flood(9301, '203.0.113.66', keyFetchesPerMinute + 5, 'forged');
    expect(keyFetches() - before, 'the flood is bounded by the key-fetch budget').toBe(keyFetchesPerMinute);
    expect(counts[503], 'the budget was used up').toBeGreaterThanOrEqual(5);
    expect(counts[202]).toBeUndefined();
    const real = callback(9301, s.cw.keyUrl, s.cw.signingKey);
    const res = await post(hook(), real.body, from('192.0.2.10', real.signature));
    expect(res.status, res.text).toBe(202);
  });

  it('a refusal caused by our own key-fetch budget does not cost the sender its probe budget', async () => {
    cwT1(s, 9302);
    offsetMs += 2 * 60_000; // a fresh key-fetch minute
    await flood(9302, '203.0.113.77', keyFetchesPerMinute, 'forged2');
    // A sender whose key_url never verified anything is refused (the budget is used up), more often than its probe
    // budget allows: every answer stays 503, never 429.
    const statuses: number[] = [];
    for (let i = 0; i < PROBE_MAX + 5; i += 1) {
      const { body, signature } = callback(9302, `${KEY_PATH()}?companyName=acme&id=unverified-key`, s.cw.signingKey);
      statuses.push((await post(hook(), body, from('192.0.2.20', signature))).status);
    }
    expect(statuses).toEqual(Array(PROBE_MAX + 5).fill(503));
  });
});
