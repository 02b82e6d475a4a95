import { afterEach, describe, expect, it } from 'vitest';

import { err, ConnectorError } from '../../src/contract/index.js';
import type { AuditEntry } from '../../src/store/models.js';
import type { TicketView } from '../../src/pipeline/types.js';
import { PipelineUnavailableError } from '../../src/pipeline/types.js';
import { ADMIN_TOKEN, build, type Built } from '../helpers/build.js';
import { registration } from '../helpers/http-fakes.js';

// The admin API over in-memory read models: shapes, 404s, validation with zod paths and the error envelope.

let h: Built;
afterEach(async () => h.app.close());

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const get = (url: string) => h.app.inject({ method: 'GET', url, headers: auth });
const post = (url: string, payload?: unknown) =>
  h.app.inject({
    method: 'POST',
    url,
    headers: auth,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const decision = { actions: [], reasons: [], nearMisses: [], clocks: {}, nextCheckAt: null };
const audit = (id: string, instanceId = 'acme'): AuditEntry => ({
  id,
  at: '2026-11-24T14:18:00Z',
  instanceId,
  psa: 'connectwise',
  ticketId: '4711',
  mode: 'observe',
  decision,
  results: [{ action: 'reassign', status: 'proposed' }],
});

describe('GET endpoints', () => {
  it('GET /api/instances returns the read model items', async () => {
    h = await build();
    h.read.statuses = [
      {
        id: 'acme',
        kind: 'connectwise',
        mode: 'enforce',
        webhook: 'active',
        lastEventAt: null,
        queueLag: 0,
        rateLimit: { requests: 600, perMs: 60_000, pausedUntil: null },
        psa: 'ok',
      },
    ];
    const res = await get('/api/instances');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: h.read.statuses });
  });

  it('GET /api/tickets/:instanceId/:ticketId: the view, 404 without state, 404 for an unknown instance', async () => {
    h = await build();
    const view = {
      ticket: {
        ref: { instance: 'acme', psa: 'connectwise', id: '4711' },
        title: 'VPN down',
        status: { id: '1', name: 'New', category: 'new' },
        priority: { id: '5', name: 'P2', level: 2 },
        location: { queue: { id: '1' } },
        tier: 'T1',
        owner: null,
        company: { id: '9', vip: false },
        category: [],
        createdAt: '2026-11-24T13:00:00Z',
        updatedAt: '2026-11-24T13:00:00Z',
        version: 'v1',
      },
      state: { tierSince: '2026-11-24T13:00:00Z', internalOnly: 'stripped' },
      tier: 'T1',
      clocks: {},
      nextCheckAt: '2026-11-24T15:00:00Z',
      decisions: [audit('a1')],
    } as unknown as TicketView;
    h.read.tickets.set('acme/4711', view);
    const res = await get('/api/tickets/acme/4711');
    expect(res.statusCode).toBe(200);
    expect(res.json().ticket.title).toBe('VPN down');
    expect(res.json().state).toEqual({ tierSince: '2026-11-24T13:00:00Z' });
    expect(res.json().decisions[0].id).toBe('a1');
    const missing = await get('/api/tickets/acme/1');
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'not_found']);
    expect((await get('/api/tickets/nope/4711')).statusCode).toBe(404);
  });

  it('GET /api/escalations: defaults (limit 50), filters, paging and zod-validated query', async () => {
    h = await build();
    h.read.audit = Array.from({ length: 60 }, (_, i) => audit(`e${i}`));
    const first = await get('/api/escalations?unknown=1');
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toHaveLength(50);
    expect(first.json().nextCursor).toBe('50');
    expect(h.read.queries[0]).toEqual({ limit: 50 });
    const filtered = await get(
      '/api/escalations?instance=acme&rule=t1-timeout&since=2026-11-24T09:00:00-05:00&limit=500&cursor=50',
    );
    expect(filtered.json().items).toHaveLength(10);
    expect(h.read.queries[1]).toEqual({
      instance: 'acme',
      rule: 't1-timeout',
      since: '2026-11-24T14:00:00.000Z',
      limit: 500,
      cursor: '50',
    });
    for (const bad of ['limit=501', 'limit=0', 'limit=ten', 'since=yesterday']) {
      const res = await get(`/api/escalations?${bad}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
      expect(res.json().error.details[0].path).toBe(`query.${bad.split('=')[0]}`);
    }
  });

  it('GET /api/dead-letters and POST /api/dead-letters/:id/retry (202 / 404)', async () => {
    h = await build();
    h.read.letters = [
      {
        id: 'dl-1',
        at: '2026-11-24T14:18:00Z',
        instanceId: 'acme',
        ticketId: '4711',
        actions: [{ type: 'note' }],
        error: { code: 'psa_unavailable', message: 'PSA answered 503' },
      },
    ];
    expect((await get('/api/dead-letters')).json()).toEqual({ items: h.read.letters });
    const retry = await post('/api/dead-letters/dl-1/retry');
    expect([retry.statusCode, retry.json()]).toEqual([202, { queued: true }]);
    expect(h.read.retried).toEqual(['dl-1']);
    expect((await post('/api/dead-letters/dl-404/retry')).statusCode).toBe(404);
  });
});

describe('instance actions', () => {
  it('POST /api/instances/:id/webhooks registers PUBLIC_URL/webhooks/:id', async () => {
    h = await build();
    registration.calls.length = 0;
    const res = await post('/api/instances/acme/webhooks');
    expect([res.statusCode, res.json()]).toEqual([200, { created: 1, updated: 0, unchanged: 0, removed: 0 }]);
    expect(registration.calls).toEqual(['https://escalator.example.com/webhooks/acme']);
    expect((await post('/api/instances/nope/webhooks')).statusCode).toBe(404);
  });

  it('409 public_url_missing without PUBLIC_URL; a PSA failure is a 503 naming its code', async () => {
    h = await build({ env: { publicUrl: undefined } });
    const res = await post('/api/instances/acme/webhooks');
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'public_url_missing', details: { reason: 'public_url_missing' } });
    await h.app.close();
    h = await build();
    const saved = registration.result;
    registration.result = err(new ConnectorError('psa_auth', 'PSA refused our credentials (401)', { status: 401 }));
    try {
      const failed = await post('/api/instances/acme/webhooks');
      expect(failed.statusCode).toBe(503);
      expect(failed.json().error).toMatchObject({
        code: 'unavailable',
        details: { psaError: 'psa_auth', status: 401 },
      });
    } finally {
      registration.result = saved;
    }
  });

  it('POST /api/instances/:id/reconcile → 202 {queued, jobId}; unknown → 404', async () => {
    h = await build();
    const res = await post('/api/instances/globex/reconcile');
    expect([res.statusCode, res.json()]).toEqual([202, { queued: true, jobId: 'reconcile:globex:1' }]);
    expect((await post('/api/instances/nope/reconcile')).statusCode).toBe(404);
    expect(h.pipeline.reconciles).toEqual(['globex']);
  });
});

describe('error envelope', () => {
  it('storage down → 503 unavailable; an unexpected failure → 500 with no internals', async () => {
    h = await build();
    h.read.instances = async () => {
      throw new PipelineUnavailableError('ECONNREFUSED 127.0.0.1:6379');
    };
    const down = await get('/api/instances');
    expect([down.statusCode, down.json().error.code]).toEqual([503, 'unavailable']);
    expect(down.body).not.toContain('6379');
    h.read.deadLetters = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'secretKey')");
    };
    const bug = await get('/api/dead-letters');
    expect(bug.statusCode).toBe(500);
    expect(bug.json()).toEqual({ error: { code: 'internal', message: 'Internal server error' } });
  });

  it('malformed, poisoned and oversized JSON bodies get the envelope with the right code', async () => {
    h = await build();
    const send = (payload: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/evaluate',
        headers: { ...auth, 'content-type': 'application/json' },
        payload,
      });
    const malformed = await send('{"instanceId":');
    expect([malformed.statusCode, malformed.json().error.code]).toEqual([400, 'bad_request']);
    const poisoned = await send('{"instanceId":"acme","__proto__":{"x":1}}');
    expect([poisoned.statusCode, poisoned.json().error.code]).toEqual([400, 'bad_request']);
    const huge = await send(JSON.stringify({ instanceId: 'acme', pad: 'x'.repeat(1_100_000) }));
    expect([huge.statusCode, huge.json().error.code]).toEqual([413, 'payload_too_large']);
  });
});
