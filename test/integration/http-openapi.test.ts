import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { generateOpenApiText } from '../../src/http/openapi.js';
import { build } from '../helpers/build.js';

// openapi/openapi.json is generated from the route schemas (`npm run openapi`). It must never drift from them.

const checkedIn = readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');

describe('openapi/openapi.json', () => {
  it('is exactly what `npm run openapi` generates now (run it after changing a route)', async () => {
    expect(await generateOpenApiText()).toBe(checkedIn);
  });

  it('is what the running app serves at /openapi.json', async () => {
    const h = await build();
    try {
      expect((await h.app.inject('/openapi.json')).json()).toEqual(JSON.parse(checkedIn));
    } finally {
      await h.app.close();
    }
  });

  it('documents every route of docs/spec.md §5 (and hides the docs plumbing)', () => {
    const doc = JSON.parse(checkedIn) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /webhooks/{instanceId}',
        'POST /webhooks/{instanceId}/deactivated',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /api/instances',
        'GET /api/tickets/{instanceId}/{ticketId}',
        'GET /api/tickets',
        'GET /api/escalations',
        'POST /api/escalations/{id}/review',
        'GET /api/escalations/reviews',
        'GET /api/escalations/rca',
        'GET /api/metrics/escalations',
        'POST /api/evaluate',
        'POST /api/instances/{id}/webhooks',
        'POST /api/instances/{id}/reconcile',
        'GET /api/dead-letters',
        'POST /api/dead-letters/{id}/retry',
        'POST /api/backtests',
        'GET /api/backtests/{id}',
      ].sort(),
    );
  });
});
