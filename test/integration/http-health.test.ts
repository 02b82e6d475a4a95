import { afterEach, describe, expect, it } from 'vitest';

import { build, type Built } from '../helpers/build.js';

// Liveness, readiness, Prometheus metrics, docs, and the server settings docs/reliability.md §4 asks for.

let h: Built;
afterEach(async () => h.app.close());

describe('/healthz and /readyz', () => {
  it('healthz is 200 even when Redis is down', async () => {
    h = await build();
    h.pipeline.down = true;
    const res = await h.app.inject('/healthz');
    expect([res.statusCode, res.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('readyz is 200 with its checks when Redis answers and workers consume', async () => {
    h = await build();
    const res = await h.app.inject('/readyz');
    expect([res.statusCode, res.json()]).toEqual([
      200,
      { ready: true, checks: { redis: true, config: true, workers: true, role: 'all' } },
    ]);
  });

  it('readyz is 503 when Redis is down, when workers stopped consuming, or when readiness hangs', async () => {
    h = await build({ app: { readinessTimeoutMs: 50 } });
    h.pipeline.down = true;
    const down = await h.app.inject('/readyz');
    expect([down.statusCode, down.json().ready, down.json().checks.redis]).toEqual([503, false, false]);
    h.pipeline.down = false;
    h.pipeline.readinessReport = { redis: true, workers: false };
    expect((await h.app.inject('/readyz')).statusCode).toBe(503);
    h.pipeline.readiness = () => new Promise(() => {});
    const hung = await h.app.inject('/readyz');
    expect([hung.statusCode, hung.json().checks.redis]).toEqual([503, false]);
    h.pipeline.readiness = () => Promise.reject(new Error('boom'));
    expect((await h.app.inject('/readyz')).statusCode).toBe(503);
  });

  it('the api role has no workers (null) and is ready on Redis alone', async () => {
    h = await build({ deps: { role: 'api' } });
    h.pipeline.readinessReport = { redis: true, workers: null };
    const res = await h.app.inject('/readyz');
    expect([res.statusCode, res.json().checks]).toEqual([
      200,
      { redis: true, config: true, workers: null, role: 'api' },
    ]);
  });
});

describe('/metrics', () => {
  it('serves Prometheus text with HTTP metrics labelled by route template', async () => {
    h = await build();
    await h.app.inject({
      method: 'POST',
      url: '/webhooks/acme',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await h.app.inject('/no/such/thing/12345');
    const res = await h.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain(
      'psa_escalator_http_requests_total{method="POST",route="/webhooks/:instanceId",status="401"} 1',
    );
    expect(res.body).toContain('psa_escalator_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(res.body).not.toContain('12345');
    expect(res.body).toContain('# TYPE psa_escalator_http_request_duration_seconds histogram');
    expect(res.body).toContain('psa_escalator_process_');
  });
});

describe('docs and server settings', () => {
  it('serves Swagger UI at /docs and the OpenAPI document at /openapi.json', async () => {
    h = await build();
    const docs = await h.app.inject('/docs');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    const doc = (await h.app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/webhooks/{instanceId}', '/api/evaluate', '/readyz']),
    );
    expect(doc.paths['/api/instances'].get.security).toEqual([{ bearerAuth: [] }]);
  });

  it('sets a request timeout (slowloris) and never trusts a client request id', async () => {
    h = await build();
    expect((h.app.initialConfig as { requestTimeout?: number }).requestTimeout).toBe(15_000);
    expect(h.app.initialConfig.requestIdHeader).toBe(false);
  });
});
