import { ConnectorError, isConnectorError } from '../../src/contract/index.js';
import type { ConnectorContext, HttpRequest, HttpResponse } from '../../src/contract/index.js';

import { zoneInfoSchema } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';

/**
 * REST client for one Autotask instance (autotask.md §4, §7): zone discovery, the three auth headers, Autotask's
 * error shapes. Retries, `Retry-After`, the shared rate budget (which also keeps us under the 3-threads-per-endpoint
 * limit: the default concurrency is 2 across all workers) and the refusal of redirects come from `ctx.http`.
 */
export type AtContext = ConnectorContext<AutotaskSettings>;

export const defaultDiscoveryUrl = 'https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation';
/** go-autotask caches the zone for a day; tenants move zones rarely. */
const zoneTtlMs = 24 * 3_600_000;
/** The hourly threshold gives no `Retry-After` we can rely on: wait a minute (autotask.md §7). */
const thresholdWaitMs = 60_000;
/** Thread-limit rejections (`Itgenatr005`) were never processed, so even a POST may be repeated. */
const threadRetries = 3;
const threadBaseDelayMs = 250;

/** The headers every REST call carries (autotask.md §4). */
export function authHeaders(settings: AutotaskSettings): Record<string, string> {
  const c = settings.connection;
  return { ApiIntegrationCode: c.integrationCode, UserName: c.username, Secret: c.secret, Accept: 'application/json' };
}

/** `…/ATServicesRest/` (from discovery) or `…/atservicesrest/v1.0` (configured) → `…/V1.0` without a slash. */
export function restBase(url: string): string {
  const u = url.trim().replace(/\/+$/, '');
  return /\/v1\.0$/i.test(u) ? u : `${u}/V1.0`;
}

/** Security: the zone URL comes from an unauthenticated answer, so only https Autotask hosts are accepted from it. */
function trustedZoneUrl(raw: string, discoveryOverridden: boolean): boolean {
  try {
    const u = new URL(raw);
    if (discoveryOverridden) return u.protocol === 'https:' || u.protocol === 'http:';
    return u.protocol === 'https:' && /(^|\.)autotask\.net$/i.test(u.hostname) && !u.username && !u.password;
  } catch {
    return false;
  }
}

async function discoverZone(ctx: AtContext): Promise<string> {
  const c = ctx.settings.connection;
  const key = `autotask:zone:${ctx.instance.id}`;
  const cached = await ctx.cache.get<string>(key);
  if (cached) return cached;
  // Unauthenticated and exempt from thread limiting (autotask.md §4), so it does not spend the shared budget.
  const res = await ctx.http.request({
    method: 'GET',
    url: c.discoveryUrl ?? defaultDiscoveryUrl,
    query: { user: c.username },
    headers: { Accept: 'application/json' },
    rateLimited: false,
    classify: classifyAutotask,
  });
  const info = zoneInfoSchema.safeParse(res.data);
  if (!info.success || !trustedZoneUrl(info.data.url, c.discoveryUrl !== undefined)) {
    throw new ConnectorError(
      'psa_auth',
      'Autotask zone discovery gave no usable zone URL (is the API username right?)',
      {
        retryable: false,
      },
    );
  }
  const base = restBase(info.data.url);
  await ctx.cache.set(key, base, zoneTtlMs);
  return base;
}

/** The REST base (`…/V1.0`): `connection.zoneUrl`, else the discovered zone. */
export async function apiBase(ctx: AtContext): Promise<string> {
  const z = ctx.settings.connection.zoneUrl;
  return z ? restBase(z) : discoverZone(ctx);
}

function errorMessages(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const o = body as { errors?: unknown; Message?: unknown; message?: unknown };
  if (Array.isArray(o.errors)) {
    return o.errors.map((e) =>
      typeof e === 'string'
        ? e
        : typeof e === 'object' && e !== null
          ? String((e as { message?: unknown }).message ?? '')
          : '',
    );
  }
  const m = o.Message ?? o.message;
  return typeof m === 'string' ? [m] : [];
}

const THREAD_LIMIT = /Itgenatr005|thread threshold/i;
const AUTH_500 =
  /zone information could not be determined|integrationcode is invalid|user.*(not|in)active|not authori[sz]ed/i;

/**
 * Autotask's error shapes (autotask.md §4, §7): business rules come back as **500** `{"errors":[…]}` (not retryable:
 * repeating them only burns the hourly budget), a bad username or integration code is a 500 too (auth), the
 * thread limit is `Itgenatr005` with any status, and the hourly threshold is a 429 that may lack `Retry-After`.
 */
export function classifyAutotask(status: number, body: unknown): ConnectorError | undefined {
  const messages = errorMessages(body);
  const text = messages.join('; ').slice(0, 500);
  const details = { status, errors: messages.slice(0, 5) };
  if (messages.some((m) => THREAD_LIMIT.test(m))) {
    return new ConnectorError('rate_limited', `Autotask thread limit: ${text}`, {
      status,
      details: { ...details, threadLimit: true },
      retryable: true,
    });
  }
  if (status === 429) {
    return new ConnectorError('rate_limited', 'Autotask request threshold reached (429)', {
      status,
      details,
      retryAfterMs: thresholdWaitMs,
    });
  }
  if (status >= 500 && messages.some((m) => AUTH_500.test(m))) {
    return new ConnectorError('psa_auth', `Autotask refused our credentials: ${text}`, {
      status,
      details,
      retryable: false,
    });
  }
  if (status === 500 && messages.length > 0) {
    return new ConnectorError('validation', `Autotask refused the request: ${text}`, {
      status,
      details,
      retryable: false,
    });
  }
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isThreadLimit = (e: unknown): boolean =>
  isConnectorError(e) && e.code === 'rate_limited' && e.details?.['threadLimit'] === true;

export type AtRequest = Omit<HttpRequest, 'url' | 'headers'> & {
  /** Relative to the REST base (`/Tickets/1`), or an absolute URL on the same origin (paging links). */
  path: string;
};

/** Security: paging links come from the PSA's answer; they are followed only on the API's own origin. */
function resolveUrl(base: string, path: string): string {
  if (!/^https?:\/\//i.test(path)) return `${base}${path}`;
  if (new URL(path).origin !== new URL(base).origin) {
    throw new ConnectorError('denied_url', 'Autotask paging link points at another host', { retryable: false });
  }
  return path;
}

/**
 * One REST call. A 2xx answer carrying `{"errors":[…]}` (go-autotask warns of these) is a refusal, not a success.
 * Thread-limit rejections are retried here with a short jittered backoff: the request was never processed.
 */
export async function atRequest<T = unknown>(ctx: AtContext, req: AtRequest): Promise<HttpResponse<T>> {
  const { path, ...rest } = req;
  const url = resolveUrl(await apiBase(ctx), path);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await ctx.http.request<T>({
        ...rest,
        url,
        headers: authHeaders(ctx.settings),
        classify: classifyAutotask,
      });
      const refused = errorMessages(res.data);
      const body = res.data as { itemId?: unknown; item?: unknown; items?: unknown } | undefined;
      if (refused.length > 0 && body?.itemId === undefined && body?.item === undefined && body?.items === undefined) {
        throw new ConnectorError('validation', `Autotask refused the request: ${refused.join('; ').slice(0, 500)}`, {
          status: res.status,
          retryable: false,
          details: { status: res.status, errors: refused.slice(0, 5), false200: true },
        });
      }
      return res;
    } catch (e) {
      if (!isThreadLimit(e) || attempt >= threadRetries) throw e;
      const delay = threadBaseDelayMs * 2 ** attempt * (0.5 + Math.random() * 0.5);
      ctx.log.warn(
        { instance: ctx.instance.id, attempt: attempt + 1, delayMs: Math.round(delay) },
        'Autotask thread limit; retrying',
      );
      await sleep(delay);
    }
  }
}
