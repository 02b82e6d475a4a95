import { readFileSync } from 'node:fs';

import { AT_API_RESOURCE, AT_API_USERNAME, AT_RESOURCES } from '../../../src/demo/sandboxes/autotask-tenant.js';

/**
 * The data of the fake Autotask tenant: tickets, notes, resources, companies, picklists and webhooks. Seeded from
 * the connector's recorded fixtures (connectors/autotask/__fixtures__) so fake and fixtures tell one story, and with
 * the demo's technicians (src/demo/sandboxes/autotask-tenant.ts) so fake and demo do.
 */
export type Json = Record<string, unknown>;

const fixturesDir = new URL('../../../connectors/autotask/__fixtures__/', import.meta.url);
export const fixture = <T = Json>(name: string): T => JSON.parse(readFileSync(new URL(name, fixturesDir), 'utf8')) as T;

/** Autotask answers datetimes without a zone (they are UTC), with milliseconds. */
export const zoneless = (d: Date) => d.toISOString().replace(/Z$/, '');

export interface FakeAutotaskOptions {
  username?: string;
  secret?: string;
  integrationCode?: string;
  /** Our API user's resource id (webhook owner, note creator). @defaultValue 29684099 */
  apiResourceId?: number;
  now?: () => Date;
  /** Delay every answer (to observe concurrency). @defaultValue 0 */
  latencyMs?: number;
  /** Concurrent requests per (endpoint) before `Itgenatr005`; undefined = unlimited. Autotask allows 3. */
  threadLimit?: number;
  /** Require a note title (the ticket category's "Require titles on ticket notes"). @defaultValue true */
  requireNoteTitles?: boolean;
  /** Page size cap of query answers (Autotask: 500). */
  maxPage?: number;
}

export interface Member {
  resourceID: number;
  roleID: number;
}

export class FakeState {
  readonly username: string;
  readonly secret: string;
  readonly integrationCode: string;
  readonly apiResourceId: number;
  readonly requireNoteTitles: boolean;
  readonly now: () => Date;
  readonly tickets = new Map<number, Json>();
  readonly notes = new Map<number, Json[]>();
  readonly resources = new Map<number, Json>();
  readonly companies = new Map<number, Json>();
  readonly contacts = new Map<number, Json>();
  readonly configurationItems = new Map<number, Json>();
  /** TicketHistory rows per ticket (`POST /TicketHistory/query`): `{id, ticketID, action, detail, date, resourceID}`. */
  readonly history = new Map<number, Json[]>();
  readonly webhooks = new Map<number, Json>();
  readonly webhookFields = new Map<number, Json[]>();
  readonly excludedResources = new Map<number, Json[]>();
  /** resourceID → role ids it may be assigned with (ResourceServiceDeskRoles). */
  readonly roles = new Map<number, number[]>();
  ticketFields: Json = fixture('ticket-fields.json');
  noteFields: Json = fixture('note-fields.json');
  webhookFieldPicklist: Json = fixture('webhook-field-picklist.json');
  private nextId = 40_000_000;

  constructor(options: FakeAutotaskOptions) {
    this.username = options.username ?? AT_API_USERNAME;
    this.secret = options.secret ?? 'at-secret-1';
    this.integrationCode = options.integrationCode ?? 'ESCALATORINTEGRATIONCODE123';
    this.apiResourceId = options.apiResourceId ?? AT_API_RESOURCE;
    this.requireNoteTitles = options.requireNoteTitles ?? true;
    this.now = options.now ?? (() => new Date());
    this.seed();
  }

  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  private seed(): void {
    const me = {
      id: this.apiResourceId,
      firstName: 'API',
      lastName: 'Escalator',
      userName: this.username,
      email: this.username,
      isActive: true,
    };
    this.resources.set(this.apiResourceId, me);
    for (const { id, firstName, lastName, userName, roleID } of AT_RESOURCES) {
      this.resources.set(id, { id, firstName, lastName, userName, isActive: true, defaultServiceDeskRoleID: roleID });
      this.roles.set(id, [roleID]);
    }
    const company = fixture<{ item: Json }>('company.json').item;
    this.companies.set(company.id as number, company);
    const contact = fixture<{ item: Json }>('contact.json').item;
    this.contacts.set(contact.id as number, contact);
    const ci = fixture<{ item: Json }>('configuration-item.json').item;
    this.configurationItems.set(ci.id as number, ci);
  }

  /** Adds a ticket (defaults: the recorded full ticket) and returns it. */
  addTicket(fields: Json = {}): Json {
    const base = fixture<{ item: Json }>('ticket-full.json').item;
    const t: Json = { ...base, ...fields };
    this.tickets.set(t.id as number, t);
    if (!this.notes.has(t.id as number)) this.notes.set(t.id as number, []);
    return t;
  }

  addNote(ticketId: number, note: Json): Json {
    const n: Json = {
      id: this.id(),
      ticketID: ticketId,
      noteType: 1,
      publish: 1,
      createDateTime: zoneless(this.now()),
      ...note,
    };
    const list = this.notes.get(ticketId) ?? [];
    list.push(n);
    this.notes.set(ticketId, list);
    return n;
  }

  /**
   * A person changes a ticket at `at` (ISO): the fields take their new values and TicketHistory records the change in
   * words, with picklist labels and resource names (`Status changed from "New" to "Complete"`), one line per field.
   */
  changeTicket(
    ticketId: number,
    at: string,
    resourceID: number,
    changes: Partial<Record<'queueID' | 'status' | 'priority' | 'assignedResourceID', number | null>>,
    extra: Json = {},
  ): void {
    const t = this.tickets.get(ticketId);
    if (!t) throw new Error(`no ticket ${ticketId}`);
    const label = {
      queueID: 'Queue',
      status: 'Status',
      priority: 'Priority',
      assignedResourceID: 'Primary Resource',
    } as const;
    const show = (field: keyof typeof label, v: unknown): string => {
      if (v === null || v === undefined) return '';
      if (field === 'assignedResourceID') {
        const r = this.resources.get(Number(v));
        return r ? `${String(r.firstName)} ${String(r.lastName)}` : String(v);
      }
      const fields = (this.ticketFields.fields ?? []) as {
        name: string;
        picklistValues?: { value: string; label: string }[] | null;
      }[];
      return (
        fields.find((f) => f.name === field)?.picklistValues?.find((p) => p.value === String(v))?.label ?? String(v)
      );
    };
    const lines: string[] = [];
    for (const [k, v] of Object.entries(changes) as [keyof typeof label, number | null][]) {
      lines.push(`${label[k]} changed from "${show(k, t[k])}" to "${show(k, v)}"`);
      t[k] = v;
    }
    Object.assign(t, extra);
    const date = zoneless(new Date(at));
    t.lastTrackedModificationDateTime = date;
    t.lastActivityDate = date;
    const rows = this.history.get(ticketId) ?? [];
    rows.push({ id: this.id(), ticketID: ticketId, action: 'Edited', detail: lines.join('\n'), date, resourceID });
    this.history.set(ticketId, rows);
  }

  /** Values of a picklist of the ticket entity (`status`, `priority`, `queueID`…). */
  picklist(entityFields: Json, field: string): string[] {
    const fields = (entityFields.fields ?? []) as { name: string; picklistValues?: { value: string }[] | null }[];
    return (fields.find((f) => f.name.toLowerCase() === field.toLowerCase())?.picklistValues ?? []).map((p) => p.value);
  }
}
