import { afterEach, describe, expect, it } from 'vitest';

import { build, hmacInstance, testConfig, type Built } from '../helpers/build.js';

// POST /webhooks/:instanceId through the real app (Fastify inject) over an in-memory pipeline: the happy paths,
// and docs/spec.md §5's order of checks — each failure must leave the pipeline untouched.

const NOW = new Date('2026-11-24T14:18:00Z');
let h: Built;
afterEach(async () => h.app.close());

const body = (fields: Record<string, unknown> = {}) => JSON.stringify({ ticketId: 4711, eventId: 'evt-1', ...fields });
const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, payload, headers });
const metric = async (name: string) => (await h.deps.metrics.registry.getSingleMetricAsString(name)).split('\n');

describe('POST /webhooks/:instanceId — accepted deliveries', () => {
  it('acks 202 with <instance>:<event id> only after the pipeline took the event', async () => {
    h = await build({ now: () => NOW });
    const b = body();
    const res = await post('/webhooks/acme', b, h.signed(b));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: true, eventId: 'acme:evt-1' });
    expect(h.pipeline.events).toHaveLength(1);
    expect(h.pipeline.events[0]).toMatchObject({
      instanceId: 'acme',
      event: { ticketId: '4711', eventId: 'evt-1', action: 'updated' },
      receivedAt: NOW.getTime(),
    });
    expect(h.pipeline.events[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs one access line per request, with its request id and the path without the query string', async () => {
    h = await build();
    const b = body();
    const res = await post('/webhooks/acme?token=in-the-query-0042', b, h.signed(b));
    expect(res.statusCode).toBe(202);
    const unsigned = await post('/webhooks/acme', b, {});
    expect(unsigned.statusCode).toBe(401);
    const lines = h
      .logText()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toEqual([
      expect.objectContaining({
        level: 30,
        reqId: expect.any(String),
        req: { method: 'POST', url: '/webhooks/acme', remoteAddress: '127.0.0.1' },
        res: { statusCode: 202 },
        responseTime: expect.any(Number),
      }),
      expect.objectContaining({ reqId: expect.any(String), res: { statusCode: 401 } }),
    ]);
    expect(access[0]!.reqId).toBe(h.pipeline.events[0]!.requestId);
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
    expect(h.logText()).not.toContain('in-the-query-0042');
  });

  it('answers a repeated delivery with duplicate:true and queues it once', async () => {
    h = await build();
    const b = body();
    await post('/webhooks/acme', b, h.signed(b));
    const again = await post('/webhooks/acme', b, h.signed(b));
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ accepted: true, eventId: 'acme:evt-1', duplicate: true });
    expect(h.pipeline.events).toHaveLength(1);
  });

  it('acknowledges echoes and other entities as ignored without queueing them', async () => {
    h = await build();
    const echo = body({ actor: 'escalator-api', eventId: 'evt-echo' });
    const company = body({ entity: 'company', eventId: 'evt-co' });
    const r1 = await post('/webhooks/acme', echo, h.signed(echo));
    const r2 = await post('/webhooks/acme', company, h.signed(company));
    expect([r1.statusCode, r1.json()]).toEqual([202, { accepted: true, eventId: 'acme:evt-echo', ignored: 'echo' }]);
    expect([r2.statusCode, r2.json()]).toEqual([
      202,
      { accepted: true, eventId: 'acme:evt-co', ignored: 'entity_type' },
    ]);
    expect(h.pipeline.calls).toEqual([]);
  });

  it('ignores any query string and takes any content type (the raw bytes are what is signed)', async () => {
    h = await build();
    const b = body();
    const res = await post('/webhooks/acme?foo=bar&x[]=1&instanceId=globex', b, {
      ...h.signed(b),
      'content-type': 'text/plain',
    });
    expect(res.statusCode).toBe(202);
    expect(h.pipeline.events[0]!.instanceId).toBe('acme');
  });

  it('counts outcomes per instance in psa_escalator_webhook_events_total', async () => {
    h = await build();
    const b = body();
    await post('/webhooks/acme', b, h.signed(b));
    await post('/webhooks/acme', b, h.signed(b));
    await post('/webhooks/acme', `${b} `, h.signed(b));
    const lines = await metric('psa_escalator_webhook_events_total');
    expect(lines).toContain('psa_escalator_webhook_events_total{instance="acme",outcome="accepted"} 1');
    expect(lines).toContain('psa_escalator_webhook_events_total{instance="acme",outcome="duplicate"} 1');
    expect(lines).toContain('psa_escalator_webhook_events_total{instance="acme",outcome="unauthorized"} 1');
  });
});

describe('POST /webhooks/:instanceId — order of checks, nothing stored on failure', () => {
  it('unknown instance → the generic 404, byte-identical to a random path, before size and auth', async () => {
    h = await build({ env: { webhookMaxBytes: 64 } });
    const random = await post('/no/such/path', 'x');
    for (const id of ['nope', '__proto__', 'constructor', 'ACME', 'acme%2Fx']) {
      const res = await post(`/webhooks/${id}`, 'y'.repeat(500));
      expect(res.statusCode).toBe(404);
      expect(res.rawPayload.equals(random.rawPayload)).toBe(true);
      expect(res.headers['content-type']).toBe(random.headers['content-type']);
      expect(res.body).not.toContain(id);
    }
    expect(random.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } });
    expect(h.pipeline.calls).toEqual([]);
  });

  it('oversized body → 413 before authentication (an unsigned one too)', async () => {
    h = await build({ env: { webhookMaxBytes: 256 } });
    const big = body({ pad: 'x'.repeat(300) });
    for (const headers of [h.signed(big), {}]) {
      const res = await post('/webhooks/acme', big, headers);
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe('payload_too_large');
    }
    const fits = body({ pad: 'x'.repeat(100) });
    expect((await post('/webhooks/acme', fits, h.signed(fits))).statusCode).toBe(202);
    expect(h.pipeline.events).toHaveLength(1);
  });

  it('tampered, re-serialized or wrongly signed bodies → 401, never 500', async () => {
    h = await build();
    const b = body();
    const reserialized = JSON.stringify(JSON.parse(b), null, 1);
    const sig = h.signed(b)['x-test-signature']!;
    const cases: [string, Record<string, string>][] = [
      [`${b} `, h.signed(b)],
      [reserialized, h.signed(b)],
      [b, h.signed(b, 'another-secret')],
      [b, { 'x-test-signature': '' }],
      [b, { 'x-test-signature': sig.slice(0, 20) }],
      [b, { 'x-test-signature': `${sig}AAAA` }],
      [b, { 'x-test-signature': '%%%not-base64%%%' }],
      [b, { 'x-test-signature': 'ab'.repeat(32) }],
      [b, {}],
    ];
    for (const [payload, headers] of cases) {
      const res = await post('/webhooks/acme', payload, { 'content-type': 'application/json', ...headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'unauthorized', message: 'Webhook authentication failed' } });
    }
    expect(h.pipeline.calls).toEqual([]);
  });

  it('authenticated but not JSON, not an object of the right shape, or empty → 400', async () => {
    h = await build();
    for (const payload of ['not json at all', '{"ticketId": 1,', '[1,2,3]', '{"ticketId": 1}', '"just a string"', '']) {
      const res = await post('/webhooks/acme', payload, h.signed(payload));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
    }
    expect(h.pipeline.calls).toEqual([]);
  });

  it('a signing key that cannot be fetched → 503 key_unavailable, counted, nothing stored', async () => {
    h = await build({ config: testConfig([hmacInstance('acme', { keyUnavailable: true })]) });
    const b = body();
    const res = await post('/webhooks/acme', b, h.signed(b));
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('key_unavailable');
    expect(await metric('psa_escalator_signing_key_unavailable_total')).toContain(
      'psa_escalator_signing_key_unavailable_total{instance="acme"} 1',
    );
    expect(h.pipeline.calls).toEqual([]);
  });

  it('Redis down → 503 unavailable (the event is not acknowledged)', async () => {
    h = await build();
    h.pipeline.down = true;
    const b = body();
    const res = await post('/webhooks/acme', b, h.signed(b));
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('unavailable');
    expect(h.pipeline.events).toEqual([]);
  });

  it('a connector bug → 500 with a generic message, no internals in the answer', async () => {
    h = await build({ config: testConfig([hmacInstance('acme', { explode: 'boom at db password=hunter2' })]) });
    const b = body();
    const res = await post('/webhooks/acme', b, h.signed(b));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'Internal server error' } });
    expect(res.body).not.toContain('hunter2');
    expect(h.pipeline.calls).toEqual([]);
  });
});

describe('POST /webhooks/:instanceId/deactivated', () => {
  it('202 for a known instance whatever the body; reported to the pipeline', async () => {
    h = await build();
    for (const payload of ['', 'garbage', '{"Action":"Deactivated"}']) {
      const res = await post('/webhooks/acme/deactivated', payload, { 'content-type': 'application/octet-stream' });
      expect([res.statusCode, res.json()]).toEqual([202, { accepted: true }]);
    }
    expect(h.pipeline.deactivations).toEqual(['acme', 'acme', 'acme']);
  });

  it('unknown instance → 404; over 64 KiB → 413; Redis down → 503', async () => {
    h = await build();
    expect((await post('/webhooks/nope/deactivated', '{}')).statusCode).toBe(404);
    expect((await post('/webhooks/acme/deactivated', 'x'.repeat(64 * 1024 + 1))).statusCode).toBe(413);
    expect((await post('/webhooks/acme/deactivated', 'x'.repeat(64 * 1024))).statusCode).toBe(202);
    h.pipeline.down = true;
    expect((await post('/webhooks/acme/deactivated', '{}')).statusCode).toBe(503);
    expect(h.pipeline.deactivations).toEqual(['acme']);
  });
});
