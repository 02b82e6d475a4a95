import { afterEach, describe, expect, it } from 'vitest';

import { ADMIN_TOKEN, build, type Built } from '../helpers/build.js';

// /api/* is default-deny behind `Authorization: Bearer $ADMIN_TOKEN` (docs/spec.md §5, docs/reliability.md #20). The route list
// comes from the app itself, so a route added later without protection fails here.

let h: Built;
afterEach(async () => h.app.close());

const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, 'x');
const apiRoutes = (b: Built) => b.routes.filter((r) => r.url.startsWith('/api') && r.method !== 'HEAD');

describe('/api authentication', () => {
  it('finds every /api route of docs/spec.md §5', async () => {
    h = await build();
    const listed = apiRoutes(h).map((r) => `${r.method} ${r.url}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'GET /api/instances',
        'GET /api/tickets/:instanceId/:ticketId',
        'GET /api/escalations',
        'POST /api/evaluate',
        'POST /api/instances/:id/webhooks',
        'POST /api/instances/:id/reconcile',
        'GET /api/dead-letters',
        'POST /api/dead-letters/:id/retry',
      ]),
    );
  });

  it('answers 401 on every /api route without, or with a wrong, token — and changes nothing', async () => {
    // 9 wrong headers × every route is more failures than one IP's probe budget (120/min; its 429 is tested below).
    h = await build({ app: { probeLimit: { max: 100_000, timeWindowMs: 60_000 } } });
    const wrong = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: `Bearer ${'a'.repeat(ADMIN_TOKEN.length)}` },
      { authorization: `Basic ${ADMIN_TOKEN}` },
      { authorization: ADMIN_TOKEN },
      { 'x-admin-token': ADMIN_TOKEN },
    ];
    const routes = apiRoutes(h);
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes) {
      for (const headers of wrong) {
        const res = await h.app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers,
          payload: route.method === 'GET' ? undefined : {},
        });
        expect(res.statusCode, `${route.method} ${route.url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json().error.code).toBe('unauthorized');
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
    }
    expect(h.pipeline.calls).toEqual([]);
    expect(h.read.retried).toEqual([]);
  }, 60_000);

  it('with no ADMIN_TOKEN configured, every /api route is 401 whatever is sent', async () => {
    h = await build({ env: { adminToken: undefined } });
    for (const route of apiRoutes(h)) {
      for (const authorization of [undefined, 'Bearer ', 'Bearer undefined', `Bearer ${ADMIN_TOKEN}`]) {
        const res = await h.app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers: authorization === undefined ? {} : { authorization },
          payload: route.method === 'GET' ? undefined : {},
        });
        expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      }
    }
  });

  it('accepts the right token (scheme case-insensitive) and rate-limits repeated failures', async () => {
    h = await build({ app: { probeLimit: { max: 2, timeWindowMs: 60_000 } } });
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await h.app.inject({ url: '/api/instances', headers: { authorization: `${scheme} ${ADMIN_TOKEN}` } });
      expect(res.statusCode).toBe(200);
    }
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await h.app.inject({ url: '/api/instances', headers: { authorization: 'Bearer nope' } })).statusCode,
      );
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect(
      (await h.app.inject({ url: '/api/instances', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode,
    ).toBe(200);
  });
});
