import { createHash } from 'node:crypto';

import { ConnectorError } from '../../src/contract/index.js';
import type { ConnectorContext, HttpMethod, HttpResponse } from '../../src/contract/index.js';

import { authInfoSchema, tokenResponseSchema } from './schemas.js';
import type { HaloSettings } from './schemas.js';

/** The context every Halo function receives. */
export type HaloContext = ConnectorContext<HaloSettings>;

/** One call to the Halo resource server (`{apiUrl}/…`). */
export interface HaloCall {
  method: HttpMethod;
  /** Path below the API base, starting with `/` (e.g. `/Tickets/42`). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** @defaultValue true for GET; ticket updates with an `id` are idempotent too (absolute values) */
  idempotent?: boolean;
}

const trim = (u: string) => u.replace(/\/+$/, '');

/** Resource server base, e.g. `https://acme.halopsa.com/api` (halo.md §1.1). */
export function apiBase(settings: HaloSettings): string {
  const c = settings.connection;
  return c.apiUrl ? trim(c.apiUrl) : `${trim(c.tenantUrl!)}/api`;
}

/** The web application base (`https://acme.halopsa.com`): where `/api/authinfo` and the default `/auth` live. */
function tenantBase(settings: HaloSettings): string {
  const c = settings.connection;
  return c.tenantUrl ? trim(c.tenantUrl) : trim(c.apiUrl!).replace(/\/api$/i, '');
}

/**
 * True when `url` is on the origin of `tenantUrl` or `apiUrl` (scheme, host and port all equal; no credentials).
 * A prefix test is not enough: `https://acme.halopsa.com@evil.example/auth` starts with the tenant URL.
 */
export function onOwnOrigin(settings: HaloSettings, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  const own = [tenantBase(settings), apiBase(settings)].map((u) => new URL(u).origin);
  return own.includes(parsed.origin);
}

const key = (ctx: HaloContext, what: string) => `halo:${ctx.instance.id}:${what}`;

function fingerprint(settings: HaloSettings): string {
  const c = settings.connection;
  const material = [c.clientId, apiBase(settings), c.authUrl ?? '', c.tenant ?? '', c.scope ?? ''].join('\n');
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

interface TokenEndpoint {
  url: string;
  tenant?: string;
}

/** Where to ask for tokens: the configured auth URL, else `/api/authinfo` discovery, else `{tenant}/auth` (halo.md §1.1). */
async function tokenEndpoint(ctx: HaloContext): Promise<TokenEndpoint> {
  const c = ctx.settings.connection;
  const withTenant = (url: string, tenant?: string): TokenEndpoint => (tenant ? { url, tenant } : { url });
  const tokenUrl = (auth: string) => (/\/token$/i.test(trim(auth)) ? trim(auth) : `${trim(auth)}/token`);
  if (c.authUrl) return withTenant(tokenUrl(c.authUrl), c.tenant);
  const cacheKey = key(ctx, `authinfo:${fingerprint(ctx.settings)}`);
  const cached = await ctx.cache.get<TokenEndpoint>(cacheKey);
  if (cached) return cached;
  const base = tenantBase(ctx.settings);
  let found = withTenant(`${base}/auth/token`, c.tenant);
  try {
    const res = await ctx.http.request({
      method: 'GET',
      url: `${base}/api/authinfo`,
      headers: { accept: 'application/json' },
    });
    const info = authInfoSchema.safeParse(res.data);
    const authUrl = info.success ? info.data.auth_url : undefined;
    // The token request carries the client secret, and this URL comes from an answer anyone between us and Halo (or
    // a compromised tenant) could write: it is used only on the instance's own origin.
    if (authUrl && onOwnOrigin(ctx.settings, authUrl)) {
      const tenant =
        c.tenant ?? (info.success && info.data.tenant_id !== undefined ? String(info.data.tenant_id) : undefined);
      found = withTenant(tokenUrl(authUrl), tenant || undefined);
    } else if (authUrl) {
      ctx.log.warn(
        { instance: ctx.instance.id },
        'Halo /api/authinfo names an auth_url on another origin: ignored, using {tenantUrl}/auth (set connection.authUrl to use another auth server)',
      );
    }
  } catch (e) {
    ctx.log.warn({ code: (e as ConnectorError).code }, 'Halo /api/authinfo discovery failed; using {tenantUrl}/auth');
  }
  await ctx.cache.set(cacheKey, found, 3_600_000);
  return found;
}

const inflight = new Map<string, Promise<string>>();

async function requestToken(ctx: HaloContext, cacheKey: string): Promise<string> {
  const c = ctx.settings.connection;
  const endpoint = await tokenEndpoint(ctx);
  const res = await ctx.http.request({
    method: 'POST',
    url: endpoint.url,
    query: endpoint.tenant ? { tenant: endpoint.tenant } : undefined,
    form: {
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
      scope: c.scope ?? 'all',
    },
    headers: { accept: 'application/json' },
    idempotent: true,
    // A refused client id/secret is a credentials problem, never retried.
    classify: (status) =>
      status === 400 || status === 401 || status === 403
        ? new ConnectorError('psa_auth', `Halo token endpoint refused the client credentials (${status})`, {
            status,
            retryable: false,
          })
        : undefined,
  });
  const parsed = tokenResponseSchema.safeParse(res.data);
  if (!parsed.success)
    throw new ConnectorError('invalid_response', 'Halo token endpoint answered without an access_token');
  // The lifetime always comes from `expires_in`; 3600 s is only the fallback every public client uses (pyhalopsa
  // `body.get("expires_in", 3600)`); Halo documents no fixed lifetime (UNVERIFIED, README "Unverified").
  const lifetimeS = parsed.data.expires_in && parsed.data.expires_in > 0 ? parsed.data.expires_in : 3600;
  // Refresh about 60 s before expiry (halo.md §1.2); short-lived tokens are refreshed at half their life.
  const ttlMs = Math.max(1_000, (lifetimeS - Math.min(60, lifetimeS / 2)) * 1000);
  await ctx.cache.set(cacheKey, parsed.data.access_token, ttlMs);
  return parsed.data.access_token;
}

/** A bearer token, shared by all workers through `ctx.cache`; `fresh` drops the cached one first. */
export async function getToken(ctx: HaloContext, fresh = false): Promise<string> {
  const cacheKey = key(ctx, `token:${fingerprint(ctx.settings)}`);
  if (fresh) await ctx.cache.delete(cacheKey);
  else {
    const cached = await ctx.cache.get<string>(cacheKey);
    if (cached) return cached;
  }
  let pending = inflight.get(cacheKey);
  if (!pending) {
    pending = requestToken(ctx, cacheKey).finally(() => inflight.delete(cacheKey));
    inflight.set(cacheKey, pending);
  }
  return pending;
}

/** Halo's limit is a rolling 5-minute window: a 429 without `Retry-After` waits 30 s, not the 0.5 s default. */
const HALO_429_WAIT_MS = 30_000;
function throttleDefault(status: number): ConnectorError | undefined {
  if (status !== 429) return undefined;
  return new ConnectorError('rate_limited', 'Halo rate limit (429)', { status, retryAfterMs: HALO_429_WAIT_MS });
}

/**
 * Calls the Halo API with a bearer token. Throws `ConnectorError` (from `ctx.http`: 429 waits, retries, no
 * redirects). A 401 drops the cached token and retries once with a fresh one (halo.md §1.2); a second 401 or a
 * 403 (scope / agent permission) is `psa_auth`.
 */
export async function haloRequest<T = unknown>(ctx: HaloContext, call: HaloCall): Promise<HttpResponse<T>> {
  const send = async (token: string) =>
    ctx.http.request<T>({
      method: call.method,
      url: `${apiBase(ctx.settings)}${call.path}`,
      query: call.query,
      json: call.json,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      idempotent: call.idempotent ?? call.method === 'GET',
      classify: throttleDefault,
    });
  try {
    return await send(await getToken(ctx));
  } catch (e) {
    if (!(e instanceof ConnectorError) || e.code !== 'psa_auth' || e.status !== 401) throw e;
    ctx.log.info({ path: call.path }, 'Halo answered 401; retrying once with a fresh token');
    return send(await getToken(ctx, true));
  }
}
