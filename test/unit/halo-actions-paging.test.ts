import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { halo } from '../../connectors/halo/index.js';
import { MappingSchema } from '../../src/contract/index.js';
import type { FetchedTicket, WritePlan } from '../../src/contract/index.js';
import { testContext } from '../helpers/connector-context.js';

// Halo `/api/Actions` read in pages (docs/psa/halo.md §5.1): the marker scan that guards "no note
// is ever written twice", the fetched notes, time entries and history all see every action of a long ticket, and a
// ticket too long to read within the page cap fails loudly instead of being scanned in part. PSA HTTP mocked by nock.

const ORIGIN = 'https://initech.halo.example.test';
const API_AGENT = 38;
const MARKER = '[esc:5eed00aa]';
const mapping = MappingSchema.parse({ tiers: { T1: { team: 'Service Desk' } }, priorities: { P1: [1] } });

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

const context = () =>
  testContext({
    connector: halo,
    instance: { id: 'initech-halo', mapping },
    settings: {
      connection: { tenantUrl: ORIGIN, authUrl: `${ORIGIN}/auth`, clientId: 'c', clientSecret: 's' },
      webhook: { basicAuth: { username: 'u', password: 'hook-pass-123' } },
    },
  });

type Action = Record<string, unknown>;
type Query = Record<string, string>;

const worklog = (id: number): Action => ({
  id,
  ticket_id: 4242,
  who_agentid: 12,
  note: `worklog ${id}`,
  datetime: '2026-11-23T14:00:00',
});
const ours = (id: number): Action => ({
  id,
  ticket_id: 4242,
  who_agentid: API_AGENT,
  note: `Escalated to T2.\n\n${MARKER}`,
  hiddenfromuser: true,
  datetime: '2026-11-23T15:00:00',
});

/** 250 actions, ours at position 150: page 2 of 3 at 100 a page. */
const longTicket = (): Action[] => Array.from({ length: 250 }, (_, i) => (i === 149 ? ours(i + 1) : worklog(i + 1)));

/**
 * Halo paging as the open-source clients read it (docs/psa/halo.md §5.1): `pageinate=true&page_size=N&page_no=P` answers
 * `{page_no, page_size, record_count, actions}`. An unpaged read of a long ticket answers only a first page here (the
 * hypothesis the README limit was about: what real Halo does is unverified).
 */
const pagedHalo = (all: Action[]) => (q: Query) => {
  if (q.pageinate !== 'true') return { record_count: all.length, actions: all.slice(0, 100) };
  const size = Math.min(100, Number(q.page_size ?? 50));
  const page = Number(q.page_no ?? 1);
  return {
    page_no: page,
    page_size: size,
    record_count: all.length,
    actions: all.slice((page - 1) * size, page * size),
  };
};

/** `GET /api/Tickets/4242` answered (an open P2 in the Service Desk team), then the connector's `fetchTicket`. */
function fetchTicket4242() {
  nock(ORIGIN)
    .get('/api/Tickets/4242')
    .query(true)
    .reply(200, { id: 4242, team: 'Service Desk', status_name: 'Open', priority_name: 'P2' });
  return halo.fetchTicket(context(), '4242');
}

/** Token, `/Agent/me`, and `GET /api/Actions` answered by `answer`; returns the recorded action queries and note POSTs. */
function mockHalo(answer: (q: Query) => unknown, opts: { postStatus?: number } = {}) {
  const gets: Query[] = [];
  const posts: unknown[] = [];
  nock(ORIGIN).post('/auth/token').reply(200, { access_token: 't', expires_in: 3600 }).persist();
  nock(ORIGIN).get('/api/Agent/me').reply(200, { id: API_AGENT, name: 'psa-escalator API' }).persist();
  nock(ORIGIN)
    .get('/api/Actions')
    .query(true)
    .reply((uri) => {
      const q = Object.fromEntries(new URL(uri, ORIGIN).searchParams);
      gets.push(q);
      return [200, answer(q)];
    })
    .persist();
  nock(ORIGIN)
    .post('/api/Actions')
    .reply((_uri, body) => {
      posts.push(body);
      return opts.postStatus ? [opts.postStatus, { Message: 'gateway timeout' }] : [200, { id: 9999, ticket_id: 4242 }];
    })
    .persist();
  return { gets, posts };
}

const fetched = (): FetchedTicket => ({
  ticket: { id: 4242, team: 'Service Desk', agent_id: 12, status_id: 2, priority_id: 2 },
  notes: [],
  lookups: {},
});
const notePlan = (verify: boolean): WritePlan =>
  ({
    ticketId: '4242',
    fetched: fetched(),
    verify,
    notes: [{ actionId: 'a-note', marker: MARKER, visibility: 'internal', text: 'Escalated to T2.' }],
  }) as unknown as WritePlan;

describe('Halo marker scan pages through every action', () => {
  it('our note on page 2 of 3 → the retry finds its marker and never posts it again', async () => {
    const { gets, posts } = mockHalo(pagedHalo(longTicket()));
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped', remoteId: '150' }]);
    expect(posts, 'a second note was posted').toEqual([]);
    expect(gets.map((q) => [q.pageinate, q.page_size, q.page_no, q.ticket_id])).toEqual([
      ['true', '100', '1', '4242'],
      ['true', '100', '2', '4242'],
    ]);
  });

  it('a note POST answered 504 (committed anyway, ours on page 2) → applied with the found note, one POST', async () => {
    const { posts } = mockHalo(pagedHalo(longTicket()), { postStatus: 504 });
    const results = await halo.applyActions(context(), notePlan(false));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'applied', remoteId: '150' }]);
    expect(posts).toHaveLength(1);
  });

  it('our note absent from all 3 pages → posted once (the scan read 250 actions, not a first page)', async () => {
    const all = longTicket().map((a) => (a.id === 150 ? worklog(150) : a));
    const { gets, posts } = mockHalo(pagedHalo(all));
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'applied', remoteId: '9999' }]);
    expect(posts).toHaveLength(1);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2', '3']);
  });

  it('fetchTicket reads every page: the newest note (page 3) is the latest note', async () => {
    const all = longTicket();
    all.push({ ...worklog(251), note: 'customer called back', datetime: '2026-11-23T16:00:00' });
    mockHalo(pagedHalo(all));
    const res = await fetchTicket4242();
    if (!res.ok) throw res.error;
    expect(res.value.notes).toHaveLength(251);
  });
});

describe('a ticket longer than the page cap fails loudly', () => {
  it('50 full pages and more to come → invalid_response naming the cap; no note is posted', async () => {
    const endless = (q: Query) => {
      const page = Number(q.page_no);
      return {
        page_no: page,
        page_size: 100,
        record_count: 1_000_000,
        actions: Array.from({ length: 100 }, (_, i) => worklog((page - 1) * 100 + i + 1)),
      };
    };
    const { gets, posts } = mockHalo(endless);
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'failed', error: { code: 'invalid_response' } }]);
    expect(results[0]!.error!.message).toMatch(/more than 5000 actions/);
    expect(posts, 'a note was posted after a partial scan').toEqual([]);
    // 50 pages, then page 51: not empty, so there are more than 5,000.
    expect(gets).toHaveLength(51);

    const res = await fetchTicket4242();
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('invalid_response');
  });
});

describe('a ticket of exactly the page cap', () => {
  it('5,000 actions (50 full pages, record_count 5000) → read in full: page 51 answers empty, no error', async () => {
    const all = Array.from({ length: 5_000 }, (_, i) => worklog(i + 1));
    const { gets } = mockHalo(pagedHalo(all));
    const res = await fetchTicket4242();
    if (!res.ok) throw res.error;
    expect(res.value.notes).toHaveLength(5_000);
    expect(gets).toHaveLength(51);
  });
});

describe('a Halo that ignores paging', () => {
  it('everything on every page with record_count → one request, the marker found', async () => {
    const all = longTicket();
    const { gets, posts } = mockHalo(() => ({ record_count: all.length, actions: all }));
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped', remoteId: '150' }]);
    expect(posts).toEqual([]);
    expect(gets).toHaveLength(1);
  });

  it('a bare array longer than a page → one request (page_size was ignored)', async () => {
    const all = longTicket();
    const { gets } = mockHalo(() => all);
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ status: 'skipped', remoteId: '150' }]);
    expect(gets).toHaveLength(1);
  });

  it('a bare array of exactly one page, repeated for page 2 → stops after page 2, no duplicates', async () => {
    const all = Array.from({ length: 100 }, (_, i) => (i === 99 ? ours(100) : worklog(i + 1)));
    const { gets } = mockHalo(() => all);
    const res = await fetchTicket4242();
    if (!res.ok) throw res.error;
    expect(res.value.notes).toHaveLength(100);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2']);
  });

  it('the same first page again while record_count says more → fails loudly (truncated), no note posted', async () => {
    const all = longTicket();
    const { posts } = mockHalo(() => ({ record_count: all.length, actions: all.slice(0, 100) }));
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ status: 'failed', error: { code: 'invalid_response' } }]);
    expect(results[0]!.error!.message).toMatch(/100 of 250/);
    expect(posts).toEqual([]);
  });

  it('a full page with one row the schema refuses, no record_count → still reads page 2 (ours there), posts nothing', async () => {
    // 100 raw rows on page 1, one of them with an id that is not a number: the page is full, not short.
    const all = longTicket().map((a) => (a.id === 7 ? { ...a, id: 'not-a-number' } : a));
    const { gets, posts } = mockHalo((q) => {
      const page = Number(q.page_no ?? 1);
      return all.slice((page - 1) * 100, page * 100);
    });
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped', remoteId: '150' }]);
    expect(posts, 'a second note was posted').toEqual([]);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2']);
  });

  it('a server ignoring paging with an id-less row on its one full page → the repeat is seen on page 2', async () => {
    const page = Array.from({ length: 100 }, (_, i) => (i === 0 ? { ...worklog(1), id: undefined } : worklog(i + 1)));
    const { gets, posts } = mockHalo(() => page);
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'applied' }]);
    expect(posts).toHaveLength(1);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2']);
  });

  it('a server whose pages are smaller than asked (50) → keeps paging until record_count', async () => {
    const all = longTicket();
    const { gets, posts } = mockHalo((q) => {
      const page = Number(q.page_no);
      return { record_count: all.length, actions: all.slice((page - 1) * 50, page * 50) };
    });
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ status: 'skipped', remoteId: '150' }]);
    expect(posts).toEqual([]);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2', '3']);
  });
});

describe('a record_count that undercounts never ends the marker scan early', () => {
  // record_count is what the server says, not what it sent: a full page may be followed by more whatever it says
  // (the scan stopping at page 1 would miss our note on page 2 and post it again).
  it.each([
    ['the rows of this page (100)', (_all: Action[], page: Action[]) => page.length],
    ['null', () => null],
    ['0', () => 0],
    ['a string that is not a number', () => 'n/a'],
  ])('record_count %s on every page → page 2 read, our note found, nothing posted', async (_name, count) => {
    const all = longTicket();
    const { gets, posts } = mockHalo((q) => {
      const page = Number(q.page_no);
      const actions = all.slice((page - 1) * 100, page * 100);
      return { page_no: page, page_size: 100, record_count: count(all, actions), actions };
    });
    const results = await halo.applyActions(context(), notePlan(true));
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped', remoteId: '150' }]);
    expect(posts, 'a second note was posted').toEqual([]);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2']);
  });

  it('fetchTicket with an undercounting record_count still reads every action (3 pages, the last one short)', async () => {
    const all = longTicket();
    const { gets } = mockHalo((q) => {
      const page = Number(q.page_no);
      const actions = all.slice((page - 1) * 100, page * 100);
      return { page_no: page, page_size: 100, record_count: actions.length, actions };
    });
    const res = await fetchTicket4242();
    if (!res.ok) throw res.error;
    expect(res.value.notes).toHaveLength(250);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2', '3']);
  });

  it('exactly 200 actions with a correct record_count → one more request, answered empty, ends the read', async () => {
    const all = Array.from({ length: 200 }, (_, i) => worklog(i + 1));
    const { gets } = mockHalo(pagedHalo(all));
    const res = await fetchTicket4242();
    if (!res.ok) throw res.error;
    expect(res.value.notes).toHaveLength(200);
    expect(gets.map((q) => q.page_no)).toEqual(['1', '2', '3']);
  });
});

describe('readActivity pages too', () => {
  it('a time entry on page 2 is read', async () => {
    const all: Action[] = Array.from({ length: 150 }, (_, i) => worklog(i + 1));
    all[120] = { ...worklog(121), timetaken: 0.5, datetime: '2026-11-23T15:30:00' };
    const { gets } = mockHalo(pagedHalo(all));
    const res = await halo.readActivity(context(), '4242', '2026-11-23T15:00:00.000Z');
    expect(res).toEqual({ ok: true, value: [{ at: '2026-11-23T15:30:00Z', author: '12', kind: 'time_entry' }] });
    expect(gets.map((q) => [q.timeentriesonly, q.page_no])).toEqual([
      ['true', '1'],
      ['true', '2'],
    ]);
  });
});

describe('history replay pages too', () => {
  it('a team change recorded on page 2 is replayed (the timeline starts in the team it was logged to)', async () => {
    const ticket = {
      id: 4242,
      team: '2nd Line Support',
      agent_id: 12,
      status_id: 2,
      status_name: 'In Progress',
      priority_id: 3,
      priority_name: 'Medium',
      dateoccurred: '2026-11-23T13:00:00',
      last_update: '2026-11-23T15:00:00',
    };
    const all: Action[] = [
      {
        id: 1,
        ticket_id: 4242,
        outcome: 'Logged',
        datetime: '2026-11-23T13:00:00',
        new_status: 1,
        new_agent: 20,
        new_team: '1st Line Support',
        new_priority: 3,
      },
      ...Array.from({ length: 148 }, (_, i) => ({
        id: i + 2,
        ticket_id: 4242,
        outcome: 'SLA timer',
        datetime: '2026-11-23T13:30:00',
      })),
      {
        id: 150,
        ticket_id: 4242,
        outcome: 'Re-Assign',
        datetime: '2026-11-23T15:00:00',
        new_team: '2nd Line Support',
        new_agent: 12,
      },
    ];
    const { gets } = mockHalo(pagedHalo(all));
    nock(ORIGIN)
      .get('/api/Tickets')
      .query(true)
      .reply(200, { page_no: 1, page_size: 100, record_count: 1, tickets: [ticket] });
    nock(ORIGIN).get('/api/Tickets/4242').query(true).reply(200, ticket);
    nock(ORIGIN)
      .get('/api/Team')
      .query(true)
      .reply(200, [
        { id: 1, name: '1st Line Support' },
        { id: 2, name: '2nd Line Support' },
      ]);
    const page = await halo.readHistory!(context(), { from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z' });
    if (!page.ok) throw page.error;
    const snaps = page.value.tickets[0]!.snapshots;
    expect(snaps.map((s) => [s.at, (s.fetched.ticket as Action).team])).toEqual([
      ['2026-11-23T13:00:00.000Z', '1st Line Support'],
      ['2026-11-23T15:00:00.000Z', '2nd Line Support'],
    ]);
    // loadTicket (excludesys) and the history read (system actions included) each read both pages.
    expect(gets.filter((q) => q.excludesys === undefined).map((q) => q.page_no)).toEqual(['1', '2']);
  });
});
