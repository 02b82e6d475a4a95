import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { FailureScript, LoopbackFake } from './loopback.js';
import type { ScriptedFailure as BaseScriptedFailure } from './loopback.js';
import { checkVendorBody, checkVendorQuery } from './vendor-schemas/halo.js';

/**
 * A local fake HaloPSA built from docs/psa/halo.md: OAuth2 client_credentials (`/auth/token`, `/api/authinfo`),
 * Bearer-protected `/api` with tickets (POST-with-id updates, POST-without-id creates), actions (filtered by
 * ticket_id, paged with `pageinate`/`page_size`/`page_no` or unpaged; unfiltered answers 504 like the real one times
 * out), agents, teams, statuses, priorities and
 * `/api/Webhook`. Request bodies and query strings are checked against the vendor schema (`vendorProblems`).
 * Scriptable per test: failures (429 + Retry-After, 500, redirects), false-200 writes, expired tokens, missing
 * webhook permission, and webhook deliveries (echoes of our own writes) to registered receivers.
 */
export type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A scripted answer; `path` is the exact path (`/api/Tickets`) or a pattern. */
export interface ScriptedFailure extends BaseScriptedFailure {
  /** Answer this late (a slow Halo). */
  delayMs?: number;
}

export interface FakeHaloOptions {
  clientId?: string;
  clientSecret?: string;
  /** When set, the token endpoint requires `?tenant=` with this value. */
  tenant?: string;
  /** @defaultValue 3600 */
  tokenLifetimeS?: number;
  /** The agent the API application acts as (`/api/Agent/me`). @defaultValue 38 */
  apiAgentId?: number;
  /** Shape of list answers for `/api/Tickets`. @defaultValue 'wrapped' */
  listShape?: 'wrapped' | 'bare';
  /**
   * How `GET /api/Actions` pages (docs/psa/halo.md §5.1). 'paged' (default): with
   * `pageinate=true`, `page_size` (max 100, default 50) actions of page `page_no` and `{page_no, page_size,
   * record_count, actions}`, as the open-source clients read it; 'ignored': the paging parameters change nothing
   * (Halo's published spec lists none for `/Actions`).
   */
  actionsPaging?: 'paged' | 'ignored';
  /**
   * An unpaged `GET /api/Actions` answers at most this many actions (with the full `record_count`). Default: all of
   * them, as HaloAPI's unpaged `Get-HaloAction` expects; whether real Halo caps an unpaged answer is unverified.
   */
  unpagedActionsCap?: number;
  now?: () => Date;
}

const zoneless = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '');

export class FakeHalo extends LoopbackFake {
  readonly tickets = new Map<number, Json>();
  readonly actions: Json[] = [];
  readonly webhooks: Json[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly vendorProblems: string[] = [];
  readonly deliveries: { url: string; status: number; body: Json; answer: string }[] = [];
  teams: Json[] = [
    { id: 1, name: '1st Line Support' },
    { id: 2, name: '2nd Line Support' },
    { id: 3, name: '3rd Line Support' },
    { id: 5, name: 'Network' },
    { id: 6, name: 'Security' },
  ];
  statuses: Json[] = [
    { id: 1, name: 'New' },
    { id: 2, name: 'In Progress' },
    { id: 4, name: 'Waiting on Customer' },
    { id: 8, name: 'Resolved' },
    { id: 9, name: 'Closed' },
  ];
  priorities: Json[] = [1, 2, 3, 4].map((p) => ({
    id: randomUUID(),
    slaid: 1,
    priorityid: p,
    name: ['Critical', 'High', 'Medium', 'Low'][p - 1],
  }));
  /** Tickets created by a POST /api/Tickets without `id` (a connector bug when it meant to update). */
  created: Json[] = [];
  /** The next N ticket / note writes answer 200 without changing anything. */
  falseTicketWrites = 0;
  falseNoteWrites = 0;
  /** False → `/api/Webhook` answers 403 (the API user lacks the permission). */
  canManageWebhooks = true;
  /** Emit a webhook to every active registration after each write made through the API (echoes). */
  emitOnWrite = false;
  /** Events shown on registrations (Halo binds them through the UI). */
  bindEvents = false;
  tokensIssued = 0;
  private readonly tokens = new Map<string, number>();
  private readonly failures = new FailureScript<ScriptedFailure>();
  private nextTicketId = 9000;
  private nextActionId = 100_000;

  /** In-flight requests finish on close (the fake Halo never dropped them). */
  protected override dropConnectionsOnClose = false;

  constructor(readonly options: FakeHaloOptions = {}) {
    super();
  }

  get apiAgentId(): number {
    return this.options.apiAgentId ?? 38;
  }
  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  addTicket(ticket: Json): Json {
    const t = { ...ticket };
    this.tickets.set(Number(t.id), t);
    return t;
  }
  addAction(action: Json): Json {
    const a = { id: this.nextActionId++, ...action };
    this.actions.push(a);
    return a;
  }
  /**
   * A T1 ticket as the test configs map it (team 1st Line Support, status 2, priority 3, SLA 1, Initech's Peter
   * Gibbons, agent 1), opened at `opened` (zoneless, as Halo writes it); `fields` adds to or overrides it.
   */
  addT1Ticket(id: number, opened: string, fields: Json): Json {
    return this.addTicket({
      id,
      status_id: 2,
      priority_id: 3,
      sla_id: 1,
      team: '1st Line Support',
      agent_id: 1,
      client_id: 17,
      client_name: 'Initech Ltd',
      user_id: 208,
      user_name: 'Peter Gibbons',
      dateoccurred: opened,
      last_update: opened,
      lastactiondate: opened,
      ...fields,
    });
  }
  /** A technician's (agent 5) private note on the ticket, written at `at`. */
  addTechNote(ticketId: number, at: string, note: string): Json {
    return this.addAction({
      ticket_id: ticketId,
      outcome: 'Private Note',
      note,
      hiddenfromuser: true,
      who_agentid: 5,
      datetime: at,
    });
  }
  /**
   * Logs a ticket at `at` (ISO) as Halo does: the ticket and its first action, which records the values it was logged
   * with (`new_status`, `new_agent`, `new_team`, `new_priority`).
   */
  logTicket(ticket: Json, at: string): Json {
    const when = at.replace(/\.\d+Z$|Z$/, '');
    const t = this.addTicket({
      ...ticket,
      dateoccurred: when,
      datecreated: when,
      last_update: when,
      lastactiondate: when,
    });
    this.addAction({
      ticket_id: t.id,
      outcome: 'Logged',
      datetime: when,
      note: '',
      who_type: 1,
      actionby_agent_id: t.agent_id,
      new_status: t.status_id,
      new_agent: t.agent_id,
      new_team: t.team,
      new_priority: t.priority_id,
    });
    return t;
  }
  /**
   * An agent changes a ticket at `at` (ISO): the fields take their new values and the action records the change
   * (`new_status` with `old_status`; `new_agent`, `new_team`, `new_priority` without the old value, as Halo does).
   */
  changeTicket(
    ticketId: number,
    at: string,
    agentId: number,
    changes: { status?: number; agent?: number; team?: string; priority?: number },
    extra: Json = {},
  ): void {
    const t = this.tickets.get(ticketId);
    if (!t) throw new Error(`no ticket ${ticketId}`);
    const when = at.replace(/\.\d+Z$|Z$/, '');
    const action: Json = {
      ticket_id: ticketId,
      outcome: 'Updated',
      datetime: when,
      note: '',
      who_type: 1,
      actionby_agent_id: agentId,
    };
    if (changes.status !== undefined) {
      Object.assign(action, { old_status: t.status_id, new_status: changes.status });
      t.status_id = changes.status;
    }
    if (changes.agent !== undefined) {
      action.new_agent = changes.agent;
      t.agent_id = changes.agent;
    }
    if (changes.team !== undefined) {
      action.new_team = changes.team;
      t.team = changes.team;
    }
    if (changes.priority !== undefined) {
      action.new_priority = changes.priority;
      t.priority_id = changes.priority;
    }
    Object.assign(t, extra, { last_update: when, lastactiondate: when });
    this.addAction(action);
  }
  /** Queues an answer for the next matching request(s), checked before authentication. */
  fail(failure: ScriptedFailure): void {
    this.failures.add(failure);
  }
  /** Every token issued so far stops working (401), as after expiry. */
  expireTokens(): void {
    for (const k of this.tokens.keys()) this.tokens.set(k, 0);
  }
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** Sends a webhook for `ticketId` to every active registration, as Halo does after a change. */
  async emit(ticketId: number, event: string, agentId: number): Promise<void> {
    const ticket = this.tickets.get(ticketId);
    for (const w of this.webhooks.filter((x) => x.active === true && x.type === 0)) {
      const body: Json = {
        id: randomUUID(),
        webhook_id: w.id,
        notification_id: 41,
        escmsg_id: randomUUID(),
        event,
        object_id: ticketId,
        agent_id: agentId,
        timestamp: this.now().toISOString(),
        ticket: ticket ? { id: ticket.id, status_id: ticket.status_id, agent_id: ticket.agent_id } : undefined,
      };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (w.authentication_type === 1)
        headers.authorization = `Basic ${Buffer.from(`${String(w.basic_username)}:${String(w.basic_password)}`).toString('base64')}`;
      const res = await fetch(String(w.url), { method: 'POST', headers, body: JSON.stringify(body) }).catch(
        () => undefined,
      );
      const answer = res ? await res.text().catch(() => '') : '';
      this.deliveries.push({ url: String(w.url), status: res?.status ?? 0, body, answer });
    }
  }

  // ---------------------------------------------------------------- request handling

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    if (text !== '' && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        return this.send(res, 400, { Message: 'The request body is not valid JSON' });
      }
    }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
    };
    this.requests.push(rec);
    const scripted = this.failures.take(rec.method, rec.path);
    if (scripted) {
      if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
      return this.send(
        res,
        scripted.status,
        scripted.body ?? { Message: `scripted ${scripted.status}` },
        scripted.headers,
      );
    }
    if (rec.path === '/auth/token' && rec.method === 'POST') return this.token(rec, res);
    if (rec.path.toLowerCase() === '/api/authinfo')
      return this.send(res, 200, { auth_url: `${this.origin}/auth`, tenant_id: this.options.tenant ?? 'fake' });
    if (!rec.path.startsWith('/api/')) return this.send(res, 404, 'Not Found');
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const exp = token ? this.tokens.get(token) : undefined;
    if (exp === undefined || exp <= this.now().getTime())
      return this.send(res, 401, { Message: 'Authorization has been denied for this request.' });
    const [status, answer] = this.route(rec);
    this.send(res, status, answer);
    if (this.emitOnWrite && status === 200 && rec.method === 'POST' && Array.isArray(rec.body)) {
      const ids = (rec.body as Json[])
        .map((b) => Number(rec.path === '/api/Actions' ? b.ticket_id : b.id))
        .filter((n) => n > 0);
      for (const id of ids)
        await this.emit(id, rec.path === '/api/Actions' ? 'Action Added' : 'Ticket Updated', this.apiAgentId);
    }
  }

  private token(rec: RecordedRequest, res: ServerResponse): void {
    const form = new URLSearchParams(typeof rec.body === 'string' ? rec.body : '');
    const o = this.options;
    if (o.tenant !== undefined && rec.query.tenant !== o.tenant)
      return this.send(res, 500, { Message: 'tenant not found' });
    if (form.get('grant_type') !== 'client_credentials')
      return this.send(res, 400, { error: 'unsupported_grant_type' });
    if (
      form.get('client_id') !== (o.clientId ?? 'client-id') ||
      form.get('client_secret') !== (o.clientSecret ?? 'client-secret')
    ) {
      return this.send(res, 400, { error: 'invalid_client' });
    }
    const lifetime = o.tokenLifetimeS ?? 3600;
    const token = `tok-${randomUUID()}`;
    this.tokens.set(token, this.now().getTime() + lifetime * 1000);
    this.tokensIssued += 1;
    this.send(res, 200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: lifetime,
      scope: form.get('scope') ?? 'all',
    });
  }

  private checkQuery(endpoint: string, rec: RecordedRequest): void {
    this.vendorProblems.push(...checkVendorQuery(endpoint, rec.query));
  }

  private route(rec: RecordedRequest): [number, unknown] {
    const { method, path } = rec;
    const ticketMatch = /^\/api\/Tickets\/(\d+)$/.exec(path);
    if (method === 'GET' && path === '/api/Agent/me')
      return [200, { id: this.apiAgentId, name: 'psa-escalator API', is_agent: true }];
    if (method === 'GET' && path === '/api/Team') return [200, { record_count: this.teams.length, teams: this.teams }];
    if (method === 'GET' && path === '/api/Status') return [200, this.statuses];
    if (method === 'GET' && path === '/api/Priority') return [200, this.priorities];
    if (method === 'GET' && ticketMatch) {
      this.checkQuery('GET /api/Tickets/{id}', rec);
      const t = this.tickets.get(Number(ticketMatch[1]));
      return t ? [200, t] : [404, { Message: 'Ticket not found' }];
    }
    if (method === 'GET' && path === '/api/Tickets') return this.listTickets(rec);
    if (method === 'POST' && path === '/api/Tickets') return this.postTickets(rec);
    if (method === 'GET' && path === '/api/Actions') return this.listActions(rec);
    if (method === 'POST' && path === '/api/Actions') return this.postActions(rec);
    if (path === '/api/Webhook' || path.startsWith('/api/Webhook/')) return this.webhookRoute(rec);
    return [404, { Message: `No HTTP resource was found that matches ${method} ${path}` }];
  }

  private listTickets(rec: RecordedRequest): [number, unknown] {
    this.checkQuery('GET /api/Tickets', rec);
    let all = [...this.tickets.values()].sort((a, b) => Number(a.id) - Number(b.id));
    if (rec.query.open_only === 'true') all = all.filter((t) => t.hasbeenclosed !== true && t.status_id !== 9);
    // `datesearch` names the date field `startdate` / `enddate` bound (zone-less UTC, as Halo sends it).
    const stamp = (v: unknown) => Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(String(v)) ? String(v) : `${String(v)}Z`);
    const field = rec.query.datesearch;
    if (field) {
      const key = field === 'dateoccured' ? 'dateoccurred' : field;
      if (rec.query.startdate) all = all.filter((t) => stamp(t[key]) >= stamp(rec.query.startdate));
      if (rec.query.enddate) all = all.filter((t) => stamp(t[key]) <= stamp(rec.query.enddate));
    }
    const size = Math.min(100, Number(rec.query.page_size ?? 50));
    const page = Number(rec.query.page_no ?? 1);
    const items = rec.query.pageinate === 'true' ? all.slice((page - 1) * size, page * size) : all;
    return [
      200,
      this.options.listShape === 'bare'
        ? items
        : { page_no: page, page_size: size, record_count: all.length, tickets: items },
    ];
  }

  private listActions(rec: RecordedRequest): [number, unknown] {
    // `pageinate`/`page_size`/`page_no` are not in Halo's published `/Actions` parameters (docs/psa/halo.md §5.1): the
    // open-source clients send them. Checked here as `/Tickets` documents them (bool, int, int; page_size ≤ 100).
    const { pageinate, page_size, page_no, ...rest } = rec.query;
    this.checkQuery('GET /api/Actions', { ...rec, query: rest });
    if (pageinate !== undefined && !/^(true|false)$/.test(pageinate))
      this.vendorProblems.push(`GET /api/Actions?pageinate: expected boolean, got ${pageinate}`);
    for (const [k, v] of Object.entries({ page_size, page_no }))
      if (v !== undefined && !(/^\d+$/.test(v) && Number(v) >= 1 && (k !== 'page_size' || Number(v) <= 100)))
        this.vendorProblems.push(
          `GET /api/Actions?${k}: expected an integer${k === 'page_size' ? ' 1..100' : ' ≥ 1'}, got ${v}`,
        );
    if (!rec.query.ticket_id) return [504, 'Gateway Timeout'];
    const all = this.actions.filter((a) => String(a.ticket_id) === rec.query.ticket_id);
    if (pageinate === 'true' && this.options.actionsPaging !== 'ignored') {
      const size = Math.min(100, Number(page_size ?? 50));
      const page = Number(page_no ?? 1);
      const actions = all.slice((page - 1) * size, page * size);
      return [200, { page_no: page, page_size: size, record_count: all.length, actions }];
    }
    const cap = this.options.unpagedActionsCap;
    return [200, { record_count: all.length, actions: cap === undefined ? all : all.slice(0, cap) }];
  }

  private postTickets(rec: RecordedRequest): [number, unknown] {
    const problems = checkVendorBody('POST /api/Tickets', rec.body);
    this.vendorProblems.push(...problems);
    if (problems.length > 0 || !Array.isArray(rec.body)) return [400, { Message: problems.join('; ') }];
    const out: Json[] = [];
    for (const item of rec.body as Json[]) {
      if (item.id === undefined || item.id === 0) {
        const t = { ...item, id: this.nextTicketId++, dateoccurred: zoneless(this.now()) }; // no id = a NEW ticket
        this.created.push(t);
        this.tickets.set(Number(t.id), t);
        out.push(t);
        continue;
      }
      const t = this.tickets.get(Number(item.id));
      if (!t) return [400, { Message: `Ticket ${String(item.id)} not found` }];
      if (this.falseTicketWrites > 0) this.falseTicketWrites -= 1;
      else Object.assign(t, item, { last_update: zoneless(this.now()), lastactiondate: zoneless(this.now()) });
      out.push(t);
    }
    return [200, out.length === 1 ? out[0] : out];
  }

  private postActions(rec: RecordedRequest): [number, unknown] {
    const problems = checkVendorBody('POST /api/Actions', rec.body);
    this.vendorProblems.push(...problems);
    if (problems.length > 0 || !Array.isArray(rec.body)) return [400, { Message: problems.join('; ') }];
    const out: Json[] = [];
    for (const item of rec.body as Json[]) {
      if (!item.ticket_id || !item.outcome) return [400, { Message: 'ticket_id and outcome are required' }];
      const t = this.tickets.get(Number(item.ticket_id));
      if (!t) return [400, { Message: `Ticket ${String(item.ticket_id)} not found` }];
      if (this.falseNoteWrites > 0) {
        this.falseNoteWrites -= 1;
        out.push({});
        continue;
      }
      const at = zoneless(this.now());
      out.push(
        this.addAction({
          ...item,
          datetime: at,
          who_agentid: this.apiAgentId,
          actionby_agent_id: this.apiAgentId,
          actionby_application_id: 'psa-escalator',
        }),
      );
      Object.assign(t, { lastactiondate: at, last_update: at });
    }
    return [200, out.length === 1 ? out[0] : out];
  }

  private webhookRoute(rec: RecordedRequest): [number, unknown] {
    if (!this.canManageWebhooks) return [403, { Message: 'You do not have permission to access this resource' }];
    const view = (w: Json) => ({
      ...w,
      basic_password: undefined,
      events: this.bindEvents ? [{ eventno: 1, webhook_id: w.id }] : [],
    });
    if (rec.method === 'GET' && rec.path === '/api/Webhook') return [200, this.webhooks.map(view)];
    if (rec.method === 'POST' && rec.path === '/api/Webhook' && Array.isArray(rec.body)) {
      const out = (rec.body as Json[]).map((item) => {
        const existing = item.id === undefined ? undefined : this.webhooks.find((w) => w.id === item.id);
        if (existing) return Object.assign(existing, item);
        const w = { ...item, id: randomUUID() };
        this.webhooks.push(w);
        return w;
      });
      return [200, out.length === 1 ? view(out[0]!) : out.map(view)];
    }
    const del = /^\/api\/Webhook\/([^/]+)$/.exec(rec.path);
    if (rec.method === 'DELETE' && del) {
      const i = this.webhooks.findIndex((w) => w.id === decodeURIComponent(del[1]!));
      if (i < 0) return [404, { Message: 'not found' }];
      this.webhooks.splice(i, 1);
      return [200, {}];
    }
    return [400, { Message: 'bad webhook request' }];
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
      ...headers,
    });
    res.end(text);
  }
}

/** Starts a fake Halo; close it in `afterAll`/`afterEach`. */
export async function startFakeHalo(options: FakeHaloOptions = {}): Promise<FakeHalo> {
  return new FakeHalo(options).start();
}
