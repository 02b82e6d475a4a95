import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { autotask } from '../../connectors/autotask/index.js';
import { connectwise } from '../../connectors/connectwise/index.js';
import { halo } from '../../connectors/halo/index.js';
import { MappingSchema } from '../../src/contract/index.js';
import { testContext } from '../helpers/connector-context.js';

// Issue 17, handoff pickup sees time entries: each connector's `readActivity` asks its PSA for the ticket's time
// entries after the move and answers who logged time when, in the terms of the ticket's owner id (PSA HTTP mocked by nock).

const mapping = MappingSchema.parse({ tiers: { T1: { queue: 1 } }, priorities: { P1: [1] } });
const SINCE = '2026-11-23T15:00:00.000Z';

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('ConnectWise readActivity', () => {
  const ctx = testContext({
    connector: connectwise,
    instance: { id: 'acme-cw', mapping },
    settings: {
      connection: {
        baseUrl: 'https://cw.example.test/v4_6_release/apis/3.0',
        companyId: 'acme',
        publicKey: 'pub',
        privateKey: 'priv',
        clientId: 'cid',
        apiMember: 'escalator-api',
      },
      webhook: { keyUrlHosts: ['https://cw.example.test'] },
    },
  });

  it('reads /time/entries charged to the service ticket after the move; author = member identifier', async () => {
    let conditions = '';
    nock('https://cw.example.test')
      .get('/v4_6_release/apis/3.0/time/entries')
      .query((q) => {
        conditions = String(q['conditions']);
        return true;
      })
      .reply(200, [
        {
          id: 9,
          member: { id: 160, identifier: 'erin.t' },
          chargeToId: 4001,
          chargeToType: 'ServiceTicket',
          timeStart: '2026-11-23T15:05:00Z',
          dateEntered: '2026-11-23T15:20:00Z',
        },
        {
          id: 8,
          member: { id: 161, identifier: 'bob' },
          timeStart: '2026-11-23T15:02:00Z',
          _info: { dateEntered: '2026-11-23T15:03:00Z' },
        },
        { id: 7, timeStart: '2026-11-23T15:01:00Z' },
      ]);
    const res = await connectwise.readActivity(ctx, '4001', SINCE);
    expect(res).toEqual({
      ok: true,
      value: [
        { at: '2026-11-23T15:20:00Z', author: 'erin.t', kind: 'time_entry' },
        { at: '2026-11-23T15:03:00Z', author: 'bob', kind: 'time_entry' },
      ],
    });
    expect(conditions).toBe('chargeToType="ServiceTicket" and chargeToId=4001 and dateEntered>[2026-11-23T15:00:00Z]');
  });

  it('a PSA error is an error result, never a throw', async () => {
    nock('https://cw.example.test')
      .get('/v4_6_release/apis/3.0/time/entries')
      .query(true)
      .reply(403, { code: 'Forbidden', message: 'no time access' });
    const res = await connectwise.readActivity(ctx, '4001', SINCE);
    expect(res.ok).toBe(false);
  });
});

describe('Autotask readActivity', () => {
  const ctx = testContext({
    connector: autotask,
    instance: { id: 'globex-at', mapping },
    settings: {
      connection: {
        username: 'api@globex.example',
        secret: 's',
        integrationCode: 'CODE',
        zoneUrl: 'https://webservices5.autotask.net/atservicesrest/v1.0',
      },
      webhook: { secretKey: 'k' },
    },
  });

  it('queries TimeEntries by ticketID and createDateTime; author = resourceID', async () => {
    let body: { filter?: unknown[] } = {};
    nock('https://webservices5.autotask.net')
      .post('/atservicesrest/v1.0/TimeEntries/query', (b: { filter?: unknown[] }) => {
        body = b;
        return true;
      })
      .reply(200, {
        items: [
          {
            id: 1,
            ticketID: 351181,
            resourceID: 29684003,
            createDateTime: '2026-11-23T15:20:00.000Z',
            startDateTime: '2026-11-23T15:10:00Z',
          },
          { id: 2, ticketID: 999, resourceID: 29684004, createDateTime: '2026-11-23T15:21:00Z' },
        ],
        pageDetails: { count: 2, requestCount: 100, nextPageUrl: null, prevPageUrl: null },
      });
    const res = await autotask.readActivity(ctx, '351181', SINCE);
    expect(res).toEqual({
      ok: true,
      value: [{ at: '2026-11-23T15:20:00.000Z', author: '29684003', kind: 'time_entry' }],
    });
    expect(body.filter).toEqual([
      { op: 'eq', field: 'ticketID', value: 351181 },
      { op: 'gt', field: 'createDateTime', value: SINCE },
    ]);
  });
});

describe('Halo readActivity', () => {
  const ctx = testContext({
    connector: halo,
    instance: { id: 'initech-halo', mapping },
    settings: {
      connection: {
        tenantUrl: 'https://initech.halo.example.test',
        authUrl: 'https://initech.halo.example.test/auth',
        clientId: 'c',
        clientSecret: 's',
      },
      webhook: { basicAuth: { username: 'u', password: 'hook-pass-123' } },
    },
  });

  it("reads the ticket's time-entry actions (timetaken > 0) after the move; author = the agent id", async () => {
    nock('https://initech.halo.example.test').post('/auth/token').reply(200, { access_token: 't', expires_in: 3600 });
    let query: Record<string, unknown> = {};
    nock('https://initech.halo.example.test')
      .get('/api/Actions')
      .query((q) => {
        query = q;
        return true;
      })
      .reply(200, {
        record_count: 3,
        actions: [
          { id: 5, ticket_id: 4242, who_agentid: 12, datetime: '2026-11-23T15:20:00', timetaken: 0.25 },
          { id: 4, ticket_id: 4242, who_agentid: 12, datetime: '2026-11-23T15:25:00', timetaken: 0 },
          { id: 3, ticket_id: 4242, actionby_agent_id: 14, datetime: '2026-11-23T14:50:00', timetaken: 1 },
        ],
      });
    const res = await halo.readActivity(ctx, '4242', SINCE);
    expect(res).toEqual({ ok: true, value: [{ at: '2026-11-23T15:20:00Z', author: '12', kind: 'time_entry' }] });
    expect(query).toMatchObject({ ticket_id: '4242', timeentriesonly: 'true' });
  });
});
