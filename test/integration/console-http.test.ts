import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';

import { ADMIN_TOKEN, build } from '../helpers/build.js';
import type { Built } from '../helpers/build.js';

// Issue 16: the console's HTTP contract without a browser (the browser tests are test/browser/): served by the api
// and all roles only, disabled without ADMIN_TOKEN, sign-in and its open-redirect guard, empty and error states that
// say what to do, and the headers of every /ui response.

let h: Built | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

const cookieOf = (setCookie: string | string[] | undefined, name: string): string | undefined =>
  [setCookie ?? []]
    .flat()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`));

async function signIn(
  app: FastifyInstance,
  token = ADMIN_TOKEN,
  next = '/ui/overview',
): Promise<{ status: number; location?: string; session?: string }> {
  const form = await app.inject({ method: 'GET', url: '/ui/sign-in' });
  const pre = cookieOf(form.headers['set-cookie'], 'esc_console_pre')!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const res = await app.inject({
    method: 'POST',
    url: '/ui/sign-in',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf, token, next }).toString(),
  });
  const session = cookieOf(res.headers['set-cookie'], 'esc_console');
  return {
    status: res.statusCode,
    ...(res.headers.location ? { location: String(res.headers.location) } : {}),
    ...(session ? { session } : {}),
  };
}

describe('console over HTTP', () => {
  it('is served by the api and all roles, not by workers', async () => {
    for (const [role, status] of [
      ['all', 200],
      ['api', 200],
      ['worker', 404],
    ] as const) {
      h = await build({ deps: { role } });
      expect((await h.app.inject({ method: 'GET', url: '/ui/sign-in' })).statusCode, role).toBe(status);
      await h.app.close();
      h = undefined;
    }
  });

  it('without ADMIN_TOKEN the sign-in page says the console is disabled and how to enable it', async () => {
    h = await build({ env: { adminToken: undefined } });
    const res = await h.app.inject({ method: 'GET', url: '/ui/sign-in' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('Set ADMIN_TOKEN');
    expect((await h.app.inject({ method: 'GET', url: '/ui/overview' })).statusCode).toBe(303);
  });

  it('every /ui response carries the strict CSP and anti-framing headers; assets come from the package', async () => {
    h = await build();
    const page = await h.app.inject({ method: 'GET', url: '/ui/sign-in' });
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    expect(page.body).not.toMatch(
      /<script>|<script(?![^>]*\bsrc=)(?![^>]*application\/json)[^>]*>|\sstyle=|\son[a-z]+=/i,
    );
    for (const [name, type] of [
      ['htmx.min.js', 'text/javascript'],
      ['uPlot.iife.min.js', 'text/javascript'],
      ['console.css', 'text/css'],
      ['favicon.svg', 'image/svg+xml'],
    ]) {
      const a = await h.app.inject({ method: 'GET', url: `/ui/assets/${name}` });
      expect(a.statusCode, name).toBe(200);
      expect(a.headers['content-type']).toContain(type);
    }
    expect((await h.app.inject({ method: 'GET', url: '/ui/assets/..%2F..%2Fpackage.json' })).statusCode).toBe(404);
  });

  it('signs in with the admin token only; `next` cannot redirect off the console', async () => {
    h = await build();
    expect(await signIn(h.app, 'wrong')).toMatchObject({ status: 401 });
    expect(await signIn(h.app, ADMIN_TOKEN, '/ui/dead-letters')).toMatchObject({
      status: 303,
      location: '/ui/dead-letters',
      session: expect.any(String),
    });
    for (const next of ['//evil.example/ui/', 'https://evil.example/', '/api/instances', '/ui/../api']) {
      expect((await signIn(h.app, ADMIN_TOKEN, next)).location, next).toBe('/ui/overview');
    }
    // A session signed under another token (e.g. before ADMIN_TOKEN was rotated) is not accepted.
    const other = await build({ env: { adminToken: 'another-token-0123456789' } });
    const { session } = await signIn(other.app, 'another-token-0123456789');
    await other.app.close();
    const res = await h.app.inject({ method: 'GET', url: '/ui/overview', headers: { cookie: session! } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/ui/sign-in?next=%2Fui%2Foverview');
  });

  it('empty states say what to do', async () => {
    h = await build();
    const { session } = await signIn(h.app);
    const get = async (url: string) =>
      (await h!.app.inject({ method: 'GET', url, headers: { cookie: session! } })).body;
    expect(await get('/ui/escalations')).toContain('No escalations recorded yet.');
    expect(await get('/ui/dead-letters')).toContain('No dead letters.');
    expect(await get('/ui/at-risk')).toContain('The ticket list is not available in this process.');
    expect(await get('/ui/tickets/acme/404')).toContain('No state is stored for ticket 404 of acme.');
  });

  it('a failing read is an error page that says what to do, not a stack trace', async () => {
    h = await build();
    h.read.deadLetters = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    };
    const { session } = await signIn(h.app);
    const res = await h.app.inject({ method: 'GET', url: '/ui/dead-letters', headers: { cookie: session! } });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('Reload the page in a moment');
    expect(res.body).not.toContain('ECONNREFUSED');
  });
});
