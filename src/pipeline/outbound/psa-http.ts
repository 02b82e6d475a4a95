import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

import axios, { type AxiosResponse } from 'axios';
import pRetry from 'p-retry';

import { ConnectorError, err, ok } from '../../contract/index.js';
import type { HttpClient, HttpRequest, HttpResponse, Logger, Result, SafeFetchOptions } from '../../contract/index.js';

import { isPublicUnicast } from '../../lib/ip.js';
import { parseRetryAfter } from '../../lib/retry-after.js';

/** Options of the outbound PSA client built per instance by the pipeline. */
export interface HttpClientOptions {
  log: Logger;
  /** Waits for a slot in the instance's shared budget; returns the release function. */
  acquire?: (req: HttpRequest) => Promise<() => void>;
  /** Told about a 429/503 `Retry-After` so the whole instance pauses (shared by all workers). */
  onRetryAfter?: (ms: number) => Promise<void>;
  /** Retries of idempotent calls after network errors, timeouts and 5xx. @defaultValue 3 */
  retries?: number;
  /** First backoff; doubles each attempt, jittered ×[0.5, 1]. @defaultValue 500 */
  minDelayMs?: number;
  /** @defaultValue 8_000 */
  maxDelayMs?: number;
  /** Waits for 429/503 longer than this are not held in-process: `rate_limited` goes back to the caller. @defaultValue 30_000 */
  maxInlineRetryAfterMs?: number;
  /** Inline waits for 429/503 per request. @defaultValue 5 */
  maxRateLimitWaits?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** A 429/503 answer inside the retry loop: the PSA error and how long the PSA asked us to wait (if it said). */
class Throttled extends Error {
  constructor(
    readonly error: ConnectorError,
    readonly status: number,
    readonly waitMs: number | undefined,
  ) {
    super(error.message);
    this.name = 'Throttled';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function headersOf(res: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers ?? {})) {
    if (v !== undefined && v !== null) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.includes('json') || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Default mapping of a non-2xx PSA answer to a stable error code. */
export function classifyStatus(status: number, body: unknown, retryAfterMs?: number): ConnectorError {
  const details = { status, body: typeof body === 'string' ? body.slice(0, 500) : body };
  if (status >= 300 && status < 400)
    return new ConnectorError('redirect_refused', `PSA answered ${status}: redirects are never followed`, { status });
  if (status === 401 || status === 403)
    return new ConnectorError('psa_auth', `PSA refused our credentials (${status})`, { status, details });
  if (status === 404 || status === 410)
    return new ConnectorError('not_found', `PSA answered ${status}`, { status, details });
  if (status === 409) return new ConnectorError('conflict', 'PSA answered 409', { status, details });
  if (status === 429)
    return new ConnectorError('rate_limited', 'PSA rate limit (429)', {
      status,
      details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  if (status >= 500)
    return new ConnectorError('psa_unavailable', `PSA answered ${status}`, {
      status,
      details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  return new ConnectorError('validation', `PSA refused the request (${status})`, { status, details });
}

function networkError(e: unknown, timeoutMs: number): ConnectorError {
  const code = (e as { code?: string }).code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
    return new ConnectorError('timeout', `no answer within ${timeoutMs} ms`, { cause: e });
  }
  if (e instanceof ConnectorError) return e;
  return new ConnectorError('network', `network error: ${code ?? (e as Error).message}`, { cause: e });
}

function buildUrl(req: HttpRequest): string {
  if (!req.query) return req.url;
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(req.query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/** One HTTP exchange, no retries. Resolves with the response whatever its status (3xx is not followed). */
async function exchange(req: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = req.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let data: string | undefined;
  if (req.json !== undefined) {
    data = JSON.stringify(req.json);
    headers['content-type'] ??= 'application/json';
  } else if (req.form !== undefined) {
    data = new URLSearchParams(req.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  try {
    const res = await axios.request<string>({
      method: req.method,
      url: buildUrl(req),
      headers,
      data,
      timeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs + 500),
      maxRedirects: 0,
      proxy: false,
      responseType: 'text',
      transformResponse: (x: string) => x,
      maxContentLength: req.maxResponseBytes ?? 5 * 1024 * 1024,
      validateStatus: () => true,
    });
    const h = headersOf(res);
    return { status: res.status, headers: h, data: parseBody(res.data ?? '', h['content-type']) };
  } catch (e) {
    throw networkError(e, timeoutMs);
  }
}

/** The client's settings with their defaults applied. */
interface RetrySettings {
  log: Logger;
  acquire: HttpClientOptions['acquire'];
  onRetryAfter: HttpClientOptions['onRetryAfter'];
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  retries: number;
  minDelay: number;
  maxDelay: number;
  maxInline: number;
  maxWaits: number;
}

function retrySettings(options: HttpClientOptions): RetrySettings {
  return {
    log: options.log,
    acquire: options.acquire,
    onRetryAfter: options.onRetryAfter,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    retries: options.retries ?? 3,
    minDelay: options.minDelayMs ?? 500,
    maxDelay: options.maxDelayMs ?? 8_000,
    maxInline: options.maxInlineRetryAfterMs ?? 30_000,
    maxWaits: options.maxRateLimitWaits ?? 5,
  };
}

/** One exchange inside the instance's shared request budget. */
async function once(s: RetrySettings, req: HttpRequest): Promise<HttpResponse> {
  const release = req.rateLimited === false || !s.acquire ? () => undefined : await s.acquire(req);
  try {
    return await exchange(req);
  } finally {
    release();
  }
}

/** One attempt: the response when 2xx, else a ConnectorError (with the throttle wait when the PSA asked for one). */
async function attempt<T>(s: RetrySettings, req: HttpRequest): Promise<HttpResponse<T>> {
  let res: HttpResponse;
  try {
    res = await once(s, req);
  } catch (e) {
    throw e instanceof ConnectorError ? e : networkError(e, req.timeoutMs ?? 10_000);
  }
  if (res.status >= 200 && res.status < 300) return res as HttpResponse<T>;
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], s.now());
  const error = req.classify?.(res.status, res.data) ?? classifyStatus(res.status, res.data, retryAfterMs);
  const throttled = res.status === 429 || (res.status === 503 && retryAfterMs !== undefined);
  if (!throttled || error.code === 'validation') throw error;
  // A classifier may know the PSA's default wait when the header is missing (Autotask hourly threshold: 60 s).
  throw new Throttled(error, res.status, retryAfterMs ?? error.retryAfterMs);
}

/**
 * Our rules around p-retry, asked after each failed attempt of one request: resolves after the wait when another
 * attempt may go, throws the error the caller gets otherwise. A 429/503 waits its `Retry-After` (its own budget, also
 * for POSTs: the PSA did not process them); a transient failure (5xx, timeout, network) backs off only for idempotent
 * calls — a note POST is never retried blindly, the writer re-checks it by marker (src/pipeline/process/write-retry.ts).
 */
function retryRules(s: RetrySettings, req: HttpRequest): (error: Error) => Promise<true> {
  const idempotent = req.idempotent ?? req.method === 'GET';
  let failures = 0;
  let waits = 0;
  return async (error) => {
    if (error instanceof Throttled) {
      const wait = error.waitMs ?? Math.min(s.maxDelay, s.minDelay * 2 ** waits);
      await s.onRetryAfter?.(wait);
      if (wait > s.maxInline || waits >= s.maxWaits) {
        throw new ConnectorError('rate_limited', `PSA asked us to wait ${wait} ms`, {
          status: error.status,
          retryAfterMs: wait,
        });
      }
      waits += 1;
      s.log.warn({ status: error.status, waitMs: wait, url: req.url }, 'PSA throttled us; waiting');
      await s.sleep(wait);
      return true;
    }
    const code = error instanceof ConnectorError ? error.code : undefined;
    if (code === 'rate_limited') throw error;
    const transient = code === 'psa_unavailable' || code === 'timeout' || code === 'network';
    if (!transient || !idempotent || failures >= s.retries) throw error;
    failures += 1;
    const base = Math.min(s.maxDelay, s.minDelay * 2 ** (failures - 1));
    const delay = Math.round(base * (0.5 + s.random() * 0.5));
    s.log.warn({ code, attempt: failures, delayMs: delay, url: req.url }, 'PSA call failed; retrying');
    await s.sleep(delay);
    return true;
  };
}

/** Builds the `ctx.http` a connector uses for its PSA. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const settings = retrySettings(options);
  async function request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const rules = retryRules(settings, req);
    try {
      // p-retry runs the attempts; `shouldRetry` (our rules) decides, counts the two budgets and waits on the
      // injectable clock, so p-retry's own backoff is zero and its attempt limit never binds first.
      return await pRetry(() => attempt<T>(settings, req), {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        factor: 1,
        shouldRetry: ({ error }) => rules(error),
      });
    } catch (e) {
      throw e instanceof Throttled ? e.error : e;
    }
  }
  return { request, safeGet };
}

// ------------------------------------------------------------------ SSRF-safe fetch (ConnectWise key_url)

/** Checks a webhook-supplied URL against the allow-list. Returns the reason it is refused, or undefined. */
export function checkAllowedUrl(raw: string, allow: readonly string[]): { url: URL; originAllowed: boolean } | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.username || url.password) return 'credentials in URL';
  if (url.hash || raw.includes('#')) return 'fragment in URL';
  const origins = allow.filter((a) => a.includes('://')).map((a) => a.replace(/\/+$/, '').toLowerCase());
  const hosts = allow.filter((a) => !a.includes('://')).map((a) => a.toLowerCase());
  if (origins.includes(url.origin.toLowerCase())) return { url, originAllowed: true };
  if (url.protocol !== 'https:') return 'https only';
  if (url.port !== '') return 'non-default port';
  if (!hosts.includes(url.hostname.toLowerCase())) return 'host not allow-listed';
  return { url, originAllowed: false };
}

/** Resolves the host once, refuses non-unicast addresses, then pins the connection to the checked address. */
async function pinnedLookup(
  host: string,
  allowPrivate: boolean,
): Promise<{ address: string; family: number } | string> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addrs: { address: string; family: number }[];
  try {
    addrs = await dnsLookup(bare, { all: true, verbatim: true });
  } catch {
    return 'dns_failed';
  }
  if (addrs.length === 0) return 'dns_failed';
  if (!allowPrivate && addrs.some((a) => !isPublicUnicast(a.address))) return 'denied_dns';
  return addrs[0]!;
}

async function safeGet(
  url: string,
  options: SafeFetchOptions,
): Promise<Result<{ status: number; text: string }, ConnectorError>> {
  const checked = checkAllowedUrl(url, options.allow);
  if (typeof checked === 'string')
    return err(new ConnectorError('denied_url', `refused URL: ${checked}`, { retryable: false }));
  const target = await pinnedLookup(checked.url.hostname, checked.originAllowed);
  if (typeof target === 'string')
    return err(new ConnectorError('denied_url', `refused URL: ${target}`, { retryable: false }));
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxBytes = options.maxBytes ?? 65_536;
  const lookup: LookupFunction = (_h, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else cb(null, target.address, target.family);
  };
  const mod = checked.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = mod.request(
      checked.url,
      { method: 'GET', lookup, timeout: timeoutMs, agent: false, headers: { accept: 'application/json' } },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          resolve(
            err(new ConnectorError('redirect_refused', `key URL answered ${status}`, { status, retryable: false })),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy();
            resolve(err(new ConnectorError('key_unavailable', `response larger than ${maxBytes} bytes`)));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(ok({ status, text: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', (e) => resolve(err(networkError(e, timeoutMs))));
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => resolve(err(networkError(e, timeoutMs))));
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
}
