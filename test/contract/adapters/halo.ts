import { readFileSync } from 'node:fs';

import { halo } from '../../../connectors/halo/index.js';
import { MappingSchema } from '../../../src/contract/index.js';
import type { ConnectorContext } from '../../../src/contract/index.js';
import { testContext } from '../../helpers/connector-context.js';
import { startFakeHalo, type Json } from '../../helpers/fake-halo.js';

import { jsonDelivery } from './types.js';
import type { ConformanceAdapter, FakePsa } from './types.js';

const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../../connectors/halo/__fixtures__/${name}`, import.meta.url), 'utf8')) as Json;
const mapping = MappingSchema.parse({
  tiers: { T1: { team: '1st Line Support' }, T2: { team: '2nd Line Support' } },
  priorities: { P1: [1], P2: [2], P3: [3], P4: [4] },
  members: { 't2.frank': { agent_id: 13 } },
});
const basic = `Basic ${Buffer.from('escalator:hook-pass').toString('base64')}`;

/** HaloPSA over test/helpers/fake-halo.ts (ticket 4242 on 1st Line Support, owned by agent 12). */
export const haloAdapter: ConformanceAdapter = {
  name: 'halo',
  connector: halo,
  async start(): Promise<FakePsa> {
    const fake = await startFakeHalo();
    fake.addTicket(fixture('ticket-full.json'));
    for (const a of fixture('actions.json').actions as Json[]) fake.addAction(a);
    fake.bindEvents = true;
    const delivery = (extra: Json) =>
      jsonDelivery({ ...fixture('webhook-status-changed.json'), ...extra }, { authorization: basic });
    return {
      ctx: (sleep) =>
        testContext({
          connector: halo,
          instance: { id: 'initech-halo', mapping },
          settings: {
            connection: { tenantUrl: fake.origin, clientId: 'client-id', clientSecret: 'client-secret' },
            webhook: { basicAuth: { username: 'escalator', password: 'hook-pass' } },
          },
          http: { sleep },
        }) as ConnectorContext,
      ticketId: '4242',
      missingTicketId: '999999',
      answerNextTicketRead: (status, headers) =>
        fake.fail({ method: 'GET', path: '/api/Tickets/4242', status, ...(headers ? { headers } : {}) }),
      ticketReads: () => fake.requestsTo('GET', '/api/Tickets/4242').length,
      falseNextWrite: () => void (fake.falseTicketWrites = 1),
      reassign: () => ({
        actionId: 'a-reassign',
        location: { team: '2nd Line Support' },
        tier: 'T2',
        owner: { agent_id: 13 },
        ownerName: 't2.frank',
      }),
      ownerOnly: () => ({
        actionId: 'a-reassign',
        location: { team: '1st Line Support' },
        tier: 'T1',
        owner: { agent_id: 13 },
        ownerName: 't2.frank',
      }),
      ticketWriteFields: () =>
        fake
          .requestsTo('POST', '/api/Tickets')
          .map((r) => Object.keys((r.body as Json[])[0]!).filter((k) => k !== 'id')),
      notePosts: () => fake.requestsTo('POST', '/api/Actions').length,
      notesCarrying: (marker) => fake.actions.filter((a) => String(a.note).includes(marker)).length,
      callbackUrl: 'https://escalator.example.com/webhooks/initech-halo',
      registrations: () => fake.webhooks.length,
      echoDelivery: () => delivery({ agent_id: fake.apiAgentId }),
      deliveryWithId: (id) =>
        delivery({
          object_id: id,
          message: `The status has been changed for Ticket ID: ${id}.`,
          ticket: { ...(fixture('webhook-status-changed.json').ticket as Json), id },
        }),
      close: () => fake.close(),
    };
  },
};
