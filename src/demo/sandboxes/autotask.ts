import { createHmac, randomUUID } from 'node:crypto';

import { AT_API_RESOURCE, AT_API_USERNAME, AT_RESOURCES } from './autotask-tenant.js';
import { isObj, json, postWebhook, PsaSandbox } from './http.js';
import type { Json, Reply, SandboxRequest } from './http.js';

/**
 * An Autotask PSA sandbox (REST v1.0) on loopback, adapted from the test fake and docs/psa/autotask.md: the three
 * auth headers, `GET /Tickets/{id}` (`{item}`), `PATCH /Tickets` (id in the body; resource and role together),
 * notes through the parent URL, picklists from `entityInformation/fields`, company/contact/resource lookups, a
 * changed-since query, and webhooks written the way Autotask writes them (`\u`-escaped JSON) and signed
 * `X-Hook-Signature: sha1=<base64 HMAC-SHA1>`.
 */
const option = (value: number | string, label: string, parent?: number) => ({
  value: String(value),
  label,
  isActive: true,
  ...(parent ? { parentValue: String(parent) } : {}),
});
const FIELDS: Record<string, Json> = {
  tickets: {
    fields: [
      {
        name: 'status',
        isPickList: true,
        picklistValues: [
          option(1, 'New'),
          option(5, 'Complete'),
          option(7, 'Waiting Customer'),
          option(8, 'In Progress'),
          option(10, 'Waiting Vendor'),
        ],
      },
      {
        name: 'priority',
        isPickList: true,
        picklistValues: [option(4, 'Critical'), option(1, 'High'), option(2, 'Medium'), option(3, 'Low')],
      },
      {
        name: 'queueID',
        isPickList: true,
        picklistValues: [
          option(29682833, 'Level I Support'),
          option(29682969, 'Level II Support'),
          option(29683484, 'Level III Engineering'),
          option(29683500, 'Network Team'),
          option(29683501, 'Security Operations'),
        ],
      },
      {
        name: 'issueType',
        isPickList: true,
        picklistValues: [option(18, 'Hardware'), option(21, 'Network'), option(24, 'Software')],
      },
      {
        name: 'subIssueType',
        isPickList: true,
        picklistValues: [
          option(204, 'Printer', 18),
          option(230, 'Firewall', 21),
          option(240, 'Line of business app', 24),
        ],
      },
    ],
  },
  ticketnotes: {
    fields: [
      { name: 'noteType', isPickList: true, picklistValues: [option(1, 'Task Detail')] },
      {
        name: 'publish',
        isPickList: true,
        picklistValues: [option(1, 'All Autotask Users'), option(2, 'Internal Project Team')],
      },
    ],
  },
};

/** Autotask answers datetimes without a zone (UTC), with milliseconds. */
const zoneless = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');

/** Autotask's sender escapes `& < > ' " \` +` and everything above 0x7F (autotask.md §3). */
function autotaskJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string')
    return `"${value.replace(/[\u0000-\u001f&<>'"`+\\\u007f-\uffff]/g, (ch) => (ch === '\\' ? '\\\\' : `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`))}"`;
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(autotaskJson).join(',')}]`;
  return `{${Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${autotaskJson(k)}:${autotaskJson(v)}`)
    .join(',')}}`;
}

export interface AutotaskSandboxOptions {
  now: () => number;
}

export class AutotaskSandbox extends PsaSandbox {
  readonly kind = 'autotask' as const;
  readonly username = AT_API_USERNAME;
  readonly secret = randomUUID();
  readonly integrationCode = 'DEMOINTEGRATIONCODE00000000';
  readonly webhookSecret = randomUUID().replace(/-/g, '');
  readonly tickets = new Map<number, Json>();
  readonly notes = new Map<number, Json[]>();
  private readonly entities: Record<string, Map<number, Json>> = {
    companies: new Map(),
    contacts: new Map(),
    resources: new Map(),
  };
  private readonly webhookGuid = randomUUID();
  private seq = 0;
  private nextId = 40_000_000;

  constructor(private readonly options: AutotaskSandboxOptions) {
    super();
    const res = this.entities['resources']!;
    res.set(AT_API_RESOURCE, { id: AT_API_RESOURCE, firstName: 'API', lastName: 'Escalator', userName: this.username });
    for (const { id, firstName, lastName, userName } of AT_RESOURCES)
      res.set(id, { id, firstName, lastName, userName });
    this.entities['companies']!.set(174, { id: 174, companyName: 'Globex Executive Office' });
    this.entities['companies']!.set(175, { id: 175, companyName: 'Globex Manufacturing' });
    this.entities['contacts']!.set(30682855, {
      id: 30682855,
      firstName: 'Hank',
      lastName: 'Scorpio',
      emailAddress: 'hank@globex.example',
    });
    this.entities['contacts']!.set(30682856, {
      id: 30682856,
      firstName: 'Marge',
      lastName: 'Bouvier',
      emailAddress: 'marge@globex.example',
    });
  }

  get zoneUrl(): string {
    return `${this.origin}/atservicesrest/v1.0`;
  }

  addTicket(id: number, fields: Json): void {
    const at = zoneless(this.options.now());
    this.tickets.set(id, {
      id,
      ticketNumber: `T2026.${id}`,
      status: 8,
      createDate: at,
      lastActivityDate: at,
      lastTrackedModificationDateTime: at,
      ...fields,
    });
    this.notes.set(id, []);
    this.tally.tickets.add(id);
  }

  /** A technician's change (status, first response…). */
  update(id: number, fields: Json): void {
    const t = this.tickets.get(id);
    if (t)
      Object.assign(t, fields, {
        lastTrackedModificationDateTime: zoneless(this.options.now()),
        lastActivityDate: zoneless(this.options.now()),
      });
  }

  addTechNote(id: number, title: string, description: string, by = 29684010): void {
    this.notes.get(id)?.push({
      id: (this.nextId += 1),
      ticketID: id,
      title,
      description,
      noteType: 1,
      publish: 2,
      creatorResourceID: by,
      createDateTime: zoneless(this.options.now()),
    });
  }

  /** Sends the webhook Autotask posts for a change; `copies` > 1 re-sends the same bytes (Autotask retries). */
  async deliver(
    id: number,
    options: { action?: 'Create' | 'Update'; person?: number; copies?: number } = {},
  ): Promise<void> {
    const t = this.tickets.get(id);
    const body = autotaskJson({
      Action: options.action ?? 'Update',
      Guid: this.webhookGuid,
      EntityType: 'Ticket',
      Id: id,
      Fields: {
        Status: t?.['status'],
        QueueID: t?.['queueID'],
        Title: t?.['title'],
        LastTrackedModificationDateTime: t?.['lastTrackedModificationDateTime'],
      },
      EventTime: new Date(this.options.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      SequenceNumber: (this.seq += 1),
      PersonID: options.person ?? 29684010,
    });
    const signature = `sha1=${createHmac('sha1', Buffer.from(this.webhookSecret, 'utf8')).update(body).digest('base64')}`;
    for (let i = 0; i < (options.copies ?? 1); i++)
      this.tally.deliveries.push(await postWebhook(this.webhookUrl, body, { 'x-hook-signature': signature }, id));
  }

  protected route(req: SandboxRequest): Reply {
    const m = /^\/atservicesrest\/v1\.0(\/.*)$/i.exec(req.url.pathname);
    if (!m) return json(404, { Message: 'Not Found' });
    const h = req.headers;
    if (h['username'] !== this.username || h['apiintegrationcode'] !== this.integrationCode)
      return json(500, { errors: ['IntegrationCode is invalid.'] });
    if (h['secret'] !== this.secret) return json(401, { Message: 'Authorization has been denied for this request.' });
    const seg = m[1]!
      .split('/')
      .filter(Boolean)
      .map((s) => s.toLowerCase());
    return this.api(req, seg) ?? json(404, { Message: 'No HTTP resource was found that matches the request URI.' });
  }

  private api(req: SandboxRequest, [a, b, c]: string[]): Reply | undefined {
    const id = b !== undefined && /^\d+$/.test(b) ? Number(b) : undefined;
    if (b === 'entityinformation' && c === 'fields') return a && FIELDS[a] ? json(200, FIELDS[a]) : undefined;
    if (a === 'tickets' && b === undefined && req.method === 'PATCH') return this.patch(req.body);
    if (a === 'tickets' && b === 'query' && req.method === 'POST') return this.query(req.body);
    if (a === 'tickets' && id !== undefined && c === undefined)
      return json(200, { item: this.tickets.get(id) ?? null });
    if (a === 'tickets' && id !== undefined && c === 'notes') {
      if (!this.tickets.has(id)) return json(404, { errors: ['The requested resource was not found.'] });
      if (req.method === 'POST') return this.postNote(id, req.body);
      const items = this.notes.get(id) ?? [];
      return json(200, {
        items,
        pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null },
      });
    }
    if (a === 'ticketnotes' && b === 'query' && req.method === 'POST') {
      // The notes of one ticket (`ticketID eq`), as the connector's marker scan asks; one page is enough here.
      const filter = isObj(req.body) && Array.isArray(req.body['filter']) ? (req.body['filter'] as unknown[]) : [];
      const want = filter
        .map((f) => (isObj(f) && f['field'] === 'ticketID' ? Number(f['value']) : Number.NaN))
        .find((n) => !Number.isNaN(n));
      const items = want === undefined ? [] : (this.notes.get(want) ?? []);
      return json(200, {
        items,
        pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null },
      });
    }
    if (a === 'resources' && b === 'query') {
      const hit = [...this.entities['resources']!.values()].find((r) => r['userName'] === this.username);
      return json(200, {
        items: hit ? [{ id: hit['id'] }] : [],
        pageDetails: { count: hit ? 1 : 0, nextPageUrl: null },
      });
    }
    const map = a === undefined ? undefined : this.entities[a];
    if (map && id !== undefined) return json(200, { item: map.get(id) ?? null });
    return undefined;
  }

  private query(body: unknown): Reply {
    const filter = isObj(body) && Array.isArray(body['filter']) ? JSON.stringify(body['filter']) : '';
    const since = Date.parse(/"value":"([^"]+)"/.exec(filter)?.[1] ?? '');
    const changed = (t: Json) => Number.isNaN(since) || Date.parse(`${String(t['lastActivityDate'])}Z`) > since;
    const items = [...this.tickets.values()].filter(changed).map((t) => ({
      id: t['id'],
      lastTrackedModificationDateTime: t['lastTrackedModificationDateTime'],
      lastActivityDate: t['lastActivityDate'],
    }));
    return json(200, {
      items,
      pageDetails: { count: items.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null },
    });
  }

  private patch(body: unknown): Reply {
    const t = isObj(body) && typeof body['id'] === 'number' ? this.tickets.get(body['id']) : undefined;
    if (!isObj(body) || !t) return json(500, { errors: ['An id is required to update an entity.'] });
    if ('assignedResourceID' in body !== 'assignedResourceRoleID' in body) {
      return json(500, {
        errors: ['When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID.'],
      });
    }
    Object.assign(t, body, {
      lastTrackedModificationDateTime: zoneless(this.options.now()),
      lastActivityDate: zoneless(this.options.now()),
      lastActivityResourceID: AT_API_RESOURCE,
    });
    this.tally.escalationWrites += 1;
    const owner = this.entities['resources']!.get(Number(t['assignedResourceID']));
    const queue = (
      FIELDS['tickets']!['fields'] as { name: string; picklistValues: { value: string; label: string }[] }[]
    )[2]!.picklistValues.find((q) => q.value === String(t['queueID']));
    this.tally.write(
      `PATCH ticket #${String(t['id'])} → queue "${queue?.label ?? String(t['queueID'])}", resource ${owner ? `${String(owner['firstName'])} ${String(owner['lastName'])}` : 'none'}`,
    );
    void this.deliver(Number(t['id']), { person: AT_API_RESOURCE });
    return json(200, { itemId: t['id'] });
  }

  private postNote(id: number, body: unknown): Reply {
    if (!isObj(body) || typeof body['description'] !== 'string' || typeof body['title'] !== 'string')
      return json(500, { errors: ['title and description are required.'] });
    const note = {
      ...body,
      id: (this.nextId += 1),
      ticketID: id,
      creatorResourceID: AT_API_RESOURCE,
      createDateTime: zoneless(this.options.now()),
    };
    this.notes.get(id)!.push(note);
    this.tickets.get(id)!['lastActivityDate'] = zoneless(this.options.now());
    const customer = body['publish'] === 1;
    if (customer) this.tally.customerNotes += 1;
    else this.tally.internalNotes += 1;
    this.tally.write(`POST ${customer ? 'customer' : 'internal'} note on #${id}: "${body['title']}"`);
    return json(200, { itemId: note.id });
  }
}
