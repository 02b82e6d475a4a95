import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Plumbing shared by the demo's PSA sandboxes: a loopback server, body reading, JSON answers, webhook POSTs, and the
 * tally every sandbox keeps for the summary table.
 */
export type Json = Record<string, unknown>;

export interface SandboxRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** Parsed JSON, the raw text when it isn't JSON, undefined when empty. */
  body: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Listening {
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves `handle` (raw Node request and response) on 127.0.0.1, at a free port unless `port`: the loopback server of
 * every sandbox here and of the tests' fake PSAs. `close()` drops open connections first (requests in flight
 * included) unless `dropConnectionsOnClose` is false, then stops listening.
 */
export async function listenRaw(
  handle: (req: IncomingMessage, res: ServerResponse) => unknown,
  options: { port?: number; dropConnectionsOnClose?: boolean } = {},
): Promise<Listening> {
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        if (options.dropConnectionsOnClose ?? true) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts `handler` on 127.0.0.1 (a free port unless `port`). */
export function listen(handler: (req: SandboxRequest) => Reply | Promise<Reply>, port = 0): Promise<Listening> {
  return listenRaw((req, res) => serve(req, res, handler), { port });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handler: (req: SandboxRequest) => Reply | Promise<Reply>,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text) as unknown;
  } catch {
    // not JSON: handlers see the text (Halo's token form, for one)
  }
  let reply: Reply;
  try {
    reply = await handler({
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', 'http://sandbox'),
      headers: req.headers,
      body,
    });
  } catch (e) {
    reply = { status: 500, body: { message: (e as Error).message } };
  }
  const payload =
    reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
    ...reply.headers,
  });
  res.end(payload);
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the service answered to one webhook delivery. */
export interface Delivery {
  ticketId: number;
  status: number;
  duplicate: boolean;
  ignored?: string;
}

/** POSTs a webhook body (exact bytes) and reads the service's 202 answer. */
export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  ticketId: number,
): Promise<Delivery> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await res.json().catch(() => ({}))) as { duplicate?: boolean; ignored?: string };
    return {
      ticketId,
      status: res.status,
      duplicate: answer.duplicate === true,
      ...(answer.ignored ? { ignored: answer.ignored } : {}),
    };
  } catch {
    return { ticketId, status: 0, duplicate: false };
  }
}

/** Per-sandbox tally for the summary table. */
export class Tally {
  readonly tickets = new Set<number>();
  /** Ticket writes made by the API user (reassignments, priority changes). */
  escalationWrites = 0;
  internalNotes = 0;
  customerNotes = 0;
  readonly deliveries: Delivery[] = [];
  /** Called for every write by the API user: the live log prints it. */
  onWrite?: (line: string) => void;

  write(line: string): void {
    this.onWrite?.(line);
  }

  get duplicatesDropped(): number {
    return this.deliveries.filter((d) => d.duplicate).length;
  }
  get echoesIgnored(): number {
    return this.deliveries.filter((d) => d.ignored === 'echo').length;
  }
}

/** Every sandbox: its PSA kind, where it listens, its tally. */
export interface Sandbox {
  readonly kind: 'connectwise' | 'autotask' | 'halo';
  readonly tally: Tally;
  readonly origin: string;
  /** The service's webhook URL for this sandbox's instance (set once the service listens). */
  webhookUrl: string;
  close(): Promise<void>;
}

/** A server on loopback answering with `route`: `start()` listens on a free port, `origin` says where. */
export abstract class LoopbackServer {
  private server?: Listening;

  get origin(): string {
    return this.server?.origin ?? '';
  }

  async start(): Promise<this> {
    this.server = await listen((req) => this.route(req));
    return this;
  }
  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  protected abstract route(req: SandboxRequest): Reply | Promise<Reply>;
}

/** A PSA sandbox: a loopback server with the tally and the service's webhook URL every one of them keeps. */
export abstract class PsaSandbox extends LoopbackServer implements Sandbox {
  abstract readonly kind: Sandbox['kind'];
  readonly tally = new Tally();
  /** The service's webhook URL for this sandbox's instance (set once the service listens). */
  webhookUrl = '';
}
