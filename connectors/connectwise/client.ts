import { ConnectorError, isConnectorError } from '../../src/contract/index.js';
import type { ConnectorContext, HttpRequest, HttpResponse } from '../../src/contract/index.js';

import { companyInfoSchema, defaultApiVersion } from './schemas.js';
import type { ConnectWiseSettings } from './schemas.js';

/**
 * REST client for one ConnectWise instance (connectwise.md §4.1–4.2): base URL with codebase discovery, API-member
 * Basic auth, `clientId`, a pinned `Accept` version. Retries, `Retry-After`, the shared rate budget and the refusal
 * of redirects come from `ctx.http`.
 */
export type CwContext = ConnectorContext<ConnectWiseSettings>;

/** Discovered codebases live a day: cloud tenants move between codebases rarely, and a 404 rediscovers at once. */
const codebaseTtlMs = 24 * 3_600_000;
/** Used when `/login/companyinfo` has no answer for us (on-prem servers answer with this codebase too). */
const fallbackCodebase = 'v4_6_release';

/** `https://host` for a bare host, or the origin as configured (`http://127.0.0.1:9101` for on-prem and tests). */
export function siteOrigin(site: string): string {
  const s = site.trim().replace(/\/+$/, '');
  return /^https?:\/\//i.test(s) ? s : `https://${s}`;
}

/** The request headers every REST call carries. */
export function authHeaders(settings: ConnectWiseSettings): Record<string, string> {
  const c = settings.connection;
  const basic = Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`, 'utf8').toString('base64');
  return {
    authorization: `Basic ${basic}`,
    clientid: c.clientId,
    accept: `application/vnd.connectwise.com+json; version=${c.apiVersion ?? defaultApiVersion}`,
  };
}

function codebaseKey(ctx: CwContext): string {
  return `cw:codebase:${ctx.instance.id}`;
}

async function discoverCodebase(ctx: CwContext, fresh: boolean): Promise<string> {
  const c = ctx.settings.connection;
  if (c.codebase) return c.codebase.replace(/\/+$/, '');
  if (!fresh) {
    const cached = await ctx.cache.get<string>(codebaseKey(ctx));
    if (cached) return cached;
  }
  const url = `${siteOrigin(c.site ?? '')}/login/companyinfo/${encodeURIComponent(c.companyId)}`;
  let codebase = fallbackCodebase;
  try {
    const res = await ctx.http.request({
      method: 'GET',
      url,
      headers: { clientid: c.clientId, accept: 'application/json' },
    });
    const info = companyInfoSchema.safeParse(res.data);
    if (info.success) codebase = info.data.Codebase.replace(/^\/+|\/+$/g, '');
    else
      ctx.log.warn(
        { instance: ctx.instance.id },
        'ConnectWise companyinfo answered without a Codebase; using v4_6_release',
      );
  } catch (e) {
    // Auth and network trouble surface on the real call; a missing companyinfo page just means "not cloud".
    if (!isConnectorError(e) || (e.code !== 'not_found' && e.code !== 'validation')) throw e;
    ctx.log.warn(
      { instance: ctx.instance.id, code: e.code },
      'ConnectWise codebase discovery failed; using v4_6_release',
    );
  }
  await ctx.cache.set(codebaseKey(ctx), codebase, codebaseTtlMs);
  return codebase;
}

/** `https://{site}/{codebase}/apis/3.0` (or `connection.baseUrl`), without a trailing slash. */
export async function apiBase(ctx: CwContext, fresh = false): Promise<string> {
  const c = ctx.settings.connection;
  if (c.baseUrl) return c.baseUrl.replace(/\/+$/, '');
  return `${siteOrigin(c.site ?? '')}/${await discoverCodebase(ctx, fresh)}/apis/3.0`;
}

/** A record 404 (`{"code":"NotFound"}`) is an answer; anything else may be a moved codebase. */
function isRecordNotFound(e: ConnectorError): boolean {
  const body = e.details?.['body'];
  return typeof body === 'object' && body !== null && (body as { code?: unknown }).code === 'NotFound';
}

export type CwRequest = Omit<HttpRequest, 'url' | 'headers'> & { path: string; headers?: Record<string, string> };

/**
 * One REST call relative to the API base. On a 404 that is not a record's "not found", the codebase is rediscovered
 * once and the call repeated when it changed (hosted ConnectWise moves tenants between codebases, connectwise.md §4.1).
 */
export async function cwRequest<T = unknown>(ctx: CwContext, req: CwRequest): Promise<HttpResponse<T>> {
  const { path, headers, ...rest } = req;
  const send = async (base: string) =>
    ctx.http.request<T>({ ...rest, url: `${base}${path}`, headers: { ...authHeaders(ctx.settings), ...headers } });
  const base = await apiBase(ctx);
  try {
    return await send(base);
  } catch (e) {
    const rediscoverable = !ctx.settings.connection.baseUrl && !ctx.settings.connection.codebase;
    if (!rediscoverable || !isConnectorError(e) || e.code !== 'not_found' || isRecordNotFound(e)) throw e;
    const again = await apiBase(ctx, true);
    if (again === base) throw e;
    ctx.log.info({ instance: ctx.instance.id, from: base, to: again }, 'ConnectWise codebase changed; retrying');
    return send(again);
  }
}

/** Formats an instant for `conditions` (`[2026-01-27T00:00:00Z]`, connectwise.md §4.6). */
export function conditionDate(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Quotes a string value for `conditions` (double quotes; embedded quotes and backslashes escaped). */
export function conditionString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
