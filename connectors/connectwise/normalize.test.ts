import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { TicketSchema } from '../../src/contract/index.js';
import type { InstanceInfo, Mapping } from '../../src/contract/index.js';

import { normalize } from './normalize.js';
import { settingsSchema } from './schemas.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));

/** The mapping of the example instance `acme-cw` (examples/escalator.yaml). */
const mapping: Mapping = {
  tiers: {
    T1: { board: 1, team: 3 },
    T2: [
      { board: 1, team: 4 },
      { board: 5, team: 9 },
    ],
    T3: [
      { board: 12, team: 27 },
      { board: 12, team: 30 },
    ],
    T4: { board: 14 },
  },
  groups: { network: { board: 5, team: 9 }, tier2: { board: 1, team: 4 } },
  priorities: { P1: [4], P2: [5], P3: [6], P4: [7, 8] },
  statuses: {
    waiting_customer: ['Waiting Customer'],
    scheduled: ['Scheduled'],
    resolved: ['Resolved', 'Completed'],
    closed: ['Closed'],
  },
  members: { 't2.erin': 'erin.t' },
  vipCompanies: ['HQCorp'],
  usersAffected: { fromImpact: { High: 25, Medium: 2, Low: 1 } },
};
const instance: InstanceInfo = {
  id: 'acme-cw',
  kind: 'connectwise',
  policy: 'standard',
  mode: 'enforce',
  mapping,
  rateLimit: { requests: 600, per: 60_000 },
};
const settings = settingsSchema.parse({
  connection: {
    site: 'api-na.myconnectwise.net',
    companyId: 'acme',
    publicKey: 'pub',
    privateKey: 'priv',
    clientId: 'cid',
    apiMember: 'escalator-api',
  },
  webhook: { keyUrlHosts: ['na.myconnectwise.net'] },
  mapping: { ownerPlaceholders: ['unassigned'] },
});
const norm = (ticket: unknown, notes: unknown[] = [], inst: InstanceInfo = instance) =>
  normalize({ ticket, notes }, inst, settings);
const withMapping = (patch: Partial<Mapping>): InstanceInfo => ({ ...instance, mapping: { ...mapping, ...patch } });

describe('normalize: recorded service ticket with notes', () => {
  const t = norm(fixture('service-ticket.json'), fixture('notes.json') as unknown[]);

  it('produces a valid normalized ticket with identity, location and tier', () => {
    expect(TicketSchema.safeParse(t).success).toBe(true);
    expect(t.ref).toEqual({ instance: 'acme-cw', psa: 'connectwise', id: '1393194' });
    expect(t.number).toBe('1393194');
    expect(t.title).toBe('VPN down at HQ - all remote staff disconnected');
    expect(t.location).toEqual({ queue: { id: '1', name: 'Service A' }, team: { id: '3', name: 'Tier 1' } });
    expect(t.tier).toBe('T1');
  });

  it('maps status (unmapped → open), priority id → level, owner by identifier, VIP by company identifier', () => {
    expect(t.status).toEqual({ id: '17', name: 'In Progress', category: 'open' });
    expect(t.priority).toEqual({ id: '4', name: 'Priority 1 - Emergency Response', level: 1 });
    expect(t.owner).toEqual({ id: 'jsmith', name: 'Jane Smith' });
    expect(t.company).toEqual({ id: '250', name: 'HQ Corp', vip: true });
    expect(t.contact).toEqual({ id: '4412', name: 'Dana Whitfield', email: 'dana.whitfield@hqcorp.example' });
  });

  it('reads category, environment, impact/urgency, users affected and dates in UTC', () => {
    expect(t.category).toEqual(['Network', 'VPN', 'SonicWall']);
    expect(t.environment).toBe('Main - Boston');
    expect(t.impact).toBe('Medium');
    expect(t.urgency).toBe('High');
    expect(t.usersAffected).toBe(2);
    expect(t.createdAt).toBe('2026-01-27T13:53:00Z');
    expect(t.updatedAt).toBe('2026-01-27T21:14:03Z');
    expect(t.version).toBe('2026-01-27T21:14:03Z');
    expect(t.firstRespondedAt).toBe('2026-01-27T14:05:00Z');
    expect(t.resolvedAt).toBeUndefined();
    expect(t.psaSla).toEqual({ respondBy: '2026-01-27T14:30:00Z', resolveBy: '2026-01-27T18:15:00Z', met: true });
  });

  it('takes the description from the oldest Discussion note, keeps our notes out of latestNote and flags our newest one in recentNotes', () => {
    expect(t.description).toMatch(/^Our VPN is down/);
    expect(t.latestNote).toMatch(/^Customer reports the Boston office/);
    expect(t.recentNotes?.map((n) => n.text.slice(0, 12))).toEqual([
      'Escalating t',
      'Customer rep',
      'Rebooted the',
      'Called Dana,',
    ]);
    expect(t.recentNotes?.map((n) => n.ours)).toEqual([true, false, false, false]);
    expect(t.recentNotes?.filter((n) => !n.ours).every((n) => !/\[esc:/.test(n.text))).toBe(true);
    expect(t.recentNotes?.[1]).toMatchObject({
      at: '2026-01-27T15:40:12Z',
      author: 'Email Connector',
      internal: false,
    });
    expect(t.recentNotes?.[2]).toMatchObject({ author: 'jsmith', internal: true });
  });

  it('reads usersAffected from a custom field caption when configured', () => {
    const c = norm(
      fixture('service-ticket.json'),
      [],
      withMapping({ usersAffected: { customField: 'users affected' } }),
    );
    expect(c.usersAffected).toBe(40);
    const none = norm(
      fixture('service-ticket.json'),
      [],
      withMapping({ usersAffected: { customField: 'Change Window' } }),
    );
    expect(none.usersAffected).toBeUndefined();
  });
});

describe('normalize: project ticket', () => {
  const t = norm(fixture('project-ticket.json'));

  it('reads a ProjectTicket with zone-less dates as UTC and no team', () => {
    expect(TicketSchema.safeParse(t).success).toBe(true);
    expect(t.createdAt).toBe('2026-01-12T09:15:00Z');
    expect(t.version).toBe('2026-01-30T16:42:10Z');
    expect(t.location).toEqual({ queue: { id: '21', name: 'Projects' } });
    expect(t.tier).toBeNull();
    expect(t.status.category).toBe('scheduled');
    expect(t.priority.level).toBe(3);
    expect(t.company.vip).toBe(false);
    expect(t.category).toEqual(['Migration']);
    expect(t.environment).toBe('Warehouse');
    expect(t.usersAffected).toBe(1);
  });
});

describe('normalize: sparse and null-filled tickets', () => {
  it('reads a ticket without status, owner, priority or dateEntered', () => {
    const t = norm(fixture('sparse-ticket.json'));
    expect(TicketSchema.safeParse(t).success).toBe(true);
    expect(t.status).toEqual({ id: '', name: '', category: 'open' });
    expect(t.priority).toEqual({ id: '', name: '', level: null });
    expect(t.owner).toBeNull();
    expect(t.tier).toBeNull(); // board 1 without a team matches no location (T1 names board and team)
    expect(t.createdAt).toBe('2026-01-28T08:00:00Z');
    expect(t.recentNotes).toEqual([]);
    expect(t.latestNote).toBeUndefined();
  });

  it('survives nulls everywhere', () => {
    const nulls = {
      id: 5,
      summary: null,
      recordType: null,
      board: null,
      status: null,
      team: null,
      owner: null,
      priority: null,
      company: null,
      contact: null,
      contactName: null,
      contactEmailAddress: null,
      site: null,
      type: null,
      subType: null,
      item: null,
      severity: null,
      impact: null,
      closedFlag: null,
      dateResponded: null,
      dateResolved: null,
      customFields: null,
      mergedParentTicket: null,
      _info: null,
    };
    const notes = [
      null,
      { id: null, text: null, member: null, dateCreated: null },
      { id: 1, text: 'x', dateCreated: 'garbage' },
    ];
    const t = norm(nulls, notes);
    expect(TicketSchema.safeParse(t).success).toBe(true);
    expect(t.title).toBe('');
    expect(t.owner).toBeNull();
    expect(t.company).toEqual({ id: '', vip: false });
    expect(t.category).toEqual([]);
    expect(t.contact).toBeUndefined();
    expect(t.version).toBe('1970-01-01T00:00:00Z');
    expect(t.latestNote).toBe('x');
  });

  it('survives nested garbage in references and custom fields', () => {
    const t = norm({
      id: '77',
      owner: { id: 0 },
      board: { id: 'abc' },
      priority: { id: 4 },
      customFields: 'nope',
      _info: { lastUpdated: 12 },
    });
    expect(t.ref.id).toBe('77');
    expect(t.owner).toBeNull();
    expect(t.location).toEqual({});
    expect(t.priority.level).toBe(1);
  });
});

describe('normalize: mapping rules', () => {
  const base = fixture('service-ticket.json') as Record<string, unknown>;
  const variant = (patch: Record<string, unknown>) => ({ ...base, ...patch });

  it('maps statuses by id or case-insensitive name; closed and merged tickets read as closed', () => {
    expect(norm(variant({ status: { id: 30, name: 'waiting customer' } })).status.category).toBe('waiting_customer');
    expect(
      norm(variant({ status: { id: 31, name: 'Foo' } }), [], withMapping({ statuses: { resolved: [31] } })).status
        .category,
    ).toBe('resolved');
    expect(
      norm(variant({ status: { id: 31, name: 'Foo' } }), [], withMapping({ statuses: { resolved: ['31'] } })).status
        .category,
    ).toBe('resolved');
    expect(
      norm(variant({ status: { id: 32, name: 'Closed (Auto)' }, closedFlag: true, closedDate: '2026-01-28T10:00:00Z' }))
        .status.category,
    ).toBe('closed');
    const merged = norm(variant({ mergedParentTicket: { id: 1390000, summary: 'VPN outage' } }));
    expect(merged.status.category).toBe('closed');
    expect(merged.resolvedAt).toBeUndefined();
  });

  it('maps priorities through every listed id and by name', () => {
    expect(norm(variant({ priority: { id: 8, name: 'Do Not Respond' } })).priority.level).toBe(4);
    expect(norm(variant({ priority: { id: 99, name: 'Unknown' } })).priority.level).toBeNull();
    expect(
      norm(
        variant({ priority: { id: 99, name: 'PRIORITY 2 - quick' } }),
        [],
        withMapping({ priorities: { P2: ['Priority 2 - Quick'] } }),
      ).priority.level,
    ).toBe(2);
  });

  it('derives tiers from board + team, a board-only location, and the more specific location', () => {
    expect(norm(variant({ board: { id: 5 }, team: { id: 9 } })).tier).toBe('T2');
    expect(norm(variant({ board: { id: 14 }, team: { id: 99 } })).tier).toBe('T4');
    expect(norm(variant({ board: { id: 12 }, team: { id: 30 } })).tier).toBe('T3');
    expect(norm(variant({ board: { id: 12 }, team: null })).tier).toBeNull();
  });

  it('treats placeholder owners as unassigned and matches VIP by company id too', () => {
    expect(norm(variant({ owner: { id: 9, identifier: 'Unassigned', name: 'Unassigned' } })).owner).toBeNull();
    expect(
      norm(variant({ company: { id: 250, identifier: 'Other' } }), [], withMapping({ vipCompanies: [250] })).company
        .vip,
    ).toBe(true);
    expect(norm(variant({ company: { id: 251, identifier: 'hqcorp' } })).company.vip).toBe(true);
    expect(norm(variant({ company: { id: 251, identifier: 'HQCorpX' } })).company.vip).toBe(false);
  });

  it('keeps offsets as instants in UTC and resolvedAt from dateResolved', () => {
    const t = norm(
      variant({
        dateResolved: '2026-01-27T17:00:00-05:00',
        _info: { dateEntered: '2026-01-27T08:53:00.123-05:00', lastUpdated: '2026-01-27T22:00:00Z' },
      }),
    );
    expect(t.resolvedAt).toBe('2026-01-27T22:00:00Z');
    expect(t.createdAt).toBe('2026-01-27T13:53:00Z');
  });

  it('counts a note as ours only with our marker AND our API member as its author', () => {
    const notes = [
      {
        id: 4,
        text: 'Escalated to T2. [esc:7f3a2c1d]',
        member: { identifier: 'Escalator-API' },
        createdBy: 'Escalator-API',
        dateCreated: '2026-01-27T18:00:00Z',
      },
      {
        id: 3,
        text: 'Server down again! [esc:000000]',
        contact: { id: 9, name: 'Dana' },
        createdBy: 'Dana',
        dateCreated: '2026-01-27T17:00:00Z',
      },
      { id: 2, text: 'automated update', member: { identifier: 'Escalator-API' }, dateCreated: '2026-01-27T16:00:00Z' },
      {
        id: 1,
        text: 'quoted [esc:7f3a2c1d] from the handoff',
        member: { identifier: 'jsmith' },
        dateCreated: '2026-01-27T15:00:00Z',
      },
    ];
    const t = norm(base, notes);
    // The customer's typed marker and the technician's quote are human notes; our marked note is left out.
    expect(t.latestNote).toBe('Server down again! [esc:000000]');
    expect(t.recentNotes?.map((n) => n.text)).toEqual([
      'Escalated to T2. [esc:7f3a2c1d]',
      'Server down again! [esc:000000]',
      'automated update',
      'quoted [esc:7f3a2c1d] from the handoff',
    ]);
    expect(t.recentNotes?.map((n) => n.ours)).toEqual([true, false, false, false]);
  });

  it('flags only our newest note: older ones of ours stay out, four human notes always fit', () => {
    const notes = [
      ...Array.from({ length: 6 }, (_, i) => ({
        id: i + 1,
        text: `note ${i + 1}`,
        internalAnalysisFlag: true,
        dateCreated: `2026-01-27T1${i}:00:00Z`,
      })),
      {
        id: 7,
        text: 'Escalated to T2. [esc:7f3a2c1d]',
        member: { identifier: 'escalator-api' },
        dateCreated: '2026-01-27T08:00:00Z',
      },
      {
        id: 8,
        text: 'Escalated to T3. [esc:0badf00d]',
        member: { identifier: 'escalator-api' },
        dateCreated: '2026-01-27T09:00:00Z',
      },
    ];
    const t = norm(base, notes);
    expect(t.recentNotes?.map((n) => `${n.text}${n.ours ? ' (ours)' : ''}`)).toEqual([
      'note 6',
      'note 5',
      'note 4',
      'note 3',
      'Escalated to T3. [esc:0badf00d] (ours)',
    ]);
  });

  it('trusts the marker alone when connection.apiMember is not configured (the author cannot be checked)', () => {
    const notes = [
      {
        id: 2,
        text: 'Escalated. [esc:7f3a2c1d]',
        member: { identifier: 'whoever' },
        dateCreated: '2026-01-27T16:00:00Z',
      },
      { id: 1, text: 'human update', member: { identifier: 'jsmith' }, dateCreated: '2026-01-27T15:00:00Z' },
    ];
    const t = normalize({ ticket: base, notes }, instance, {
      ...settings,
      connection: { ...settings.connection, apiMember: undefined },
    } as typeof settings);
    expect(t.latestNote).toBe('human update');
  });

  it('keeps at most five recent notes, newest first', () => {
    const notes = Array.from({ length: 8 }, (_, i) => ({
      id: i + 1,
      text: `note ${i + 1}`,
      internalAnalysisFlag: true,
      dateCreated: `2026-01-27T1${i}:00:00Z`,
    }));
    const t = norm(base, notes);
    expect(t.recentNotes?.map((n) => n.text)).toEqual(['note 8', 'note 7', 'note 6', 'note 5', 'note 4']);
  });
});

describe('normalize: the customer site (calendarFor site entries, issue 17)', () => {
  it("fills ticket.site from the ticket's `site` {id, name}, falling back to `siteName`", () => {
    expect(norm(fixture('service-ticket.json')).site).toEqual({ id: '1043', name: 'Main - Boston' });
    const raw = fixture('service-ticket.json') as Record<string, unknown>;
    expect(norm({ ...raw, site: { id: 7 }, siteName: 'Branch - Sydney' }).site).toEqual({
      id: '7',
      name: 'Branch - Sydney',
    });
    expect(norm({ ...raw, site: null, siteName: undefined }).site).toBeUndefined();
  });
});
