import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { TicketSchema } from '../../src/contract/index.js';
import type { FetchedTicket, InstanceInfo } from '../../src/contract/index.js';

import { normalize } from './normalize.js';
import { settingsSchema } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';
import { instant, parseInstant, versionOf } from './mapping.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
const item = (name: string) => (fixture(name) as { item: Record<string, unknown> }).item;
const picklists = (name: string) =>
  Object.fromEntries(
    (
      fixture(name) as {
        fields: { name: string; picklistValues: { value: string; label: string; isDefaultValue: boolean }[] | null }[];
      }
    ).fields
      .filter((f) => f.picklistValues)
      .map((f) => [
        f.name,
        f.picklistValues!.map((p) => ({
          value: p.value,
          label: p.label,
          ...(p.isDefaultValue ? { isDefault: true } : {}),
        })),
      ]),
  );

/** The example's globex-at mapping (examples/escalator.yaml). */
const instance: InstanceInfo = {
  id: 'globex-at',
  kind: 'autotask',
  policy: 'standard',
  mode: 'enforce',
  rateLimit: { requests: 3000, per: 3_600_000 },
  mapping: {
    tiers: {
      T1: { queueID: 29682833 },
      T2: [{ queueID: 29682969 }, { queueID: 29683500 }],
      T3: [{ queueID: 29683484 }, { queueID: 29683501 }],
    },
    groups: {},
    priorities: { P1: [4], P2: [1], P3: [2], P4: [3] },
    statuses: { waiting_customer: [7], waiting_vendor: ['waiting vendor'], resolved: [5], new: ['New'] },
    members: {},
    vipCompanies: [],
    usersAffected: { customField: 'Users Affected' },
  },
};

const settings = (extra: Partial<AutotaskSettings['mapping']> = {}, notes: unknown = {}): AutotaskSettings =>
  settingsSchema.parse({
    connection: { username: 'api@globex.example', secret: 's', integrationCode: 'CODE' },
    webhook: { secretKey: 'enkmoj676nwh8' },
    notes,
    mapping: {
      ...instance.mapping,
      udfs: { environment: 'Environment', impact: 'Impact', urgency: 'Urgency' },
      ...extra,
    },
  });

const lookups = {
  picklists: picklists('ticket-fields.json'),
  notePicklists: picklists('note-fields.json'),
  apiResourceId: 29684099,
  company: item('company.json'),
  contact: item('contact.json'),
  owner: item('resource.json'),
  configurationItem: item('configuration-item.json'),
};

const full: FetchedTicket = {
  ticket: item('ticket-full.json'),
  notes: (fixture('notes.json') as { items: unknown[] }).items,
  lookups,
};

describe('normalize on a recorded ticket', () => {
  const t = normalize(full, instance, settings());

  it('is a valid model ticket', () => {
    expect(TicketSchema.safeParse(t).success).toBe(true);
  });

  it('maps identity, routing and tier from the queue', () => {
    expect(t.ref).toEqual({ instance: 'globex-at', psa: 'autotask', id: '351181' });
    expect(t.number).toBe('T20261124.0007');
    expect(t.location).toEqual({ queue: { id: '29682833', name: 'Client Portal / Level I Support' } });
    expect(t.tier).toBe('T1');
    expect(t.owner).toEqual({ id: '29684010', name: 'Tom Tier-One' });
  });

  it('maps status and priority through the picklists and the mapping (names case-insensitively)', () => {
    expect(t.status).toEqual({ id: '1', name: 'New', category: 'new' });
    expect(t.priority).toEqual({ id: '2', name: 'Medium', level: 3 });
  });

  it('reads zone-less datetimes as UTC and keeps the PSA SLA dates', () => {
    expect(t.createdAt).toBe('2026-11-24T13:02:11Z');
    expect(t.updatedAt).toBe('2026-11-24T15:11:09Z');
    expect(t.firstRespondedAt).toBe('2026-11-24T13:20:40Z');
    expect(t.resolvedAt).toBeUndefined();
    expect(t.psaSla).toEqual({ respondBy: '2026-11-24T14:02:11Z', resolveBy: '2026-11-25T13:02:11Z', met: false });
    expect(t.version).toBe('2026-11-24T15:10:02.433Z');
  });

  it('fills the handoff fields from company, contact, CI and UDFs', () => {
    expect(t.company).toEqual({ id: '174', name: 'Globex Corporation', vip: false });
    expect(t.contact).toEqual({ id: '30682855', name: 'Dana Schäfer', email: 'dana.schaefer@globex.example' });
    expect(t.category).toEqual(['Hardware', 'Printer']);
    expect(t.affectedSystems).toBe('HP LaserJet M607 (2nd floor)');
    expect(t.environment).toBe('Windows 11, print server PRN01');
    expect(t.impact).toBe('Medium');
    // No urgency UDF value: the priority carries it (issue 13).
    expect(t.urgency).toBe('Medium');
    expect(t.usersAffected).toBe(4);
    expect(t.description).toContain('HP LaserJet & the scanner');
  });

  it('orders notes newest first and leaves ours (marker AND API user) out of latestNote', () => {
    // 13:55 is the API user without a marker: not one of our notes (issue 12).
    expect(t.recentNotes?.map((n) => [n.at, n.ours, n.internal])).toEqual([
      ['2026-11-24T15:11:09Z', false, false],
      ['2026-11-24T14:02:13Z', true, true],
      ['2026-11-24T13:55:00Z', false, true],
      ['2026-11-24T13:20:40Z', false, false],
    ]);
    expect(t.recentNotes?.[0]?.author).toBe('30682855');
    expect(t.latestNote).toBe('Customer update\nStill not printing. We need the invoices out by 4pm!');
  });

  it('a marker typed by a contact is not ours: the note stays the latest note', () => {
    const spoof = {
      id: 30777700,
      createDateTime: '2026-11-24T16:00:00',
      createdByContactID: 30682855,
      title: 'Re: ticket',
      description: 'Server down again [esc:7f3a2c]',
      publish: 1,
    };
    const n = normalize({ ...full, notes: [...full.notes, spoof] }, instance, settings());
    expect(n.recentNotes?.[0]).toMatchObject({ ours: false });
    expect(n.latestNote).toBe('Re: ticket\nServer down again [esc:7f3a2c]');
  });

  it('keeps at most five recent notes', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({
      id: i,
      createDateTime: `2026-11-2${i}T10:00:00`,
      description: `note ${i}`,
      publish: 1,
    }));
    const n = normalize({ ...full, notes: many }, instance, settings());
    expect(n.recentNotes).toHaveLength(5);
    expect(n.latestNote).toBe('note 7');
  });

  it('derives VIP from vipCompanies, a classification or a company UDF', () => {
    expect(
      normalize(full, { ...instance, mapping: { ...instance.mapping, vipCompanies: [174] } }, settings()).company.vip,
    ).toBe(true);
    expect(normalize(full, instance, settings({ vipClassifications: [3] })).company.vip).toBe(true);
    expect(normalize(full, instance, settings({ vipClassifications: [4] })).company.vip).toBe(false);
    const udfVip = { ...lookups, company: { ...lookups.company, userDefinedFields: [{ name: 'VIP', value: 'Yes' }] } };
    expect(normalize({ ...full, lookups: udfVip }, instance, settings({ vipCompanyUdf: 'vip' })).company.vip).toBe(
      true,
    );
  });

  it('reads usersAffected from the impact label when mapped that way', () => {
    const inst = {
      ...instance,
      mapping: { ...instance.mapping, usersAffected: { fromImpact: { medium: 2, High: 25 } } },
    };
    expect(normalize(full, inst, settings()).usersAffected).toBe(2);
  });
});

describe('normalize on sparse and odd payloads', () => {
  it('survives nulls everywhere and no lookups', () => {
    const t = normalize({ ticket: item('ticket-nulls.json'), notes: [] }, instance, settings());
    expect(TicketSchema.safeParse(t).success).toBe(true);
    expect(t).toMatchObject({
      title: '',
      owner: null,
      tier: null,
      location: {},
      category: [],
      company: { id: '', vip: false },
    });
    expect(t.status).toEqual({ id: '', name: 'Unknown', category: 'open' });
    expect(t.priority.level).toBeNull();
    expect(t.contact).toBeUndefined();
    expect(t.psaSla).toBeUndefined();
    expect(t.usersAffected).toBeUndefined();
    expect(t.version).toBe('1970-01-01T00:00:00.000Z');
  });

  it('falls back to ids without picklists and treats an unmapped status as open', () => {
    const t = normalize({ ticket: { ...item('ticket-full.json'), status: 8 }, notes: [] }, instance, settings());
    expect(t.status).toEqual({ id: '8', name: 'Status 8', category: 'open' });
    expect(t.category).toEqual(['18', '204']);
    expect(t.location).toEqual({ queue: { id: '29682833' } });
  });

  it('maps a completed ticket: resolvedAt, offsets, 7-digit fractions, company 0, contact 0', () => {
    const t = normalize(
      { ticket: item('ticket-complete.json'), notes: [], lookups: { picklists: lookups.picklists } },
      instance,
      settings(),
    );
    expect(t.status.category).toBe('resolved');
    expect(t.resolvedAt).toBe('2026-11-21T10:29:59Z');
    expect(t.version).toBe('2026-11-21T10:30:00.123Z');
    expect(t.updatedAt).toBe('2026-11-21T10:30:00Z');
    expect(t.priority).toEqual({ id: '4', name: 'Critical', level: 1 });
    expect(t.tier).toBe('T2');
    expect(t.company.id).toBe('0');
    expect(t.contact).toBeUndefined();
    expect(t.category).toEqual(['99']);
  });

  it('reads PascalCase keys (2020 swagger) and numeric strings', () => {
    const t = normalize(
      { ticket: { ID: 5, Title: 'X', QueueID: '29682969', Status: '7', AssignedResourceID: 0 }, notes: [] },
      instance,
      settings(),
    );
    expect(t.ref.id).toBe('5');
    expect(t.tier).toBe('T2');
    expect(t.status.category).toBe('waiting_customer');
    expect(t.owner).toBeNull();
  });

  it('uses the configured customer publish value to tell internal notes', () => {
    const notes = [{ id: 1, createDateTime: '2026-11-24T10:00:00', description: 'a', publish: 4 }];
    const s = settings({}, { customer: { noteType: 1, publish: 4 }, internal: { noteType: 1, publish: 2 } });
    expect(normalize({ ticket: { id: 1 }, notes }, instance, s).recentNotes?.[0]?.internal).toBe(false);
    expect(normalize({ ticket: { id: 1 }, notes }, instance, settings()).recentNotes?.[0]?.internal).toBe(true);
  });
});

describe('Autotask datetimes', () => {
  it.each([
    ['2026-11-24T13:02:11', '2026-11-24T13:02:11Z'],
    ['2026-11-24T13:02:11.3570000', '2026-11-24T13:02:11Z'],
    ['2026-11-24T13:02:11Z', '2026-11-24T13:02:11Z'],
    ['2026-11-24T08:02:11-05:00', '2026-11-24T13:02:11Z'],
    ['2026-11-24 13:02', '2026-11-24T13:02:00Z'],
    ['2026-11-24', '2026-11-24T00:00:00Z'],
  ])('%s → %s', (raw, want) => {
    expect(instant(raw)).toBe(want);
  });

  it.each([['2026-02-31T10:00:00'], ['yesterday'], [''], ['2026-11-24T25:00:00'], [null], [42]])(
    'refuses %s',
    (raw) => {
      expect(parseInstant(raw)).toBeUndefined();
    },
  );

  it('keeps milliseconds in versions so string and time order agree', () => {
    expect(versionOf('2026-11-24T15:10:02.4')).toBe('2026-11-24T15:10:02.400Z');
    expect(versionOf('2026-11-24T15:10:02')! < versionOf('2026-11-24T15:10:02.001')!).toBe(true);
  });
});

describe('normalize: the customer site (calendarFor site entries, issue 17)', () => {
  it('fills ticket.site from `companyLocationID`, named by the cached CompanyLocations lookup', () => {
    const named = normalize(
      { ...full, lookups: { ...lookups, location: { id: 12, name: 'Sydney Office' } } },
      instance,
      settings(),
    );
    expect(named.site).toEqual({ id: '12', name: 'Sydney Office' });
    // Lookup unreadable (restricted security level): the id alone still matches a `site: [12]` entry.
    expect(normalize(full, instance, settings()).site).toEqual({ id: '12' });
    expect(
      normalize({ ...full, ticket: { ...item('ticket-full.json'), companyLocationID: null } }, instance, settings())
        .site,
    ).toBeUndefined();
  });
});
