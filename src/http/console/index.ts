import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { EvaluateRequestSchema } from '../../engine/index.js';
import { bearerMatches } from '../admin-auth.js';
import { toHttpError } from '../errors.js';
import type { AppServices } from '../services.js';

import { html } from './html.js';
import type { Html } from './html.js';
import { empty, layout } from './layout.js';
import { atRiskFilters, atRiskTable } from './pages/at-risk.js';
import { zoneOf } from './pages/common.js';
import { deadLettersBody, retriedRow } from './pages/dead-letters.js';
import { feedFilters, feedList } from './pages/escalations.js';
import { metricsBody } from './pages/metrics.js';
import { overviewBody } from './pages/overview.js';
import { decisionView, policyBody, tryForm } from './pages/policy.js';
import type { TryInput } from './pages/policy.js';
import { ticketBody } from './pages/ticket.js';
import {
  PRESESSION_COOKIE,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  SessionSigner,
  cookieHeader,
  parseCookies,
} from './session.js';

/**
 * The operations console (issue 16; docs/console.md): server-rendered pages under `/ui`, htmx for live fragments,
 * uPlot for charts, every asset served from this process (no CDN). Signed-in by the admin token into an HttpOnly,
 * SameSite=Strict session cookie; every POST needs the session's CSRF token; a strict CSP allows scripts and styles
 * from `/ui/assets` only. `/api/*` is untouched (bearer tokens).
 */

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const require = createRequire(import.meta.url);
const ownAsset = (name: string) => new URL(`./assets/${name}`, import.meta.url);

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(): Map<string, Asset> {
  const files: [string, string | URL, string][] = [
    ['htmx.min.js', require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
    ['console.js', ownAsset('console.js'), 'text/javascript; charset=utf-8'],
    ['console.css', ownAsset('console.css'), 'text/css; charset=utf-8'],
    ['favicon.svg', ownAsset('favicon.svg'), 'image/svg+xml'],
  ];
  return new Map(files.map(([name, path, type]) => [name, { body: readFileSync(path), type }]));
}

const Text = z.string().max(200).optional();
const FormBody = z.record(z.string(), z.string().max(20_000));
type Form = z.infer<typeof FormBody>;

/** A same-site path under /ui to return to after sign-in (anything else: the overview). */
const safeNext = (next: string | undefined): string =>
  next &&
  /^\/ui\/[A-Za-z0-9/_\-?=&%.]*$/.test(next) &&
  !next.includes('//') &&
  !next.includes('..') &&
  !/%2e|%2f/i.test(next)
    ? next
    : '/ui/overview';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session id (set by the console's auth hook). */
    consoleSid?: string;
  }
}

/** What the console's routes share: the session signer, the clocks, and how a page or a refusal is sent. */
interface ConsoleKit {
  services: AppServices;
  token: string | undefined;
  signer: SessionSigner | undefined;
  now(): number;
  /** Session expiry uses the real clock: the service clock may be simulated (demo) or frozen (tests). */
  wallNow(): number;
  secure(req: FastifyRequest): boolean;
  isHtmx(req: FastifyRequest): boolean;
  sendPage(reply: FastifyReply, page: Html, status?: number): FastifyReply;
  page(req: FastifyRequest, title: string, current: string | undefined, body: Html | string): Html;
  /** A refusal: an alert fragment for htmx, else a whole page (an error page without the icon link costs a 404). */
  refuse(req: FastifyRequest, reply: FastifyReply, status: number, message: string, todo: Html | string): FastifyReply;
}

function consoleKit(services: AppServices): ConsoleKit {
  const token = services.deps.env.adminToken;
  const signer = token ? new SessionSigner(token) : undefined;
  const isHtmx = (req: FastifyRequest) => req.headers['hx-request'] === 'true';
  const sendPage = (reply: FastifyReply, page: Html, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').send(page.value);
  return {
    services,
    token,
    signer,
    isHtmx,
    sendPage,
    now: () => services.now().getTime(),
    wallNow: () => Date.now(),
    secure: (req) => req.protocol === 'https',
    page: (req, title, current, body) =>
      layout({
        title,
        ...(current ? { current } : {}),
        ...(req.consoleSid && signer ? { csrf: signer.csrf(req.consoleSid) } : {}),
        body,
      }),
    refuse(req, reply, status, message, todo) {
      if (isHtmx(req))
        return reply
          .code(status)
          .type('text/html; charset=utf-8')
          .send(html`<div class="error" role="alert">${message} ${todo}</div>`.value);
      return sendPage(
        reply,
        layout({
          title: status === 401 ? 'Signed out' : 'Refused',
          body: html`<div class="error" role="alert">${message}</div><p>${todo}</p>`,
        }),
        status,
      );
    },
  };
}

/** Form parsing, security headers on every console response, and errors as pages that say what to do (not JSON). */
function consoleBasics(app: FastifyInstance, kit: ConsoleKit): void {
  // Forms post urlencoded; only in this context (webhooks keep their raw-body parser, /api its JSON).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  app.addHook('onSend', async (req, reply, payload) => {
    void reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    void reply.header('x-frame-options', 'DENY');
    void reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form posts (the CSRF check needs it).
    void reply.header('referrer-policy', 'same-origin');
    void reply.header('cross-origin-opener-policy', 'same-origin');
    if (!req.url.startsWith('/ui/assets/')) void reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler((error: unknown, req, reply) => {
    const http = toHttpError(error);
    if (http.code === 'internal') req.log.error({ err: error }, 'console request failed');
    if (http.headers) void reply.headers(http.headers);
    const hint =
      http.status === 429
        ? 'Too many failed attempts from this address: wait a minute, then try again.'
        : http.status >= 500
          ? 'The service could not read its data (is Redis up? see /readyz). Reload the page in a moment.'
          : http.status === 404
            ? 'Check the address, or go back to the overview.'
            : 'Go back and check the form.';
    const body = html`${empty(http.message, hint)}<p><a href="/ui/overview">Back to the overview</a></p>`;
    if (kit.isHtmx(req))
      return reply
        .code(http.status)
        .type('text/html; charset=utf-8')
        .send(html`<div class="error" role="alert">${http.message}. ${hint}</div>`.value);
    return kit.sendPage(
      reply,
      kit.page(req, http.status === 404 ? 'Not found' : 'Something went wrong', undefined, body),
      http.status,
    );
  });
  // Assets are public: nothing secret in them.
  const assets = loadAssets();
  app
    .withTypeProvider<ZodTypeProvider>()
    .get(
      '/ui/assets/:name',
      { schema: { hide: true, params: z.object({ name: z.string().max(64) }) } },
      async (req, reply) => {
        const a = assets.get(req.params.name);
        if (!a) return reply.code(404).type('text/plain').send('not found');
        return reply.header('cache-control', 'public, max-age=3600').type(a.type).send(a.body);
      },
    );
}

/** The sign-in page: disabled without ADMIN_TOKEN; a pre-session cookie carries the form's CSRF token. */
function signInPage(
  kit: ConsoleKit,
  req: FastifyRequest,
  reply: FastifyReply,
  o: { next?: string; error?: string; status?: number },
): FastifyReply {
  const { signer } = kit;
  if (!signer) {
    return kit.sendPage(
      reply,
      kit.page(
        req,
        'Sign in',
        undefined,
        empty(
          'The console is disabled.',
          'Set ADMIN_TOKEN for the service and restart it; then sign in here with that token.',
        ),
      ),
      503,
    );
  }
  const pre = randomBytes(18).toString('base64url');
  void reply.header(
    'set-cookie',
    cookieHeader(PRESESSION_COOKIE, pre, { maxAgeSeconds: 3600, secure: kit.secure(req) }),
  );
  return kit.sendPage(
    reply,
    kit.page(
      req,
      'Sign in',
      undefined,
      html`
${o.error ? html`<div class="error" role="alert" id="sign-in-error">${o.error}</div>` : ''}
<form method="post" action="/ui/sign-in" class="sign-in" id="sign-in-form">
  <input type="hidden" name="_csrf" value="${signer.csrf(`pre:${pre}`)}">
  <input type="hidden" name="next" value="${safeNext(o.next)}">
  <div><label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-help"${o.error ? html` aria-invalid="true"` : ''}></div>
  <p id="token-help" class="muted">The service’s ADMIN_TOKEN (the same bearer token /api/* takes). You stay signed in for ${SESSION_TTL_MS / 3_600_000} hours on this browser.</p>
  <div><button type="submit">Sign in</button></div>
</form>`,
    ),
    o.status ?? 200,
  );
}

/** `/ui/sign-in`: the form, and the post that checks CSRF, the token (failures count toward the probe limit). */
function registerSignIn(app: FastifyInstance, kit: ConsoleKit): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/ui', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/overview', 302));
  r.get('/ui/sign-in', { schema: { hide: true, querystring: z.object({ next: Text }) } }, async (req, reply) =>
    signInPage(kit, req, reply, { ...(req.query.next ? { next: req.query.next } : {}) }),
  );
  r.post('/ui/sign-in', { schema: { hide: true, body: FormBody } }, async (req, reply) => {
    const form: Form = req.body;
    const { signer } = kit;
    if (!signer) return signInPage(kit, req, reply, {});
    const next = form['next'] ? { next: form['next'] } : {};
    const pre = parseCookies(req.headers.cookie).get(PRESESSION_COOKIE);
    if (!pre || !signer.csrfMatches(`pre:${pre}`, form['_csrf'])) {
      return signInPage(kit, req, reply, {
        error: 'The sign-in form expired or was not sent from this page (CSRF check). Please sign in again.',
        status: 403,
        ...next,
      });
    }
    if (!bearerMatches(`Bearer ${form['token'] ?? ''}`, kit.token)) {
      const verdict = await app.probeLimit(req);
      if (verdict.limited)
        return signInPage(kit, req, reply, {
          error: 'Too many failed attempts: wait a minute, then try again.',
          status: 429,
        });
      return signInPage(kit, req, reply, {
        error: 'That is not the admin token. Check ADMIN_TOKEN (or the token the demo printed) and try again.',
        status: 401,
        ...next,
      });
    }
    const session = signer.issue(kit.wallNow());
    void reply.header('set-cookie', [
      cookieHeader(SESSION_COOKIE, session.cookie, { maxAgeSeconds: SESSION_TTL_MS / 1000, secure: kit.secure(req) }),
      cookieHeader(PRESESSION_COOKIE, '', { maxAgeSeconds: 0, secure: kit.secure(req) }),
    ]);
    req.log.info('console sign-in');
    return reply.redirect(safeNext(form['next']), 303);
  });
}

/** Everything under this context needs a session (default-deny), and every state-changing request a CSRF token. */
async function requireSession(authed: FastifyInstance, kit: ConsoleKit): Promise<void> {
  authed.addHook('onRequest', async (req, reply) => {
    const sid = kit.signer?.verify(parseCookies(req.headers.cookie).get(SESSION_COOKIE), kit.wallNow());
    if (sid) {
      req.consoleSid = sid;
      return;
    }
    if (req.method === 'GET' && !kit.isHtmx(req))
      return reply.redirect(`/ui/sign-in?next=${encodeURIComponent(req.url)}`, 303);
    if (kit.isHtmx(req)) void reply.header('hx-redirect', '/ui/sign-in');
    return kit.refuse(req, reply, 401, 'Your session ended.', html`<a href="/ui/sign-in">Sign in again</a>.`);
  });
  // CSRF: the session's token (header from htmx, or the form field), and a browser-sent Origin must be this host.
  // SameSite=Strict already keeps the cookie off cross-site requests.
  authed.addHook('preHandler', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const origin = req.headers.origin;
    const sameOrigin = origin === undefined || origin === `${req.protocol}://${req.host}`;
    const given = (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as Form | undefined)?.['_csrf'];
    if (sameOrigin && req.consoleSid && kit.signer?.csrfMatches(req.consoleSid, given)) return;
    req.log.info({ sameOrigin }, 'console POST refused: CSRF token missing or wrong');
    return kit.refuse(
      req,
      reply,
      403,
      'Refused: this form was not sent from a console page (CSRF check).',
      'Reload the page and try again.',
    );
  });
}

export default async function consoleRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const kit = consoleKit(options.services);
  consoleBasics(app, kit);
  registerSignIn(app, kit);
  await app.register(async (authed) => {
    await requireSession(authed, kit);
    registerReadPages(authed, kit);
    registerActionPages(authed, kit);
  });
}

const fragment = (reply: FastifyReply, h: Html) => reply.type('text/html; charset=utf-8').send(h.value);
const filters = <T extends Record<string, string | undefined>>(q: T) =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as { [K in keyof T]?: string };

/** The pages that only read: overview, at risk, escalations, one ticket, metrics. */
function registerReadPages(app: FastifyInstance, kit: ConsoleKit): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { page, sendPage, services } = kit;
  const overviewLive = async () =>
    html`<div id="overview-live" hx-get="/ui/overview/live" hx-trigger="every 10s" hx-swap="outerHTML">${await overviewBody(services)}</div>`;
  r.get('/ui/overview', { schema: { hide: true } }, async (req, reply) =>
    sendPage(reply, page(req, 'Overview', '/ui/overview', await overviewLive())),
  );
  r.get('/ui/overview/live', { schema: { hide: true } }, async (_req, reply) => fragment(reply, await overviewLive()));

  const AtRiskQuery = z.object({ instance: Text, tier: Text, group: Text, company: Text, cursor: Text });
  r.get('/ui/at-risk', { schema: { hide: true, querystring: AtRiskQuery } }, async (req, reply) => {
    const f = filters(req.query);
    return sendPage(
      reply,
      page(req, 'At risk', '/ui/at-risk', html`${atRiskFilters(services, f)}${await atRiskTable(services, f)}`),
    );
  });
  r.get('/ui/at-risk/table', { schema: { hide: true, querystring: AtRiskQuery } }, async (req, reply) =>
    fragment(reply, await atRiskTable(services, filters(req.query))),
  );

  const FeedQuery = z.object({ instance: Text, rule: Text, cursor: Text });
  r.get('/ui/escalations', { schema: { hide: true, querystring: FeedQuery } }, async (req, reply) => {
    const f = filters(req.query);
    return sendPage(
      reply,
      page(req, 'Escalations', '/ui/escalations', html`${feedFilters(services, f)}${await feedList(services, f)}`),
    );
  });
  r.get('/ui/escalations/feed', { schema: { hide: true, querystring: FeedQuery } }, async (req, reply) =>
    fragment(reply, await feedList(services, filters(req.query))),
  );

  r.get(
    '/ui/tickets/:instanceId/:ticketId',
    { schema: { hide: true, params: z.object({ instanceId: z.string().max(200), ticketId: z.string().max(200) }) } },
    async (req, reply) => {
      const { instanceId, ticketId } = req.params;
      const body = await ticketBody(services, instanceId, ticketId);
      if (!body)
        return sendPage(
          reply,
          page(
            req,
            'Ticket not found',
            undefined,
            html`${empty(`No state is stored for ticket ${ticketId} of ${instanceId}.`, 'Tickets appear once a webhook or the reconciliation sweep brought them in. Check the instance and the id, or find it on the At risk page.')}<p><a href="/ui/at-risk">At risk</a></p>`,
          ),
          404,
        );
      return sendPage(reply, page(req, `Ticket ${ticketId}`, undefined, body));
    },
  );

  r.get('/ui/metrics', { schema: { hide: true, querystring: z.object({ instance: Text }) } }, async (req, reply) =>
    sendPage(reply, page(req, 'Metrics', '/ui/metrics', await metricsBody(services, req.query.instance))),
  );
}

/** `POST /ui/policy/try`: the form's ticket through `POST /api/evaluate`'s engine; invalid input is a 400 with the issues. */
function tryTicket(kit: ConsoleKit, f: TryInput, reply: FastifyReply): Html {
  const { services } = kit;
  const age = Math.max(0, Math.min(100_000, Number(f.ageMinutes ?? 0) || 0));
  const at = new Date(kit.now() - age * 60_000).toISOString();
  const parsed = EvaluateRequestSchema.safeParse({
    instanceId: f.instance,
    ticket: {
      title: f.title ?? '',
      description: f.description || undefined,
      status: f.status ?? 'open',
      priority: f.priority ?? 'P3',
      tier: f.tier,
      company: { id: f.company ?? '', name: f.company, vip: f.vip === '1' },
      createdAt: at,
      updatedAt: at,
    },
    state: { tierSince: at },
  });
  if (!parsed.success || !services.instance(parsed.data.instanceId)) {
    const issues = parsed.success
      ? ['instance: unknown instance']
      : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    reply.code(400);
    return html`<div class="error" role="alert"><p>The ticket is not valid:</p><ul>${issues.map((i) => html`<li>${i}</li>`)}</ul></div>`;
  }
  const { instanceId, ticket, state } = parsed.data;
  return decisionView(
    services.evaluate({ instanceId, ticket, ...(state ? { state } : {}), now: services.now() }),
    zoneOf(services, instanceId),
  );
}

/** The pages that act: sign out, dead letters (retry), the policy and its dry run. */
function registerActionPages(app: FastifyInstance, kit: ConsoleKit): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { page, sendPage, services } = kit;
  const csrfOf = (req: FastifyRequest) => kit.signer!.csrf(req.consoleSid!);

  r.post('/ui/sign-out', { schema: { hide: true, body: FormBody.optional() } }, async (req, reply) => {
    void reply.header('set-cookie', cookieHeader(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: kit.secure(req) }));
    return reply.redirect('/ui/sign-in', 303);
  });

  r.get('/ui/dead-letters', { schema: { hide: true } }, async (req, reply) =>
    sendPage(reply, page(req, 'Dead letters', '/ui/dead-letters', await deadLettersBody(services, csrfOf(req)))),
  );
  r.post(
    '/ui/dead-letters/:id/retry',
    { schema: { hide: true, params: z.object({ id: z.string().max(200) }), body: FormBody.optional() } },
    async (req, reply) => {
      const ok = await services.deps.read.retryDeadLetter(req.params.id);
      req.log.info({ deadLetter: req.params.id, ok }, 'console: dead letter retry');
      if (kit.isHtmx(req)) return fragment(reply.code(ok ? 200 : 404), retriedRow(req.params.id, ok));
      return reply.redirect('/ui/dead-letters', 303);
    },
  );

  r.get('/ui/policy', { schema: { hide: true } }, async (req, reply) =>
    sendPage(
      reply,
      page(
        req,
        'Policy',
        '/ui/policy',
        html`${policyBody(services)}<section aria-labelledby="try-h"><h2 id="try-h">Try a ticket</h2><p class="muted">A dry run of the engine (the same evaluation as <code>POST /api/evaluate</code>): nothing is written to any PSA.</p>${tryForm(services, csrfOf(req))}</section>`,
      ),
    ),
  );

  r.post('/ui/policy/try', { schema: { hide: true, body: FormBody } }, async (req, reply) => {
    const result = tryTicket(kit, req.body as TryInput, reply);
    if (kit.isHtmx(req)) return fragment(reply, result);
    return sendPage(
      reply,
      page(req, 'Policy', '/ui/policy', html`${result}<p><a href="/ui/policy">Back to the policy</a></p>`),
    );
  });
}
