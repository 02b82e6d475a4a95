import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ok } from '../../src/contract/index.js';
import type { ConnectorContext, Logger, WebhookRequest } from '../../src/contract/index.js';
import { MemoryCache } from '../../src/lib/memory-cache.js';

import { settingsSchema } from './schemas.js';
import type { ConnectWiseSettings } from './schemas.js';
import { cwSignature, keyCacheTtlMs, keyFetchesPerMinute, keyStaleMaxMs, verifyWebhook } from './webhook.js';

// The per-instance key-fetch budget over an injected clock: a rolling minute, whatever the key_url.

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};
const fixture = readFileSync(new URL('./__fixtures__/callback-ticket-updated.json', import.meta.url), 'utf8');

function setup() {
  let nowMs = Date.parse('2026-01-27T21:15:00Z');
  const fetched: string[] = [];
  /** The key endpoint answers 500 while set. */
  const endpoint = { failing: false };
  const ctx: ConnectorContext<ConnectWiseSettings> = {
    instance: {
      id: 'acme-cw',
      kind: 'connectwise',
      policy: 'standard',
      mode: 'enforce',
      mapping: { tiers: {}, groups: {}, priorities: {}, statuses: {}, members: {}, vipCompanies: [] },
      rateLimit: { requests: 600, per: 60_000 },
    },
    settings: settingsSchema.parse({
      connection: {
        site: 'api-na.myconnectwise.net',
        companyId: 'acme',
        publicKey: 'p',
        privateKey: 'k',
        clientId: 'c',
      },
      webhook: { keyUrlHosts: ['na.myconnectwise.net'] },
    }),
    http: {
      request: () => Promise.reject(new Error('no REST calls while verifying')),
      safeGet: async (url) => {
        fetched.push(url);
        return ok(
          endpoint.failing
            ? { status: 500, text: '{}' }
            : { status: 200, text: JSON.stringify({ signing_key: 'the-real-key' }) },
        );
      },
    },
    log: quiet,
    clock: { now: () => new Date(nowMs) },
    cache: new MemoryCache(() => nowMs),
  };
  /** A forged callback (signed with a key ConnectWise never served) naming key_url variant `n`. */
  const forged = (n: string): WebhookRequest => {
    const body = Buffer.from(fixture.replace('companyName=acme', `companyName=acme&n=${n}`));
    return {
      headers: { 'x-content-signature': cwSignature('forged', body) },
      rawBody: body,
      json: JSON.parse(body.toString()) as unknown,
      query: {},
      ip: '203.0.113.7',
    };
  };
  /** ConnectWise's own callback: its real key_url, signed with the key it serves. */
  const real = (): WebhookRequest => {
    const body = Buffer.from(fixture);
    return {
      headers: { 'x-content-signature': cwSignature('the-real-key', body) },
      rawBody: body,
      json: JSON.parse(body.toString()) as unknown,
      query: {},
      ip: '198.51.100.1',
    };
  };
  return { ctx, fetched, forged, real, endpoint, advance: (ms: number) => (nowMs += ms) };
}

describe('ConnectWise key-fetch budget', () => {
  it(`fetches at most ${keyFetchesPerMinute} keys in any rolling minute; later ones are key_unavailable without a fetch`, async () => {
    const { ctx, fetched, forged, advance } = setup();
    for (let i = 0; i < keyFetchesPerMinute; i += 1) {
      expect(await verifyWebhook(ctx, forged(`a${i}`))).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      advance(1_000);
    }
    expect(fetched).toHaveLength(keyFetchesPerMinute);
    expect(await verifyWebhook(ctx, forged('over'))).toMatchObject({ ok: false, error: { code: 'key_unavailable' } });
    expect(fetched).toHaveLength(keyFetchesPerMinute);
    // Once the first fetch (at 0 s) is more than a minute old, one more fits (now 60.5 s); then the budget is full again.
    advance(40_500);
    expect(await verifyWebhook(ctx, forged('b1'))).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await verifyWebhook(ctx, forged('b2'))).toMatchObject({ ok: false, error: { code: 'key_unavailable' } });
    expect(fetched).toHaveLength(keyFetchesPerMinute + 1);
  });

  it('a key_url that verified before is outside the budget, and keeps its key past the TTL while its endpoint fails (bounded)', async () => {
    const { ctx, fetched, forged, real, endpoint, advance } = setup();
    expect(await verifyWebhook(ctx, real())).toEqual({ ok: true, value: undefined });
    advance(keyCacheTtlMs + 60_000);
    for (let i = 0; i < keyFetchesPerMinute + 3; i += 1) await verifyWebhook(ctx, forged(`f${i}`));
    const over = await verifyWebhook(ctx, forged('over'));
    // Refused by our own budget: marked so that the sender is not charged for it.
    expect(over).toMatchObject({ ok: false, error: { code: 'key_unavailable', details: { ownBudget: true } } });
    const before = fetched.length;
    expect(await verifyWebhook(ctx, real())).toEqual({ ok: true, value: undefined });
    expect(fetched, 'ConnectWise key_url fetched outside the used-up budget').toHaveLength(before + 1);
    // Past the TTL again, its endpoint failing: the key it served before still verifies, one fetch try a minute.
    advance(keyCacheTtlMs + 60_000);
    endpoint.failing = true;
    expect(await verifyWebhook(ctx, real())).toEqual({ ok: true, value: undefined });
    expect(await verifyWebhook(ctx, real())).toEqual({ ok: true, value: undefined });
    expect(fetched).toHaveLength(before + 2);
    // Not for ever: once the last good fetch is keyStaleMaxMs old, a failing endpoint means key_unavailable.
    advance(keyStaleMaxMs);
    expect(await verifyWebhook(ctx, real())).toMatchObject({ ok: false, error: { code: 'key_unavailable' } });
  });
});
