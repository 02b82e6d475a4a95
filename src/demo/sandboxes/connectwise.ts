import { createHash, createHmac, randomUUID } from 'node:crypto';

import { isObj, json, postWebhook, PsaSandbox } from './http.js';
import type { Json, Reply, SandboxRequest } from './http.js';

/**
 * A ConnectWise PSA (Manage) sandbox on loopback, adapted from the test fake and docs/psa/connectwise.md:
 * API-member Basic auth + clientId, `/service/tickets` GET/PATCH (JSON Patch on board/status/team/owner/priority,
 * board-scoped statuses and teams), notes, board statuses, priorities, the signing-key URL (served as text), and
 * signed callbacks (`x-content-signature` = base64 HMAC-SHA256 keyed with SHA-256 of the signing key), our own writes
 * included, as the real PSA sends them.
 */
const CODEBASE = 'v2025_1';
const COMPANY = 'acme';
type Ref = { id: number; name?: string; identifier?: string };
type Board = { name: string; statuses: Ref[]; teams: Ref[] };

const BOARDS: Record<number, Board> = {
  1: {
    name: 'Service A',
    statuses: [
      { id: 1, name: 'New' },
      { id: 17, name: 'In Progress' },
      { id: 20, name: 'Waiting Customer' },
      { id: 30, name: 'Closed' },
    ],
    teams: [
      { id: 3, name: 'Tier 1' },
      { id: 4, name: 'Tier 2' },
    ],
  },
  5: {
    name: 'Network',
    statuses: [
      { id: 50, name: 'New' },
      { id: 51, name: 'In Progress' },
    ],
    teams: [{ id: 9, name: 'Network Team' }],
  },
  12: {
    name: 'Escalations',
    statuses: [
      { id: 121, name: 'New' },
      { id: 122, name: 'In Progress' },
    ],
    teams: [
      { id: 27, name: 'Tier 3' },
      { id: 30, name: 'Security' },
    ],
  },
  14: { name: 'Vendor', statuses: [{ id: 140, name: 'New' }], teams: [] },
};
const PRIORITIES: Ref[] = [
  { id: 4, name: 'Priority 1 - Emergency Response' },
  { id: 5, name: 'Priority 2 - Quick Response' },
  { id: 6, name: 'Priority 3 - Normal Response' },
  { id: 7, name: 'Priority 4 - Schedule Maintenance' },
];
const MEMBERS: [string, number, string][] = [
  ['jsmith', 150, 'Jane Smith'],
  ['t2.erin', 160, 'Erin Tate'],
  ['t2.frank', 161, 'Frank Ng'],
  ['t3.grace', 171, 'Grace Hopper'],
  ['t3.heidi', 172, 'Heidi Lamar'],
  ['sec.carol', 181, 'Carol Diaz'],
  ['sec.dave', 182, 'Dave Okafor'],
  ['net.alice', 191, 'Alice Park'],
  ['net.bob', 192, 'Bob Ruiz'],
];

export interface ConnectWiseSandboxOptions {
  now: () => number;
}

export class ConnectWiseSandbox extends PsaSandbox {
  readonly kind = 'connectwise' as const;
  readonly companyId = COMPANY;
  readonly publicKey = randomUUID();
  readonly privateKey = randomUUID();
  readonly clientId = randomUUID();
  readonly apiMember = 'escalator-api';
  readonly tickets = new Map<number, Json>();
  readonly notes = new Map<number, Json[]>();
  private readonly signingKey = randomUUID();
  private readonly keyId = randomUUID();
  private readonly members = new Map<string, Ref>(
    MEMBERS.map(([identifier, id, name]) => [identifier, { id, identifier, name }]),
  );
  private lastStamp = 0;
  private nextNoteId = 5_000;

  constructor(private readonly options: ConnectWiseSandboxOptions) {
    super();
    this.members.set(this.apiMember, { id: 301, identifier: this.apiMember, name: 'Escalator API' });
  }

  get baseUrl(): string {
    return `${this.origin}/${CODEBASE}/apis/3.0`;
  }
  private get keyUrl(): string {
    return `${this.origin}/${CODEBASE}//system/callbackkey/index.rails?companyName=${COMPANY}&id=${this.keyId}`;
  }

  /** `_info.lastUpdated`: whole seconds, strictly increasing (ConnectWise's version). */
  private stamp(): string {
    const s = Math.max(Math.floor(this.options.now() / 1000), this.lastStamp + 1);
    this.lastStamp = s;
    return new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  member(identifier: string): Ref {
    const m = this.members.get(identifier);
    if (!m) throw new Error(`unknown ConnectWise member ${identifier}`);
    return m;
  }

  /** A technician opens a ticket (native fields; `_info` stamped now). */
  addTicket(id: number, fields: Json): void {
    const at = this.stamp();
    this.tickets.set(id, {
      id,
      recordType: 'ServiceTicket',
      closedFlag: false,
      ...fields,
      _info: { dateEntered: at, lastUpdated: at, updatedBy: 'jsmith' },
    });
    this.tally.tickets.add(id);
  }

  /** A technician's internal note (its callback follows with `deliver`). */
  addTechNote(ticketId: number, text: string, by = 'jsmith'): void {
    const at = this.stamp();
    const list = this.notes.get(ticketId) ?? [];
    list.push({
      id: (this.nextNoteId += 1),
      ticketId,
      text,
      internalAnalysisFlag: true,
      member: this.member(by),
      createdBy: by,
      dateCreated: at,
    });
    this.notes.set(ticketId, list);
    const t = this.tickets.get(ticketId);
    if (t) t['_info'] = { ...(t['_info'] as Json), lastUpdated: at, updatedBy: by };
  }

  /** Sends the signed callback ConnectWise posts after a change; `copies` > 1 replays the same delivery (a retry burst). */
  async deliver(
    ticketId: number,
    options: { action?: string; memberId?: string; copies?: number } = {},
  ): Promise<void> {
    const body = JSON.stringify({
      MessageId: randomUUID(),
      FromUrl: '127.0.0.1',
      CompanyId: COMPANY,
      MemberId: options.memberId ?? 'jsmith',
      Action: options.action ?? 'updated',
      Type: 'ticket',
      ID: ticketId,
      Entity: JSON.stringify(this.tickets.get(ticketId) ?? null),
      Metadata: { key_url: this.keyUrl },
    });
    const signature = createHmac('sha256', createHash('sha256').update(this.signingKey).digest())
      .update(body)
      .digest('base64');
    for (let i = 0; i < (options.copies ?? 1); i++) {
      this.tally.deliveries.push(
        await postWebhook(
          `${this.webhookUrl}?recordId=${ticketId}`,
          body,
          { 'x-content-signature': signature },
          ticketId,
        ),
      );
    }
  }

  private authorized(req: SandboxRequest): boolean {
    const want = `Basic ${Buffer.from(`${COMPANY}+${this.publicKey}:${this.privateKey}`).toString('base64')}`;
    return req.headers.authorization === want && req.headers['clientid'] === this.clientId;
  }

  protected route(req: SandboxRequest): Reply {
    const path = req.url.pathname;
    if (path.endsWith('/system/callbackkey/index.rails')) {
      const ok = req.url.searchParams.get('id') === this.keyId;
      return ok
        ? {
            status: 200,
            body: JSON.stringify({ signing_key: this.signingKey }),
            headers: { 'content-type': 'text/plain' },
          }
        : json(404, 'not found');
    }
    const prefix = `/${CODEBASE}/apis/3.0`;
    if (!path.startsWith(`${prefix}/`))
      return json(404, { code: 'ConnectWiseApi', message: 'The endpoint does not exist.' });
    if (!this.authorized(req)) return json(401, { code: 'Unauthorized', message: 'Authentication failed' });
    return this.api(req, path.slice(prefix.length));
  }

  private api(req: SandboxRequest, path: string): Reply {
    let m: RegExpExecArray | null;
    if ((m = /^\/service\/tickets\/(\d+)$/.exec(path))) {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return json(404, { code: 'NotFound', message: `Ticket ${m[1]} not found` });
      return req.method === 'PATCH' ? this.patch(t, req.body) : json(200, t);
    }
    if ((m = /^\/service\/tickets\/(\d+)\/notes$/.exec(path))) {
      const id = Number(m[1]);
      if (!this.tickets.has(id)) return json(404, { code: 'NotFound', message: `Ticket ${id} not found` });
      return req.method === 'POST' ? this.postNote(id, req.body) : json(200, [...(this.notes.get(id) ?? [])].reverse());
    }
    if ((m = /^\/service\/tickets\/(\d+)\/configurations$/.exec(path))) {
      // The ticket's configuration items (affected systems in the handoff note): the demo's tickets have none.
      if (!this.tickets.has(Number(m[1]))) return json(404, { code: 'NotFound', message: `Ticket ${m[1]} not found` });
      return json(200, []);
    }
    if (path === '/service/tickets') return this.list(req.url.searchParams);
    if ((m = /^\/service\/boards\/(\d+)\/statuses$/.exec(path))) {
      const board = BOARDS[Number(m[1])];
      return board
        ? json(
            200,
            board.statuses.map((s) => ({ ...s, board: { id: Number(m![1]) } })),
          )
        : json(404, { code: 'NotFound', message: 'Board not found' });
    }
    if (path === '/service/priorities') {
      const name = /name\s*=\s*"([^"]*)"/.exec(req.url.searchParams.get('conditions') ?? '')?.[1]?.toLowerCase();
      return json(
        200,
        PRIORITIES.filter((p) => name === undefined || p.name?.toLowerCase() === name),
      );
    }
    if (path === '/system/callbacks') return json(200, []);
    return json(404, { code: 'ConnectWiseApi', message: 'The endpoint does not exist.' });
  }

  private list(q: URLSearchParams): Reply {
    const since = Date.parse(/lastUpdated\s*>\s*\[([^\]]+)\]/i.exec(q.get('conditions') ?? '')?.[1] ?? '');
    const rows = [...this.tickets.values()].filter(
      (t) => Number.isNaN(since) || Date.parse(String((t['_info'] as Json)['lastUpdated'])) > since,
    );
    const page = Math.max(1, Number(q.get('page') ?? 1));
    const size = Math.min(1000, Number(q.get('pageSize') ?? 25) || 25);
    return json(
      200,
      rows.slice((page - 1) * size, page * size).map((t) => ({ id: t['id'], _info: t['_info'] })),
    );
  }

  private patch(t: Json, ops: unknown): Reply {
    if (!Array.isArray(ops)) return json(400, { code: 'InvalidObject', message: 'Patch operations must be an array' });
    const next = structuredClone(t);
    for (const op of ops as { op?: string; path?: string; value?: unknown }[]) {
      const field = String(op.path ?? '').replace(/^\//, '');
      const v = isObj(op.value) ? op.value : {};
      if (field === 'board') next['board'] = { id: v['id'], name: BOARDS[Number(v['id'])]?.name };
      else if (field === 'status' || field === 'team' || field === 'priority') next[field] = { id: v['id'] };
      else if (field === 'owner')
        next['owner'] =
          typeof v['identifier'] === 'string'
            ? this.members.get(v['identifier'])
            : [...this.members.values()].find((x) => x.id === v['id']);
    }
    const board = BOARDS[Number((next['board'] as Ref | undefined)?.id)];
    if (!board)
      return json(400, {
        code: 'InvalidObject',
        message: 'ticket object is invalid',
        errors: [{ field: 'board', message: 'Board not found' }],
      });
    const status = board.statuses.find((s) => s.id === (next['status'] as Ref | undefined)?.id);
    const team = board.teams.find((s) => s.id === (next['team'] as Ref | undefined)?.id);
    if (!status)
      return json(400, {
        code: 'InvalidObject',
        message: 'ticket object is invalid',
        errors: [{ field: 'status', message: 'Status is not valid for this board' }],
      });
    if (next['team'] !== undefined && !team)
      return json(400, {
        code: 'InvalidObject',
        message: 'ticket object is invalid',
        errors: [{ field: 'team', message: 'Team is not valid for this board' }],
      });
    next['status'] = status;
    if (team) next['team'] = team;
    const priority = PRIORITIES.find((p) => p.id === (next['priority'] as Ref | undefined)?.id);
    if (priority) next['priority'] = priority;
    next['_info'] = { ...(t['_info'] as Json), lastUpdated: this.stamp(), updatedBy: this.apiMember };
    this.tickets.set(Number(t['id']), next);
    this.tally.escalationWrites += 1;
    const owner = (next['owner'] as Ref | undefined)?.identifier ?? 'nobody';
    this.tally.write(
      `PATCH ticket #${String(t['id'])} → board "${board.name}", team "${team?.name ?? '-'}", owner ${owner}, ${priority?.name ?? ''}`,
    );
    void this.deliver(Number(t['id']), { memberId: this.apiMember });
    return json(200, next);
  }

  private postNote(ticketId: number, body: unknown): Reply {
    if (!isObj(body) || typeof body['text'] !== 'string' || body['text'] === '')
      return json(400, { code: 'InvalidObject', message: 'The text field is required.' });
    const at = this.stamp();
    const note = {
      ...body,
      id: (this.nextNoteId += 1),
      ticketId,
      member: this.member(this.apiMember),
      createdBy: this.apiMember,
      dateCreated: at,
    };
    this.notes.set(ticketId, [...(this.notes.get(ticketId) ?? []), note]);
    const t = this.tickets.get(ticketId)!;
    t['_info'] = { ...(t['_info'] as Json), lastUpdated: at, updatedBy: this.apiMember };
    const customer = body['detailDescriptionFlag'] === true && body['internalAnalysisFlag'] !== true;
    if (customer) this.tally.customerNotes += 1;
    else this.tally.internalNotes += 1;
    this.tally.write(`POST ${customer ? 'customer' : 'internal'} note on #${ticketId}`);
    void this.deliver(ticketId, { memberId: this.apiMember });
    return json(201, note);
  }
}
