import type { IncomingMessage, ServerResponse } from 'node:http';

import { FailureScript, LoopbackFake } from './loopback.js';
import type { ScriptedFailure } from './loopback.js';
import { checkVendorBody, endpointKey } from './vendor-schemas/autotask.js';

import { autotaskJson, autotaskSignature, deliver } from './fake-autotask/sign.js';
import type { Delivery } from './fake-autotask/sign.js';
import { FakeState } from './fake-autotask/state.js';
import type { FakeAutotaskOptions, Json } from './fake-autotask/state.js';
import { errors, ticketRoutes } from './fake-autotask/tickets.js';
import type { FakeRequest, Reply, RouteCtx } from './fake-autotask/tickets.js';
import { webhookRoutes } from './fake-autotask/webhooks.js';

export { autotaskJson, autotaskSignature } from './fake-autotask/sign.js';
export type { FakeAutotaskOptions, Json } from './fake-autotask/state.js';
export type { ScriptedFailure } from './loopback.js';

/**
 * A local fake Autotask PSA (REST v1.0) built from docs/psa/autotask.md, on 127.0.0.1:0: unauthenticated zone
 * discovery, the three auth headers (bad secret → 401, bad username / integration code → 500 `{"errors"}`),
 * tickets (GET, PATCH with Autotask's business rules as 500s), notes through the parent URL only, queries with
 * paging links that must be POSTed with the same body, picklists, lookups and `TicketWebhooks` with children.
 * Request bodies are checked against the vendor schema (`vendorProblems`). Scriptable per test: failures (429 with
 * or without Retry-After, 500s, `Itgenatr005`, redirects), false-200 writes, a real thread limit, and signed
 * webhook deliveries escaped the way Autotask escapes them.
 */
export interface RecordedRequest {
  method: string;
  /** Path after the host, as sent (`/ATServicesRest/V1.0/Tickets/1`). */
  path: string;
  /** The vendor endpoint key when modelled (`PATCH /V1.0/Tickets`). */
  endpoint?: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export class FakeAutotask extends LoopbackFake {
  readonly state: FakeState;
  readonly requests: RecordedRequest[] = [];
  readonly vendorProblems: string[] = [];
  /** Highest number of requests in flight at once, per endpoint (`POST /tickets/{id}/notes`). */
  readonly maxInFlight = new Map<string, number>();
  /** The next N ticket PATCHes answer `{itemId}` without changing anything (a false 200). */
  falseWrites = 0;
  private readonly failures = new FailureScript({ caseInsensitive: true });
  private readonly inFlight = new Map<string, number>();
  private readonly pages = new Map<string, { body: string; offset: number; entity: string }>();

  constructor(private readonly options: FakeAutotaskOptions = {}) {
    super();
    this.state = new FakeState(options);
  }

  /** `http://127.0.0.1:port` */
  get url(): string {
    return this.origin;
  }

  /** The REST base as zone discovery reports it (`…/ATServicesRest/`). */
  get zoneUrl(): string {
    return `${this.origin}/ATServicesRest/`;
  }

  /** Where the connector asks for the zone (`connection.discoveryUrl`). */
  get discoveryUrl(): string {
    return `${this.origin}/atservicesrest/v1.0/zoneInformation`;
  }

  /** Settings `connection` block pointing at this fake (`zoneUrl` set unless `discover`). */
  connection(discover = false): Json {
    const s = this.state;
    const base = { username: s.username, secret: s.secret, integrationCode: s.integrationCode };
    return discover
      ? { ...base, discoveryUrl: this.discoveryUrl }
      : { ...base, zoneUrl: `${this.origin}/atservicesrest/v1.0` };
  }

  /**
   * Queues an answer for the next matching request(s); scripted answers win over the real behaviour. `path` is matched
   * against the path after `/V1.0` (`/Tickets/1`), case-insensitively when a string.
   */
  fail(failure: ScriptedFailure): void {
    this.failures.add(failure);
  }

  /** Requests whose path (after `/V1.0`) matches, e.g. `calls('PATCH', /^\/Tickets$/)`. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && path.test(r.path.replace(/^\/atservicesrest\/v1\.0/i, '')),
    );
  }

  /** Sends a webhook like Autotask: Autotask-escaped JSON, signed with `secret` unless `signature` is given. */
  sendWebhook(
    url: string,
    payload: Json,
    options: { secret?: string; signature?: string | null; raw?: string } = {},
  ): Promise<Delivery> {
    const body = options.raw ?? autotaskJson(payload);
    const signature =
      options.signature === undefined ? autotaskSignature(body, options.secret ?? '') : options.signature;
    return deliver(url, body, signature === null ? {} : { 'x-hook-signature': signature });
  }

  /** A ticket webhook payload for one of the registered webhooks (or a made-up Guid). */
  payload(ticketId: number, fields: Json = {}, extra: Json = {}): Json {
    const hook = [...this.state.webhooks.values()][0];
    const seq = (this.seq += 1);
    return {
      Action: 'Update',
      Guid: (hook?.webhookGUID as string | undefined) ?? 'a1da62a4-2c49-40a8-8183-69994ce5b3eb',
      EntityType: 'Ticket',
      Id: ticketId,
      Fields: fields,
      EventTime: this.state
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      SequenceNumber: seq,
      PersonID: 29684010,
      ...extra,
    };
  }

  private seq = 0;

  private scripted(method: string, rel: string): Reply | undefined {
    const f = this.failures.take(method, rel);
    return f && { status: f.status, body: f.body, ...(f.headers ? { headers: f.headers } : {}) };
  }

  private authFailure(req: IncomingMessage): Reply | undefined {
    const h = req.headers;
    const s = this.state;
    if (h['username'] !== s.username) return errors(500, 'Zone information could not be determined');
    if (h['apiintegrationcode'] !== s.integrationCode) return errors(500, 'IntegrationCode is invalid.');
    if (h['secret'] !== s.secret)
      return { status: 401, body: { Message: 'Authorization has been denied for this request.' } };
    return undefined;
  }

  private route(req: IncomingMessage, rel: string, fr: FakeRequest): Reply {
    if (fr.seg[0] === 'zoneinformation' && fr.method === 'GET') {
      return fr.query.get('user') === this.state.username
        ? { status: 200, body: { zoneName: 'Fake Zone', url: this.zoneUrl, webUrl: `${this.origin}/`, ci: 1 } }
        : errors(500, 'Zone information could not be determined');
    }
    const auth = this.authFailure(req);
    if (auth) return auth;
    const scripted = this.scripted(fr.method, rel);
    if (scripted) return scripted;
    const ctx: RouteCtx = {
      state: this.state,
      restUrl: `${this.origin}/ATServicesRest/V1.0`,
      pages: this.pages,
      falseWrite: () => this.falseWrites > 0 && this.falseWrites-- > 0,
    };
    if (fr.seg[0] === 'thresholdinformation')
      return {
        status: 200,
        body: {
          externalRequestThreshold: 10000,
          requestThresholdTimeframe: 60,
          currentTimeframeRequestCount: this.requests.length,
        },
      };
    return (
      ticketRoutes(ctx, fr) ??
      webhookRoutes(ctx, fr) ?? {
        status: 404,
        body: { Message: 'No HTTP resource was found that matches the request URI.' },
      }
    );
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const m = /^\/atservicesrest\/v1\.0(\/.*)?$/i.exec(url.pathname);
    const rel = m?.[1] ?? url.pathname;
    const key = endpointKey(method, `/V1.0${rel}`);
    this.requests.push({ method, path: url.pathname, ...(key ? { endpoint: key } : {}), headers: req.headers, body });
    if (key && body !== undefined && method !== 'GET' && method !== 'DELETE') {
      for (const p of checkVendorBody(method, `/V1.0${rel}`, body)) this.vendorProblems.push(`${method} ${rel}: ${p}`);
    }
    const bucket = `${method} ${rel.toLowerCase().replace(/\/\d+/g, '/{id}')}`;
    const now = (this.inFlight.get(bucket) ?? 0) + 1;
    this.inFlight.set(bucket, now);
    this.maxInFlight.set(bucket, Math.max(this.maxInFlight.get(bucket) ?? 0, now));
    try {
      let reply: Reply;
      if (!m) reply = { status: 404, body: { Message: 'Not Found' } };
      else if (this.options.threadLimit !== undefined && now > this.options.threadLimit) {
        reply = errors(
          500,
          `Itgenatr005 Thread Threshold Exceeded - The Autotask API thread threshold of ${this.options.threadLimit} threads has been exceeded.`,
        );
      } else
        reply = this.route(req, rel, {
          method,
          seg: rel
            .split('/')
            .filter(Boolean)
            .map((s) => s.toLowerCase()),
          query: url.searchParams,
          body,
        });
      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    } finally {
      this.inFlight.set(bucket, (this.inFlight.get(bucket) ?? 1) - 1);
    }
  }
}

/** Starts a fake Autotask; close it with `await fake.close()`. */
export function startFakeAutotask(options: FakeAutotaskOptions = {}): Promise<FakeAutotask> {
  return new FakeAutotask(options).start();
}
