import type { IncomingMessage, ServerResponse } from 'node:http';

import { listenLoopback } from './loopback.js';
import type { Loopback } from './loopback.js';
import { waitFor } from './wait.js';

/**
 * An in-memory fake PSA behind a real HTTP server on 127.0.0.1:0, for the test-only connector
 * (test/helpers/test-connector.ts). Scriptable per test: tickets, latency, failures (status + headers, n times),
 * and it records every call, the notes and writes it received, and concurrent fetches per ticket.
 */
export interface FakeNote {
  id: string;
  text: string;
  internal: boolean;
  at: string;
  author: string;
}

export interface FakeTicket {
  id: string;
  title: string;
  description?: string;
  /** Status category name (`open`, `resolved`, …): the fake's statuses are the categories. */
  status: string;
  /** 1–4 (P1–P4). */
  priority: number;
  queue: string;
  owner: string | null;
  company: string;
  companyName?: string;
  category: string[];
  createdAt: string;
  updatedAt: string;
  notes: FakeNote[];
  /** The PSA's own SLA due dates (normalized into `psaSla`). */
  sla?: { respondBy?: string; resolveBy?: string };
  /** Time entries logged on the ticket (`GET /tickets/:id/time-entries?since=`): not notes, no webhook. */
  timeEntries?: { at: string; author: string }[];
}

export interface Failure {
  method: string;
  /** Matched against the request path with `startsWith`. */
  path: string;
  status: number;
  headers?: Record<string, string>;
  times: number;
  body?: unknown;
  /** A gateway failure after the PSA behind it committed the request (a note POST is stored, then 502/504). */
  commit?: boolean;
}

export interface CallRecord {
  method: string;
  path: string;
  at: number;
  body?: unknown;
}

export class FakePsa {
  readonly tickets = new Map<string, FakeTicket>();
  readonly calls: CallRecord[] = [];
  readonly failures: Failure[] = [];
  /** Milliseconds each GET of a ticket takes (to expose overlapping evaluations). */
  fetchDelayMs = 0;
  /** Milliseconds before a posted note is stored (the client may be gone by then: commit-then-drop). */
  noteDelayMs = 0;
  /** A stored note is listed (GET ticket) only this long after it was stored: the PSA's commit/index delay. */
  noteVisibleAfterMs = 0;
  /** Awaited before each request is answered (tests inject faults at an exact step, e.g. after a PATCH). */
  onRequest: ((call: CallRecord) => Promise<void> | void) | undefined;
  /** Highest number of simultaneous GETs seen per ticket. */
  readonly maxConcurrentFetches = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  webhookState: 'active' | 'inactive' | 'missing' = 'active';
  /** Notifier deliveries received on `POST /notify/<name>`. */
  readonly notifications: { name: string; body: unknown }[] = [];
  private server: Loopback | undefined;
  private seq = 0;
  /** Wall-clock time each note was stored (for `noteVisibleAfterMs`). */
  private readonly storedAt = new Map<string, number>();
  /** The fake's clock for `updatedAt` (tests inject one to match the pipeline's). */
  now: () => number = Date.now;
  url = '';

  addTicket(t: Partial<FakeTicket> & { id: string }): FakeTicket {
    const at = new Date(this.now()).toISOString();
    const ticket: FakeTicket = {
      title: `Ticket ${t.id}`,
      status: 'open',
      priority: 3,
      queue: '1',
      owner: null,
      company: 'c1',
      category: [],
      createdAt: at,
      updatedAt: at,
      notes: [],
      ...t,
    };
    this.tickets.set(ticket.id, ticket);
    return ticket;
  }

  /** Changes a ticket as a human would (bumps updatedAt). */
  update(id: string, patch: Partial<FakeTicket>): FakeTicket {
    const t = this.tickets.get(id);
    if (!t) throw new Error(`no ticket ${id}`);
    Object.assign(t, patch, { updatedAt: this.bump(t.updatedAt) });
    return t;
  }

  fail(f: Omit<Failure, 'times'> & { times?: number }): void {
    this.failures.push({ times: 1, ...f });
  }

  count(method: string, pathPrefix: string): number {
    return this.calls.filter((c) => c.method === method && c.path.startsWith(pathPrefix)).length;
  }

  /** A strictly increasing updatedAt even when the clock has not moved. */
  private bump(previous: string): string {
    const next = Math.max(this.now(), Date.parse(previous) + 1);
    return new Date(next).toISOString();
  }

  async start(): Promise<string> {
    this.server = await listenLoopback((req, res) => this.handle(req, res));
    this.url = this.server.origin;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const call: CallRecord = { method, path: url.pathname, at: Date.now(), ...(body === undefined ? {} : { body }) };
    this.calls.push(call);
    await this.onRequest?.(call);
    const failure = this.failures.find((f) => f.method === method && url.pathname.startsWith(f.path) && f.times > 0);
    if (failure) {
      failure.times -= 1;
      if (failure.commit) await this.route(method, url)?.(body as Record<string, unknown> | undefined, url);
      return send(res, failure.status, failure.body ?? { error: 'scripted failure' }, failure.headers);
    }
    const route = this.route(method, url);
    if (!route) return send(res, 404, { error: 'no route' });
    const [status, out] = await route(body as Record<string, unknown> | undefined, url);
    send(res, status, out);
  }

  private route(
    method: string,
    url: URL,
  ): ((body: Record<string, unknown> | undefined, url: URL) => Promise<[number, unknown]>) | undefined {
    const m = /^\/tickets\/([^/]+)(\/notes)?$/.exec(url.pathname);
    if (method === 'GET' && m && !m[2]) return () => this.getTicket(decodeURIComponent(m[1]!));
    if (method === 'PATCH' && m && !m[2]) return async (b) => this.patchTicket(decodeURIComponent(m[1]!), b ?? {});
    if (method === 'POST' && m && m[2])
      return async (b) => {
        if (this.noteDelayMs > 0) await new Promise((r) => setTimeout(r, this.noteDelayMs));
        return this.addNote(decodeURIComponent(m[1]!), b ?? {});
      };
    const te = /^\/tickets\/([^/]+)\/time-entries$/.exec(url.pathname);
    if (method === 'GET' && te)
      return async (_b, u) => {
        const t = this.tickets.get(decodeURIComponent(te[1]!));
        if (!t) return [404, { error: 'not found' }];
        const since = Date.parse(u.searchParams.get('since') ?? '') || 0;
        return [200, { items: (t.timeEntries ?? []).filter((e) => Date.parse(e.at) > since) }];
      };
    if (method === 'GET' && url.pathname === '/tickets') return async (_b, u) => this.listChanged(u);
    if (method === 'GET' && url.pathname === '/open-tickets') return async (_b, u) => this.listOpen(u);
    const n = /^\/notify\/([^/]+)$/.exec(url.pathname);
    if (method === 'POST' && n)
      return async (b) => {
        this.notifications.push({ name: n[1]!, body: b });
        return [200, { ok: true }];
      };
    if (method === 'GET' && url.pathname === '/webhooks') return async () => [200, { state: this.webhookState }];
    if (method === 'POST' && url.pathname === '/webhooks')
      return async () => {
        const created = this.webhookState === 'active' ? 0 : 1;
        this.webhookState = 'active';
        return [200, { created }];
      };
    return undefined;
  }

  private async getTicket(id: string): Promise<[number, unknown]> {
    const n = (this.inFlight.get(id) ?? 0) + 1;
    this.inFlight.set(id, n);
    this.maxConcurrentFetches.set(id, Math.max(n, this.maxConcurrentFetches.get(id) ?? 0));
    try {
      if (this.fetchDelayMs > 0) await new Promise((r) => setTimeout(r, this.fetchDelayMs));
      const t = this.tickets.get(id);
      if (!t) return [404, { error: 'not found' }];
      const copy = structuredClone(t);
      const cutoff = Date.now() - this.noteVisibleAfterMs;
      if (this.noteVisibleAfterMs > 0) copy.notes = copy.notes.filter((n) => (this.storedAt.get(n.id) ?? 0) <= cutoff);
      return [200, copy];
    } finally {
      this.inFlight.set(id, (this.inFlight.get(id) ?? 1) - 1);
    }
  }

  private patchTicket(id: string, body: Record<string, unknown>): [number, unknown] {
    const t = this.tickets.get(id);
    if (!t) return [404, { error: 'not found' }];
    if (typeof body.queue === 'string') t.queue = body.queue;
    if (typeof body.owner === 'string' || body.owner === null) t.owner = body.owner as string | null;
    if (typeof body.priority === 'number') t.priority = body.priority;
    t.updatedAt = this.bump(t.updatedAt);
    return [200, structuredClone(t)];
  }

  private addNote(id: string, body: Record<string, unknown>): [number, unknown] {
    const t = this.tickets.get(id);
    if (!t) return [404, { error: 'not found' }];
    const note: FakeNote = {
      id: String(++this.seq),
      text: String(body.text ?? ''),
      internal: body.internal !== false,
      at: new Date(this.now()).toISOString(),
      author: 'escalator-api',
    };
    t.notes.unshift(note);
    this.storedAt.set(note.id, Date.now());
    return [201, note];
  }

  /** Open tickets (not resolved/closed) by id, 50 per page: the open-only listing a backfill pages through. */
  private listOpen(url: URL): [number, unknown] {
    const page = Number(url.searchParams.get('page') ?? '0');
    const all = [...this.tickets.values()]
      .filter((t) => t.status !== 'resolved' && t.status !== 'closed')
      .sort((a, b) => a.id.localeCompare(b.id));
    const slice = all.slice(page * 50, page * 50 + 50);
    return [
      200,
      { items: slice.map((t) => ({ id: t.id, updatedAt: t.updatedAt })), more: all.length > (page + 1) * 50 },
    ];
  }

  private listChanged(url: URL): [number, unknown] {
    const since = Date.parse(url.searchParams.get('since') ?? '1970-01-01T00:00:00Z');
    const page = Number(url.searchParams.get('page') ?? '0');
    const all = [...this.tickets.values()]
      .filter((t) => Date.parse(t.updatedAt) >= since)
      .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
    const slice = all.slice(page * 50, page * 50 + 50);
    return [
      200,
      { items: slice.map((t) => ({ id: t.id, updatedAt: t.updatedAt })), more: all.length > (page + 1) * 50 },
    ];
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Tier-1 tickets (queue '1') opened three hours ago: the test policy's 2-hour timeout moves each on its first evaluation. */
export function addOverdueTickets(fake: FakePsa, ids: readonly string[]): void {
  const created = new Date(Date.now() - 3 * 3_600_000).toISOString();
  for (const id of ids) fake.addTicket({ id, queue: '1', createdAt: created, updatedAt: created });
}

/** Waits until every ticket was moved (queue 2) and carries exactly one note, naming the ones not there yet. */
export async function waitForMovedWithOneNote(
  fake: FakePsa,
  ids: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    () =>
      ids.every((id) => fake.tickets.get(id)!.queue === '2' && fake.tickets.get(id)!.notes.length === 1) || undefined,
    timeoutMs,
    200,
    () =>
      `every ticket moved with one note; not yet: ${ids
        .map((id) => fake.tickets.get(id)!)
        .filter((t) => t.queue !== '2' || t.notes.length !== 1)
        .map((t) => `${t.id} (queue ${t.queue}, ${t.notes.length} notes)`)
        .join(', ')}`,
  );
}
