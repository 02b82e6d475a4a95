import { connectwise } from '../../../connectors/connectwise/index.js';
import type { ConnectorContext, Mapping } from '../../../src/contract/index.js';
import { testContext } from '../../helpers/connector-context.js';
import { cwTicket, FakeConnectWise, seedConnectWise } from '../../helpers/fake-connectwise.js';

import { jsonDelivery } from './types.js';
import type { ConformanceAdapter, FakePsa } from './types.js';

const mapping: Mapping = {
  tiers: { T1: { board: 1, team: 3 }, T2: { board: 1, team: 4 } },
  groups: {},
  priorities: { P1: [4], P2: [5], P3: [6], P4: [7] },
  statuses: { closed: ['Closed'] },
  members: { 't2.erin': 'erin.t' },
  vipCompanies: [],
};

/** ConnectWise over test/helpers/fake-connectwise.ts (ticket 1001 on Service A / Tier 1, owned by jsmith). */
export const connectwiseAdapter: ConformanceAdapter = {
  name: 'connectwise',
  connector: connectwise,
  async start(): Promise<FakePsa> {
    const fake = seedConnectWise(await new FakeConnectWise().start());
    cwTicket(fake, 1001, '2026-01-27T13:00:00Z');
    const ticketPath = /\/service\/tickets\/1001$/;
    return {
      ctx: (sleep) =>
        testContext({
          connector: connectwise,
          instance: { id: 'acme-cw', mapping },
          settings: fake.settings(),
          http: { sleep },
        }) as ConnectorContext,
      ticketId: '1001',
      missingTicketId: '4040',
      answerNextTicketRead: (status, headers) =>
        fake.script(
          { method: 'GET', path: '/service/tickets/1001' },
          { status, ...(headers ? { headers } : {}), body: { code: 'Scripted' } },
        ),
      ticketReads: () => fake.apiRequests('GET', ticketPath).length,
      falseNextWrite: () => fake.script({ method: 'PATCH', path: '/service/tickets/1001' }, { kind: 'falseOk' }),
      reassign: () => ({
        actionId: 'a-reassign',
        location: { board: 1, team: 4 },
        tier: 'T2',
        owner: 'erin.t',
        ownerName: 't2.erin',
      }),
      ownerOnly: () => ({
        actionId: 'a-reassign',
        location: { board: 1, team: 3 },
        tier: 'T1',
        owner: 'erin.t',
        ownerName: 't2.erin',
      }),
      ticketWriteFields: () =>
        fake.apiRequests('PATCH', ticketPath).map((r) => (r.body as { path: string }[]).map((op) => op.path)),
      notePosts: () => fake.apiRequests('POST', /\/notes$/).length,
      notesCarrying: (marker) => (fake.notes.get(1001) ?? []).filter((n) => n.text.includes(marker)).length,
      callbackUrl: 'https://escalator.example.com/webhooks/acme-cw',
      registrations: () => fake.callbacks.length,
      echoDelivery: () => jsonDelivery(fake.callbackBody(1001, { memberId: fake.apiMember })),
      deliveryWithId: (id) => {
        const body = JSON.parse(fake.callbackBody(1001)) as Record<string, unknown>;
        return jsonDelivery({ ...body, ID: id });
      },
      close: () => fake.close(),
    };
  },
};
