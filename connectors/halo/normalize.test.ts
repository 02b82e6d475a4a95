import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { MappingSchema, TicketSchema } from '../../src/contract/index.js';
import type { FetchedTicket, InstanceInfo } from '../../src/contract/index.js';

import { haloInstant } from './mapping.js';
import { normalize } from './normalize.js';
import { parseList, settingsSchema, ticketSchema } from './schemas.js';

const settings = settingsSchema.parse({
  connection: { tenantUrl: 'https://initech.halopsa.com', clientId: 'c', clientSecret: 's' },
  webhook: { basicAuth: { username: 'u', password: 'p' } },
});

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));

/** The example config's initech-halo mapping. */
const instance: InstanceInfo = {
  id: 'initech-halo',
  kind: 'halo',
  policy: 'standard',
  mode: 'enforce',
  rateLimit: { requests: 250, per: 300_000 },
  mapping: MappingSchema.parse({
    tiers: {
      T1: { team: '1st Line Support' },
      T2: [{ team: '2nd Line Support' }, { team: 'Network' }],
      T3: [{ team: '3rd Line Support' }, { team: 'Security' }],
    },
    priorities: { P1: [1], P2: [2], P3: [3], P4: [4] },
    statuses: { waiting_customer: ['Waiting on Customer'], resolved: ['Resolved'], closed: ['Closed'] },
    vipCompanies: [99],
    usersAffected: { customField: 'CFusersAffected' },
  }),
};

const lookups = {
  ownAgentId: '38',
  statuses: fixture('statuses.json') as unknown[],
  teams: (fixture('teams.json') as { teams: unknown[] }).teams,
  priorities: fixture('priorities.json') as unknown[],
};
const actions = (fixture('actions.json') as { actions: unknown[] }).actions;

function norm(ticket: unknown, extra: Partial<FetchedTicket> = {}, inst: InstanceInfo = instance) {
  return normalize({ ticket, notes: [], lookups, ...extra }, inst, settings);
}

describe('normalize on the full ticket fixture', () => {
  const t = norm(fixture('ticket-full.json'), { notes: actions });

  it('produces a valid normalized Ticket', () => {
    expect(TicketSchema.safeParse(t).success).toBe(true);
  });

  it('maps identity, text, team → tier, owner, company and contact', () => {
    expect(t.ref).toEqual({ instance: 'initech-halo', psa: 'halo', id: '4242' });
    expect(t.number).toBe('4242');
    expect(t.title).toBe('Outlook keeps asking for password on all shared mailboxes');
    expect(t.description).toContain('finance team');
    expect(t.location).toEqual({ team: { id: '1', name: '1st Line Support' } });
    expect(t.tier).toBe('T1');
    expect(t.owner).toEqual({ id: '12', name: 'Erin Tanaka' });
    expect(t.company).toEqual({ id: '17', name: 'Initech Ltd', vip: false });
    expect(t.contact).toEqual({ id: '208', name: 'Peter Gibbons', email: 'peter.gibbons@initech.example' });
    expect(t.environment).toBe('Initech HQ - Austin');
    expect(t.affectedSystems).toBe('INI-LT-0042');
  });

  it('maps status, priority (P2 from priority_id 2), category path, impact and urgency', () => {
    expect(t.status).toEqual({ id: '2', name: 'In Progress', category: 'open' });
    expect(t.priority).toEqual({ id: '2', name: 'High', level: 2 });
    expect(t.category).toEqual(['Software', 'Microsoft 365', 'Outlook']);
    expect(t.usersAffected).toBe(6);
    expect(t.impact).toBe('2');
    expect(t.urgency).toBe('2');
  });

  it('reads zone-less datetimes as UTC; 1900 placeholders are absent; version = last_update', () => {
    expect(t.createdAt).toBe('2026-11-24T13:05:00Z');
    expect(t.firstRespondedAt).toBe('2026-11-24T13:20:44Z');
    expect(t.resolvedAt).toBeUndefined();
    expect(t.psaSla).toEqual({ respondBy: '2026-11-24T14:05:00Z', resolveBy: '2026-11-24T21:05:00Z' });
    expect(t.version).toBe('2026-11-24T15:41:10.123Z');
    expect(t.updatedAt).toBe('2026-11-24T15:41:10.123Z');
  });

  it('lists recent notes newest first (≤ 5), flags ours by marker AND API agent, latestNote skips ours', () => {
    expect(t.recentNotes).toHaveLength(5);
    expect(t.recentNotes!.map((n) => n.at)).toEqual([
      '2026-11-24T15:41:09.500Z',
      '2026-11-24T15:30:00Z',
      '2026-11-24T15:10:00Z',
      '2026-11-24T14:02:00Z',
      '2026-11-24T13:20:44Z',
    ]);
    // 15:30 is our API agent without a marker: not one of our notes (issue 12), so a human-visible note.
    expect(t.recentNotes!.map((n) => n.ours)).toEqual([false, false, true, false, false]);
    expect(t.recentNotes![3]).toMatchObject({
      internal: false,
      text: 'Hi Peter,\nWe are still looking into this & will update you shortly.',
    });
    expect(t.latestNote).toBe('Checked Entra sign-in logs: legacy auth blocked by the new conditional access policy.');
  });

  it('skips our notes for latestNote even when they are the newest', () => {
    const ours = {
      id: 1,
      ticket_id: 4242,
      datetime: '2026-11-24T16:00:00',
      note: 'Escalated [esc:abcdef12]',
      hiddenfromuser: true,
      who_agentid: 38,
    };
    const x = norm(fixture('ticket-full.json'), { notes: [...actions, ours] });
    expect(x.recentNotes![0]).toMatchObject({ ours: true, text: 'Escalated [esc:abcdef12]' });
    expect(x.latestNote).toBe('Checked Entra sign-in logs: legacy auth blocked by the new conditional access policy.');
  });

  it('a marker typed by an end user (not our API agent) is not ours: it stays the latest note', () => {
    const spoof = {
      id: 3,
      ticket_id: 4242,
      datetime: '2026-11-24T16:02:00',
      note: 'Server down again [esc:000000]',
      who_agentid: 0,
      who: 'Peter Gibbons',
    };
    const x = norm(fixture('ticket-full.json'), { notes: [...actions, spoof] });
    expect(x.recentNotes![0]).toMatchObject({ ours: false, text: 'Server down again [esc:000000]' });
    expect(x.latestNote).toBe('Server down again [esc:000000]');
  });
});

describe('normalize on sparse and odd payloads', () => {
  it('small payload: upper-case team still derives T1, agent 1 (Unassigned) → owner null, names from lookups', () => {
    const t = norm(fixture('ticket-small.json'));
    expect(t.tier).toBe('T1');
    expect(t.location.team).toEqual({ id: '1', name: '1ST LINE SUPPORT' });
    expect(t.owner).toBeNull();
    expect(t.status).toEqual({ id: '1', name: 'New', category: 'open' });
    expect(t.priority).toEqual({ id: '4', name: 'Low', level: 4 });
    expect(t.createdAt).toBe('2026-11-24T09:00:00Z');
    expect(t.version).toBe('2026-11-24T09:00:00Z');
    expect(TicketSchema.safeParse(t).success).toBe(true);
  });

  it('agent 1 is the system Unassigned account whatever its display name (renamed / localized tenants)', () => {
    for (const agent_name of [undefined, 'Unassigned', 'Nicht zugewiesen', 'Queue']) {
      const t = norm({
        id: 5,
        status_id: 1,
        team: '1st Line Support',
        agent_id: 1,
        ...(agent_name ? { agent_name } : {}),
      });
      expect(t.owner).toBeNull();
    }
    // a real agent keeps its owner, with or without a name
    expect(norm({ id: 5, status_id: 1, agent_id: 2 }).owner).toEqual({ id: '2' });
    expect(norm({ id: 5, status_id: 1, agent_id: '17', agent_name: 'Erin' }).owner).toEqual({ id: '17', name: 'Erin' });
  });

  it('nulls everywhere never throw and give a schema-valid ticket with tier null', () => {
    const t = norm(fixture('ticket-nulls.json'));
    expect(TicketSchema.safeParse(t).success).toBe(true);
    expect(t).toMatchObject({ title: '', tier: null, owner: null, category: [], location: {} });
    expect(t.status.category).toBe('open');
    expect(t.priority.level).toBeNull();
    expect(t.contact).toBeUndefined();
    expect(t.usersAffected).toBeUndefined();
  });

  it('garbage input (not an object, no lookups, empty mapping) still normalizes', () => {
    const bare = { ...instance, mapping: MappingSchema.parse({}) };
    for (const junk of [null, 42, 'x', [], { id: 'abc', summary: 7, team: ['x'], customfields: 'no' }]) {
      const t = normalize({ ticket: junk, notes: [null, 1, { note: 5 }] }, bare, settings);
      expect(TicketSchema.safeParse(t).success).toBe(true);
    }
  });

  it('numbers that travel as strings are read as numbers', () => {
    const t = norm({
      id: '77',
      status_id: '9',
      priority_id: '1',
      agent_id: '15',
      agent_name: 'Bob Net',
      team: 'network',
      client_id: '99',
    });
    expect(t.ref.id).toBe('77');
    expect(t.status).toEqual({ id: '9', name: 'Closed', category: 'closed' });
    expect(t.priority.level).toBe(1);
    expect(t.owner).toEqual({ id: '15', name: 'Bob Net' });
    expect(t.tier).toBe('T2');
    expect(t.company.vip).toBe(true); // vipCompanies: [99]
  });

  it('maps statuses by name case-insensitively and by id; an unmapped status reads as open', () => {
    const byName = {
      ...instance,
      mapping: { ...instance.mapping, statuses: { waiting_customer: ['waiting ON customer'], resolved: [8] } },
    };
    expect(norm({ id: 1, status_id: 4 }, {}, byName).status.category).toBe('waiting_customer');
    expect(norm({ id: 1, status_id: 8, dateclosed: '2026-11-24T18:00:00' }, {}, byName)).toMatchObject({
      status: { category: 'resolved' },
      resolvedAt: '2026-11-24T18:00:00Z',
    });
    expect(norm({ id: 1, status_id: 28 }, {}, byName).status).toEqual({ id: '28', name: 'On Hold', category: 'open' });
  });

  it('maps priorities by name within the ticket SLA', () => {
    const byName = {
      ...instance,
      mapping: { ...instance.mapping, priorities: { P1: ['p1 - gold', 'Critical'], P3: ['Medium'] } },
    };
    expect(norm({ id: 1, priority_id: 1, sla_id: 2 }, {}, byName).priority).toEqual({
      id: '1',
      name: 'P1 - Gold',
      level: 1,
    });
    expect(norm({ id: 1, priority_id: 3, sla_id: 1 }, {}, byName).priority).toEqual({
      id: '3',
      name: 'Medium',
      level: 3,
    });
    expect(norm({ id: 1, priority_id: 2, sla_id: 1 }, {}, byName).priority.level).toBeNull();
  });

  it('honours is_vip, usersAffected fromImpact and the SLA state', () => {
    const inst = { ...instance, mapping: { ...instance.mapping, usersAffected: { fromImpact: { '1': 25, '2': 2 } } } };
    const t = norm({ id: 1, is_vip: true, impact: 1, slastate: 'O', fixbydate: '2026-11-25T10:00:00+01:00' }, {}, inst);
    expect(t.company.vip).toBe(true);
    expect(t.usersAffected).toBe(25);
    expect(t.psaSla).toEqual({ resolveBy: '2026-11-25T09:00:00Z', met: false });
  });

  it('normalizes every ticket of wrapped and bare list answers', () => {
    const wrapped = parseList(fixture('tickets-list-wrapped.json'), 'tickets', ticketSchema)!;
    const bare = parseList(fixture('tickets-list-bare.json'), 'tickets', ticketSchema)!;
    expect(wrapped.recordCount).toBe(3);
    expect(bare.recordCount).toBeUndefined();
    const tiers = [...wrapped.items, ...bare.items].map((x) => norm(x).tier);
    expect(tiers).toEqual(['T1', 'T1', 'T2', 'T1', 'T1']);
    expect(norm(bare.items[1]).owner).toBeNull(); // agent_id 0
  });
});

describe('parseList record_count', () => {
  it.each([null, '', true, 'n/a', -1, 1.5])('%j is no count (it would end a paging loop early)', (rc) => {
    expect(parseList({ record_count: rc, tickets: [{ id: 1 }] }, 'tickets', ticketSchema)!.recordCount).toBeUndefined();
  });
  it.each([
    [0, 0],
    [250, 250],
    ['250', 250],
  ])('%j is a count', (rc, n) => {
    expect(parseList({ record_count: rc, tickets: [] }, 'tickets', ticketSchema)!.recordCount).toBe(n);
  });
});

describe('haloInstant', () => {
  it.each([
    ['2026-09-01T09:15:00', '2026-09-01T09:15:00Z'],
    ['2026-09-25T06:41:08.7895915Z', '2026-09-25T06:41:08.789Z'],
    ['2026-09-01 09:15:00', '2026-09-01T09:15:00Z'],
    ['2026-09-01T11:15:00+02:00', '2026-09-01T09:15:00Z'],
    ['2026-09-01', '2026-09-01T00:00:00Z'],
  ])('%s → %s', (input, out) => expect(haloInstant(input)).toBe(out));

  it.each([['1900-01-01T00:00:00'], ['not a date'], [''], [null], [42], ['2026-13-45T99:00:00']])(
    '%s → undefined',
    (input) => {
      expect(haloInstant(input)).toBeUndefined();
    },
  );
});

describe('normalizeHalo: the customer site (calendarFor site entries, issue 17)', () => {
  it('fills ticket.site from `site_id` / `site_name`, absent when both are null', () => {
    expect(norm(fixture('ticket-full.json')).site).toEqual({ id: '31', name: 'Initech HQ - Austin' });
    expect(norm(fixture('ticket-nulls.json')).site).toBeUndefined();
    expect(norm({ ...(fixture('ticket-full.json') as object), site_name: null }).site).toEqual({ id: '31' });
  });
});
