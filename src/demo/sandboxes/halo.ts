import { randomUUID } from 'node:crypto';

import { isObj, json, postWebhook, PsaSandbox } from './http.js';
import type { Json, Reply, SandboxRequest } from './http.js';

/**
 * A HaloPSA sandbox on loopback, adapted from the test fake and docs/psa/halo.md: OAuth2 client_credentials at
 * `/auth/token`, Bearer-protected `/api` with tickets (a POST carrying `id` updates), actions filtered by ticket,
 * the API agent (`/api/Agent/me`), teams, statuses, priorities; and webhooks sent with HTTP Basic authentication,
 * echoes of our own writes included (`agent_id` = the API agent), as Halo sends them.
 */
export const HALO_API_AGENT = 38;
const TEAMS = ['1st Line Support', '2nd Line Support', '3rd Line Support', 'Network', 'Security'].map((name, i) => ({
  id: i + 1,
  name,
}));
const STATUSES = [
  { id: 1, name: 'New' },
  { id: 2, name: 'In Progress' },
  { id: 4, name: 'Waiting on Customer' },
  { id: 8, name: 'Resolved' },
  { id: 9, name: 'Closed' },
];
const PRIORITIES = ['Critical', 'High', 'Medium', 'Low'].map((name, i) => ({
  id: randomUUID(),
  slaid: 1,
  priorityid: i + 1,
  name,
}));
const AGENTS: Record<number, string> = {
  5: 'Sam Tier-One',
  12: 'Erin Two',
  13: 'Frank Two',
  14: 'Alice Net',
  15: 'Bob Net',
  16: 'Carol Sec',
  17: 'Dave Sec',
  18: 'Grace Three',
  19: 'Heidi Three',
};

/** Halo answers datetimes without a zone (UTC). */
const zoneless = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');

export interface HaloSandboxOptions {
  now: () => number;
}

export class HaloSandbox extends PsaSandbox {
  readonly kind = 'halo' as const;
  readonly clientId = randomUUID();
  readonly clientSecret = randomUUID();
  readonly hookUser = 'escalator';
  readonly hookPassword = randomUUID();
  readonly tickets = new Map<number, Json>();
  readonly actions: Json[] = [];
  private readonly tokens = new Map<string, number>();
  private nextActionId = 100_000;

  constructor(private readonly options: HaloSandboxOptions) {
    super();
  }

  addTicket(id: number, fields: Json): void {
    const at = zoneless(this.options.now());
    this.tickets.set(id, { id, status_id: 2, dateoccurred: at, last_update: at, lastactiondate: at, ...fields });
    this.tally.tickets.add(id);
  }

  addTechNote(id: number, note: string, agentId = 5): void {
    const at = zoneless(this.options.now());
    this.actions.push({
      id: (this.nextActionId += 1),
      ticket_id: id,
      outcome: 'Private Note',
      note,
      hiddenfromuser: true,
      who_agentid: agentId,
      who: AGENTS[agentId],
      datetime: at,
    });
    Object.assign(this.tickets.get(id) ?? {}, { lastactiondate: at, last_update: at });
  }

  /** Sends the webhook Halo posts after a change (Basic auth); `copies` > 1 re-sends the same delivery. */
  async deliver(id: number, options: { event?: string; agentId?: number; copies?: number } = {}): Promise<void> {
    const t = this.tickets.get(id);
    const body = JSON.stringify({
      id: randomUUID(),
      webhook_id: 'demo-webhook',
      notification_id: 41,
      escmsg_id: randomUUID(),
      event: options.event ?? 'Ticket Updated',
      object_id: id,
      agent_id: options.agentId ?? 5,
      timestamp: new Date(this.options.now()).toISOString(),
      ticket: t ? { id, status_id: t['status_id'], agent_id: t['agent_id'] } : undefined,
    });
    const auth = `Basic ${Buffer.from(`${this.hookUser}:${this.hookPassword}`).toString('base64')}`;
    for (let i = 0; i < (options.copies ?? 1); i++)
      this.tally.deliveries.push(await postWebhook(this.webhookUrl, body, { authorization: auth }, id));
  }

  protected route(req: SandboxRequest): Reply {
    const path = req.url.pathname;
    if (path === '/auth/token' && req.method === 'POST') return this.token(req.body);
    if (!path.startsWith('/api/')) return json(404, 'Not Found');
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const exp = token === undefined ? undefined : this.tokens.get(token);
    if (exp === undefined || exp <= this.options.now())
      return json(401, { Message: 'Authorization has been denied for this request.' });
    return (
      this.api(req, path) ?? json(404, { Message: `No HTTP resource was found that matches ${req.method} ${path}` })
    );
  }

  private token(body: unknown): Reply {
    const form = new URLSearchParams(typeof body === 'string' ? body : '');
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret)
      return json(400, { error: 'invalid_client' });
    const token = `tok-${randomUUID()}`;
    // Lifetimes follow the demo clock: an hour of simulated time, so the connector's refresh shows up too.
    this.tokens.set(token, this.options.now() + 3_600_000);
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'all' });
  }

  private api(req: SandboxRequest, path: string): Reply | undefined {
    const q = req.url.searchParams;
    const ticket = /^\/api\/Tickets\/(\d+)$/i.exec(path);
    if (req.method === 'GET') {
      if (path === '/api/Agent/me') return json(200, { id: HALO_API_AGENT, name: 'psa-escalator API', is_agent: true });
      if (path === '/api/Team') return json(200, { record_count: TEAMS.length, teams: TEAMS });
      if (path === '/api/Status') return json(200, STATUSES);
      if (path === '/api/Priority') return json(200, PRIORITIES);
      if (ticket)
        return this.tickets.has(Number(ticket[1]))
          ? json(200, this.tickets.get(Number(ticket[1])))
          : json(404, { Message: 'Ticket not found' });
      if (path === '/api/Tickets') {
        const open = [...this.tickets.values()].filter((t) => t['status_id'] !== 9 && t['status_id'] !== 8);
        return json(200, { page_no: 1, page_size: 100, record_count: open.length, tickets: open });
      }
      if (path === '/api/Actions') {
        if (!q.get('ticket_id')) return json(504, 'Gateway Timeout');
        const list = this.actions.filter((a) => String(a['ticket_id']) === q.get('ticket_id')).reverse();
        return json(200, { record_count: list.length, actions: list });
      }
    }
    if (req.method === 'POST' && path === '/api/Tickets') return this.updateTickets(req.body);
    if (req.method === 'POST' && path === '/api/Actions') return this.postActions(req.body);
    return undefined;
  }

  private updateTickets(body: unknown): Reply {
    if (!Array.isArray(body) || !body.every(isObj)) return json(400, { Message: 'expected an array of tickets' });
    const out: Json[] = [];
    for (const item of body) {
      const t = this.tickets.get(Number(item['id']));
      if (!t) return json(400, { Message: `Ticket ${String(item['id'])} not found` });
      const at = zoneless(this.options.now());
      Object.assign(t, item, { last_update: at, lastactiondate: at });
      if (typeof item['agent_id'] === 'number') t['agent_name'] = AGENTS[item['agent_id']];
      this.tally.escalationWrites += 1;
      const level = PRIORITIES.find((p) => p.priorityid === t['priority_id'])?.name ?? '';
      this.tally.write(
        `POST ticket #${String(t['id'])} → team "${String(t['team'])}", agent ${AGENTS[Number(t['agent_id'])] ?? 'unassigned'}, ${level}`,
      );
      out.push(t);
      void this.deliver(Number(t['id']), { agentId: HALO_API_AGENT });
    }
    return json(200, out.length === 1 ? out[0] : out);
  }

  private postActions(body: unknown): Reply {
    if (!Array.isArray(body) || !body.every(isObj)) return json(400, { Message: 'expected an array of actions' });
    const out: Json[] = [];
    for (const item of body) {
      const t = this.tickets.get(Number(item['ticket_id']));
      if (!t || !item['outcome']) return json(400, { Message: 'ticket_id and outcome are required' });
      const at = zoneless(this.options.now());
      const action = {
        ...item,
        id: (this.nextActionId += 1),
        datetime: at,
        who_agentid: HALO_API_AGENT,
        actionby_agent_id: HALO_API_AGENT,
      };
      this.actions.push(action);
      Object.assign(t, { lastactiondate: at, last_update: at });
      const customer = item['hiddenfromuser'] === false;
      if (customer) this.tally.customerNotes += 1;
      else this.tally.internalNotes += 1;
      this.tally.write(
        `POST ${customer ? 'customer-visible' : 'private'} action on #${String(t['id'])} (outcome "${String(item['outcome'])}")`,
      );
      out.push(action);
    }
    return json(200, out.length === 1 ? out[0] : out);
  }
}
