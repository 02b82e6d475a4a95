import { createHash, createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

import { route } from './fake-connectwise-api.js';
import { LoopbackFake } from './loopback.js';

/**
 * A local fake ConnectWise PSA (Manage) on 127.0.0.1:0, built from docs/psa/connectwise.md: codebase discovery,
 * API-member Basic auth + clientId, tickets with board-scoped statuses/teams, JSON-Patch with the documented false 200
 * on sub-paths, notes, callbacks (`/system/callbacks`), navigable paging with `Link`, a signing-key URL served as text,
 * and signed callback deliveries (also of our own writes, like the real PSA). Scriptable per test: queued answers
 * (429 + Retry-After, 500s, resets, redirects, false 200) matched by method and path.
 */
export interface FakeCwRef {
  id: number;
  name?: string;
  identifier?: string;
}
export type FakeCwTicket = Record<string, unknown> & { id: number; _info?: Record<string, string> };
export interface FakeCwNote extends Record<string, unknown> {
  id: number;
  ticketId: number;
  text: string;
}
export interface FakeCwCallback extends Record<string, unknown> {
  id: number;
  url: string;
  type: string;
  level: string;
  objectId: number;
  inactiveFlag: boolean;
}
export interface FakeCwAuditEntry {
  text: string;
  enteredDate: string;
  enteredBy: string;
  auditType: string;
  auditSubType: string;
  auditSource: string;
}
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: number;
}
export type Scripted =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'reset' }
  /** Answers 200 with the unchanged ticket: the documented false 200 of a PATCH that did not take. */
  | { kind: 'falseOk' }
  /** Performs the request, then drops the connection (commit-then-drop: the answer is lost). */
  | { kind: 'commitThenDrop' };
export interface Delivery {
  url: string;
  body: string;
  status: number;
  /** Our service's answer body. */
  answer: string;
}

export interface FakeConnectWiseOptions {
  companyId?: string;
  publicKey?: string;
  privateKey?: string;
  clientId?: string;
  /** Identifier of the API member whose keys we are given: writes are attributed to it. */
  apiMember?: string;
  codebase?: string;
  signingKey?: string;
  /** POST a signed callback to active registrations after each ticket change (echoes of our writes included). */
  deliverCallbacks?: boolean;
  now?: () => number;
}

export class FakeConnectWise extends LoopbackFake {
  readonly companyId: string;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly clientId: string;
  readonly apiMember: string;
  codebase: string;
  signingKey: string;
  readonly callbackKeyId = randomUUID();
  deliverCallbacks: boolean;
  now: () => number;
  /** Every answer waits this long first (a real PSA's latency, for benchmarks). @defaultValue 0 */
  latencyMs = 0;

  readonly tickets = new Map<number, FakeCwTicket>();
  readonly notes = new Map<number, FakeCwNote[]>();
  /** `ConfigurationReference` rows per ticket (`GET /service/tickets/{id}/configurations`). */
  readonly configurations = new Map<number, { id: number; deviceIdentifier?: string }[]>();
  readonly callbacks: FakeCwCallback[] = [];
  readonly members = new Map<string, FakeCwRef>();
  readonly boards = new Map<
    number,
    { name: string; statuses: (FakeCwRef & { defaultFlag?: boolean })[]; teams: FakeCwRef[] }
  >();
  readonly priorities: FakeCwRef[] = [];
  /** Audit trail per ticket (`GET /system/audittrail?type=Ticket&id=`): `{text, enteredDate, enteredBy, auditType, auditSubType, auditSource}`. */
  readonly audit = new Map<number, FakeCwAuditEntry[]>();
  readonly requests: RecordedRequest[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly scripts: { method?: string; path: RegExp; answer: Scripted }[] = [];
  private nextId = 900_000;
  private lastStamp = 0;

  constructor(options: FakeConnectWiseOptions = {}) {
    super();
    this.companyId = options.companyId ?? 'acme';
    this.publicKey = options.publicKey ?? 'pub-key';
    this.privateKey = options.privateKey ?? 'priv-key';
    this.clientId = options.clientId ?? '3f1b5e1c-8a55-4a1f-9d8e-0c2b7e6d5a41';
    this.apiMember = options.apiMember ?? 'escalator-api';
    this.codebase = options.codebase ?? 'v2025_1';
    this.signingKey = options.signingKey ?? 'test-signing-key';
    this.deliverCallbacks = options.deliverCallbacks ?? false;
    this.now = options.now ?? Date.now;
    this.members.set(this.apiMember.toLowerCase(), { id: 301, identifier: this.apiMember, name: 'Escalator API' });
  }

  /** `…/{codebase}/apis/3.0` as the connector's `baseUrl` would name it. */
  get baseUrl(): string {
    return `${this.origin}/${this.codebase}/apis/3.0`;
  }
  /** Signing-key URL in the real shape (UI host, double slash, companyName + id). */
  get keyUrl(): string {
    return `${this.origin}/${this.codebase}//system/callbackkey/index.rails?companyName=${this.companyId}&id=${this.callbackKeyId}`;
  }

  /** Connector settings pointing at this fake: the API member's connection and its origin as the key URL host. */
  settings() {
    return {
      connection: {
        baseUrl: this.baseUrl,
        companyId: this.companyId,
        publicKey: this.publicKey,
        privateKey: this.privateKey,
        clientId: this.clientId,
        apiMember: this.apiMember,
      },
      webhook: { keyUrlHosts: [this.origin] },
    };
  }

  /** Queues answers for requests matching method + path (a string is an exact path below the API base). */
  script(match: { method?: string; path: RegExp | string }, ...answers: Scripted[]): void {
    const path =
      typeof match.path === 'string'
        ? new RegExp(`^${match.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
        : match.path;
    for (const answer of answers)
      this.scripts.push({ ...(match.method ? { method: match.method } : {}), path, answer });
  }

  takeScript(method: string, path: string): Scripted | undefined {
    const i = this.scripts.findIndex((s) => (!s.method || s.method === method) && s.path.test(path));
    return i < 0 ? undefined : this.scripts.splice(i, 1)[0]!.answer;
  }

  /** A strictly increasing `_info.lastUpdated` (whole seconds, like ConnectWise). */
  stamp(): string {
    const s = Math.max(Math.floor(this.now() / 1000), this.lastStamp + 1);
    this.lastStamp = s;
    return new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  addBoard(id: number, name: string, statuses: (FakeCwRef & { defaultFlag?: boolean })[], teams: FakeCwRef[]): void {
    this.boards.set(id, { name, statuses, teams });
  }
  addMember(identifier: string, id: number, name = identifier): void {
    this.members.set(identifier.toLowerCase(), { id, identifier, name });
  }
  addTicket(ticket: FakeCwTicket): FakeCwTicket {
    this.tickets.set(ticket.id, ticket);
    return ticket;
  }
  addNote(ticketId: number, note: Partial<FakeCwNote> & { text: string }): FakeCwNote {
    const n: FakeCwNote = { id: this.newId(), ticketId, dateCreated: this.stamp(), ...note };
    this.notes.set(ticketId, [...(this.notes.get(ticketId) ?? []), n]);
    return n;
  }

  /**
   * A person changes a ticket at `at` (ISO): the field takes its new reference and the audit trail records the change
   * as ConnectWise does, in words with names (`Status changed from "New" to "In Progress"`).
   */
  changeTicket(
    ticketId: number,
    at: string,
    by: string,
    changes: Partial<Record<'board' | 'team' | 'status' | 'priority' | 'owner', FakeCwRef | null>>,
    extra: Record<string, unknown> = {},
  ): void {
    const t = this.tickets.get(ticketId);
    if (!t) throw new Error(`no ticket ${ticketId}`);
    const label = { board: 'Board', team: 'Team', status: 'Status', priority: 'Priority', owner: 'Owner' } as const;
    const show = (r: unknown) =>
      r && typeof r === 'object' ? String((r as FakeCwRef).identifier ?? (r as FakeCwRef).name ?? '') : '';
    const list = this.audit.get(ticketId) ?? [];
    for (const [k, v] of Object.entries(changes) as [keyof typeof label, FakeCwRef | null][]) {
      list.push({
        text: `${label[k]} changed from "${show(t[k])}" to "${show(v)}"`,
        enteredDate: at,
        enteredBy: by,
        auditType: 'Ticket',
        auditSubType: label[k],
        auditSource: 'Ticket',
      });
      t[k] = v ?? undefined; // undefined is left out of the JSON answer, like a field ConnectWise does not send
    }
    this.audit.set(ticketId, list);
    Object.assign(t, extra);
    t._info = { ...(t._info ?? {}), lastUpdated: at, updatedBy: by };
  }

  /** Requests other than GET (what "no outbound write" assertions count). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }
  /** API requests (below the codebase base path), path relative to `/apis/3.0`. */
  apiRequests(method?: string, path?: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => (!method || r.method === method) && (!path || path.test(r.path)));
  }

  /** The callback envelope ConnectWise would POST for a ticket change (connectwise.md §2.1). */
  callbackBody(
    ticketId: number,
    options: { action?: string; memberId?: string; messageId?: string; keyUrl?: string; type?: string } = {},
  ): string {
    const ticket = this.tickets.get(ticketId);
    return JSON.stringify({
      MessageId: options.messageId ?? randomUUID(),
      FromUrl: '127.0.0.1',
      CompanyId: this.companyId,
      MemberId: options.memberId ?? 'jsmith',
      Action: options.action ?? 'updated',
      Type: options.type ?? 'ticket',
      ID: ticketId,
      ProductInstanceId: '639c96cab2eb560001dd1324',
      PartnerId: '61ddc2817bcddc0001c74208',
      CallbackObjectRecId: this.callbacks[0]?.id ?? 0,
      Entity: options.action === 'deleted' || !ticket ? null : JSON.stringify(ticket),
      Metadata: { key_url: options.keyUrl ?? this.keyUrl },
    });
  }

  /** `x-content-signature` for a raw body: base64(HMAC-SHA256(SHA-256(signing key), body)). */
  sign(rawBody: string | Buffer, key = this.signingKey): string {
    return createHmac('sha256', createHash('sha256').update(key).digest()).update(rawBody).digest('base64');
  }

  /** Called after each ticket change: delivers a signed `updated` callback to every active ticket registration. */
  async changed(ticketId: number, memberId: string): Promise<void> {
    if (!this.deliverCallbacks) return;
    for (const cb of this.callbacks.filter((c) => !c.inactiveFlag && c.type.toLowerCase() === 'ticket')) {
      const body = this.callbackBody(ticketId, { memberId });
      const answer = await post(`${cb.url}${ticketId}`, body, this.sign(body)).catch(() => ({ status: 0, text: '' }));
      this.deliveries.push({ url: `${cb.url}${ticketId}`, body, status: answer.status, answer: answer.text });
    }
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      /* keep the text */
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      at: this.now(),
    });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    await route(this, { req, res, method: req.method ?? 'GET', url, rawPath: (req.url ?? '/').split('?')[0]!, body });
  }
}

function post(url: string, body: string, signature: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-content-signature': signature } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A realistic MSP layout matching examples/escalator.yaml (`acme-cw`): boards 1 (Service A: Tier 1 = team 3, Tier 2 =
 * team 4), 5 (Network, team 9), 12 (Escalations, teams 27/30), 14 (Vendor, no teams); board-scoped statuses; members;
 * priorities 4–8.
 */
export function seedConnectWise(fake: FakeConnectWise): FakeConnectWise {
  fake.addBoard(
    1,
    'Service A',
    [
      { id: 1, name: 'New', defaultFlag: true },
      { id: 17, name: 'In Progress' },
      { id: 20, name: 'Waiting Customer' },
      { id: 30, name: 'Closed' },
    ],
    [
      { id: 3, name: 'Tier 1' },
      { id: 4, name: 'Tier 2' },
    ],
  );
  fake.addBoard(
    5,
    'Network',
    [
      { id: 50, name: 'New', defaultFlag: true },
      { id: 51, name: 'In Progress' },
    ],
    [{ id: 9, name: 'Network Team' }],
  );
  fake.addBoard(
    12,
    'Escalations',
    [
      { id: 120, name: 'Assigned', defaultFlag: true },
      { id: 121, name: 'New' },
      { id: 122, name: 'In Progress' },
    ],
    [
      { id: 27, name: 'Tier 3' },
      { id: 30, name: 'Security' },
    ],
  );
  fake.addBoard(14, 'Vendor', [{ id: 140, name: 'Waiting Vendor', defaultFlag: true }], []);
  for (const [identifier, id, name] of [
    ['jsmith', 150, 'Jane Smith'],
    ['erin.t', 160, 'Erin Tate'],
    ['t2.frank', 161, 'Frank Ng'],
    ['t3.grace', 171, 'Grace Hopper'],
    ['sec.carol', 181, 'Carol Diaz'],
  ] as const) {
    fake.addMember(identifier, id, name);
  }
  fake.priorities.push(
    { id: 4, name: 'Priority 1 - Emergency Response' },
    { id: 5, name: 'Priority 2 - Quick Response' },
    { id: 6, name: 'Priority 3 - Normal Response' },
    { id: 7, name: 'Priority 4 - Schedule Maintenance' },
    { id: 8, name: 'Do Not Respond' },
  );
  return fake;
}

/** A service ticket on Service A / Tier 1 owned by jsmith, entered at `enteredAt` (ISO). */
export function cwTicket(
  fake: FakeConnectWise,
  id: number,
  enteredAt: string,
  overrides: Record<string, unknown> = {},
): FakeCwTicket {
  return fake.addTicket({
    id,
    summary: 'Outlook keeps asking for a password',
    recordType: 'ServiceTicket',
    board: { id: 1, name: 'Service A' },
    status: { id: 17, name: 'In Progress' },
    team: { id: 3, name: 'Tier 1' },
    owner: { id: 150, identifier: 'jsmith', name: 'Jane Smith' },
    priority: { id: 6, name: 'Priority 3 - Normal Response', sort: 6 },
    company: { id: 250, identifier: 'HQCorp', name: 'HQ Corp' },
    contact: { id: 4412, name: 'Dana Whitfield' },
    contactEmailAddress: 'dana.whitfield@hqcorp.example',
    site: { id: 1043, name: 'Main - Boston' },
    type: { id: 40, name: 'Software' },
    subType: { id: 41, name: 'Email' },
    severity: 'Medium',
    impact: 'Low',
    closedFlag: false,
    _info: { dateEntered: enteredAt, lastUpdated: enteredAt, updatedBy: 'jsmith' },
    ...overrides,
  });
}

/**
 * A T1 ticket (Service A / Tier 1, jsmith) entered `hoursAgo` hours ago (3 h: past the 2-hour limit) with a
 * technician's internal note, after the description note when `withDescription`.
 */
export function cwT1Ticket(fake: FakeConnectWise, id: number, hoursAgo = 3, withDescription = true): void {
  const entered = new Date(Date.now() - hoursAgo * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  cwTicket(fake, id, entered, { summary: `Outlook keeps asking for a password (${id})` });
  if (withDescription)
    fake.addNote(id, {
      text: 'Outlook prompts for the password every few minutes.',
      detailDescriptionFlag: true,
      dateCreated: entered,
    });
  fake.addNote(id, {
    text: 'Recreated the mail profile; prompts came back.',
    internalAnalysisFlag: true,
    member: { id: 150, identifier: 'jsmith' },
    createdBy: 'jsmith',
    dateCreated: entered,
  });
}

/** The `${CW_…}` variables the test configs read their ConnectWise connection from, pointed at this fake. */
export function cwEnv(fake: FakeConnectWise): Record<string, string> {
  return {
    CW_BASE_URL: fake.baseUrl,
    CW_PUBLIC_KEY: fake.publicKey,
    CW_PRIVATE_KEY: fake.privateKey,
    CW_CLIENT_ID: fake.clientId,
    CW_ORIGIN: fake.origin,
  };
}
