import { readFileSync } from 'node:fs';

import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ConnectorError } from '../../src/contract/index.js';
import type { ConnectorContext, InstanceInfo, WritePlan } from '../../src/contract/index.js';
import { testContext } from '../../test/helpers/connector-context.js';

import { applyActions } from './actions.js';
import { classifyAutotask, restBase } from './client.js';
import { normalize } from './normalize.js';
import type { AutotaskSettings } from './schemas.js';
import {
  checkVendorBody,
  checkVendorSchema,
  endpointExists,
  vendorModel,
} from '../../test/helpers/vendor-schemas/autotask.js';

import { autotask } from './index.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
const item = (name: string) => (fixture(name) as { item: unknown }).item;

describe('fixtures conform to the vendor models', () => {
  it.each([['ticket-full.json'], ['ticket-nulls.json'], ['ticket-complete.json']])('%s is a TicketModel', (name) => {
    expect(checkVendorSchema(vendorModel('TicketModel'), item(name))).toEqual([]);
  });

  it('notes.json items are TicketNoteModels', () => {
    for (const n of (fixture('notes.json') as { items: unknown[] }).items)
      expect(checkVendorSchema(vendorModel('TicketNoteModel'), n)).toEqual([]);
  });

  it('ticket-webhook.json is a TicketWebhookModel', () => {
    expect(checkVendorSchema(vendorModel('TicketWebhookModel'), item('ticket-webhook.json'))).toEqual([]);
  });

  it('the checker really rejects what Autotask would not recognise', () => {
    expect(checkVendorSchema(vendorModel('TicketModel'), { id: 1, queue: 5 })).toEqual([
      '$.queue: unknown property of TicketModel',
    ]);
    expect(checkVendorSchema(vendorModel('TicketModel'), { id: 1, queueID: '5' })).toEqual([
      '$.queueID: expected integer, got "5"',
    ]);
    expect(checkVendorSchema(vendorModel('TicketModel'), { ID: 1, QueueID: 5 })).toEqual([]);
    expect(checkVendorSchema(vendorModel('TicketModel'), { createDate: 'yesterday' })).toHaveLength(1);
    expect(checkVendorBody('PATCH', '/V1.0/Tickets', { queueID: 5 })).toEqual(['$: the body must carry id']);
    expect(checkVendorBody('POST', '/V1.0/TicketNotes', { title: 'x' })).toEqual([
      'POST /V1.0/TicketNotes: endpoint not in the vendor schema',
    ]);
    expect(
      checkVendorBody('POST', '/V1.0/Tickets/query', {
        maxRecords: 501,
        filter: [{ op: 'like', field: 'id', value: 1 }],
      }),
    ).toHaveLength(2);
    expect(endpointExists('POST', '/V1.0/Tickets/12/Notes')).toBe(true);
    expect(endpointExists('PATCH', '/V1.0/TicketWebhooks/12/Fields/3')).toBe(false);
  });
});

interface Sent {
  method: string;
  url: string;
  json: unknown;
}

const ORIGIN = 'https://webservices15.autotask.net';

/** The real outbound client against Autotask mocked with nock: answers like Autotask and records what was sent. */
function capturingContext(ticket: Record<string, unknown>): { ctx: ConnectorContext<AutotaskSettings>; sent: Sent[] } {
  const sent: Sent[] = [];
  const current = { ...ticket };
  const record = (method: string) =>
    function (this: { req: { path: string } }, _uri: string, body: unknown) {
      sent.push({ method, url: `${ORIGIN}${this.req.path}`, json: body });
      if (method === 'PATCH' && typeof body === 'object' && body !== null) Object.assign(current, body);
      return [200, method === 'GET' ? { item: current } : { itemId: 1 }] as [number, unknown];
    };
  nock(ORIGIN)
    .persist()
    .get(/.*/)
    .reply(record('GET'))
    .patch(/.*/)
    .reply(record('PATCH'))
    .post(/.*/)
    .reply(record('POST'));
  const ctx = testContext({
    connector: autotask,
    instance: {
      id: 'i',
      mapping: { tiers: {}, groups: {}, priorities: {}, statuses: {}, members: {}, vipCompanies: [] },
    },
    settings: {
      connection: { username: 'u@x', secret: 's', integrationCode: 'c', zoneUrl: `${ORIGIN}/ATServicesRest/` },
      webhook: { secretKey: 'k' },
    },
    now: () => new Date('2026-11-24T16:00:00Z'),
  });
  return { ctx, sent };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('outbound bodies conform to the vendor request schemas', () => {
  const ticket = item('ticket-full.json') as Record<string, unknown>;
  const instance = {
    id: 'i',
    mapping: { tiers: {}, priorities: {}, statuses: {}, vipCompanies: [] },
  } as unknown as InstanceInfo;

  it('PATCH /Tickets and POST /Tickets/{id}/Notes', async () => {
    const { ctx, sent } = capturingContext(ticket);
    const fetched = { ticket, notes: [] };
    const plan: WritePlan = {
      ticketId: '351181',
      current: normalize(fetched, instance, ctx.settings),
      fetched,
      reassign: {
        actionId: 'r',
        location: { queueID: 29682969 },
        tier: 'T2',
        owner: { resourceID: 29684003, roleID: 29683002 },
      },
      priority: { actionId: 'p', id: 4, name: 'P1' },
      notes: [
        {
          actionId: 'n1',
          marker: '[esc:abcdef]',
          visibility: 'internal',
          text: 'Handoff — café & <b>bold</b>\n'.repeat(3000),
        },
        { actionId: 'n2', marker: '[esc:123456]', visibility: 'customer', text: 'We have escalated your request.' },
      ],
      verify: false,
    };
    const results = await applyActions(ctx, plan);
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    const writes = sent.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PATCH https://webservices15.autotask.net/ATServicesRest/V1.0/Tickets',
      'POST https://webservices15.autotask.net/ATServicesRest/V1.0/Tickets/351181/Notes',
      'POST https://webservices15.autotask.net/ATServicesRest/V1.0/Tickets/351181/Notes',
    ]);
    for (const w of writes)
      expect(checkVendorBody(w.method, new URL(w.url).pathname.replace('/ATServicesRest', ''), w.json)).toEqual([]);
    const long = writes[1]!.json as { description: string; title: string };
    expect(long.description.length).toBeLessThanOrEqual(32_000);
    expect(long.description.endsWith('[esc:abcdef]')).toBe(true);
    expect(long.title).toBe('Handoff — café & <b>bold</b> [esc:abcdef]');
    expect(writes[2]!.json).toMatchObject({ publish: 1, title: 'Update on your request [esc:123456]' });
    expect(writes[1]!.json).toMatchObject({ publish: 2 });
  });
});

describe('Autotask error classes', () => {
  const code = (status: number, body: unknown) => classifyAutotask(status, body);

  it('business rules as 500 {"errors"} are validation, never retried', () => {
    const e = code(500, {
      errors: ['When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID.'],
    });
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e).toMatchObject({ code: 'validation', retryable: false });
  });

  it('a bad username or integration code (500) is an auth problem', () => {
    expect(code(500, { errors: ['Zone information could not be determined'] })).toMatchObject({
      code: 'psa_auth',
      retryable: false,
    });
    expect(code(500, { errors: ['IntegrationCode is invalid.'] })).toMatchObject({ code: 'psa_auth' });
  });

  it('the thread limit is retryable whatever the status; a bare 500 falls back to the default (psa_unavailable)', () => {
    expect(code(500, { errors: ['Itgenatr005 Thread Threshold Exceeded'] })).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      details: { threadLimit: true },
    });
    expect(code(429, { errors: ['thread threshold of 3 threads has been exceeded'] })).toMatchObject({
      details: { threadLimit: true },
    });
    expect(code(500, 'Internal Server Error')).toBeUndefined();
    expect(code(500, { errors: [] })).toBeUndefined();
  });

  it('the hourly threshold (429) defaults to a one-minute wait', () => {
    expect(code(429, { errors: ['threshold exceeded'] })).toMatchObject({ code: 'rate_limited', retryAfterMs: 60_000 });
  });

  it('builds the REST base from either URL form', () => {
    expect(restBase('https://webservices15.autotask.net/ATServicesRest/')).toBe(
      'https://webservices15.autotask.net/ATServicesRest/V1.0',
    );
    expect(restBase('http://127.0.0.1:9102/atservicesrest/v1.0')).toBe('http://127.0.0.1:9102/atservicesrest/v1.0');
    expect(restBase('http://127.0.0.1:9102/atservicesrest/v1.0/')).toBe('http://127.0.0.1:9102/atservicesrest/v1.0');
  });
});
