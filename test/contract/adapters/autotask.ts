import { autotask } from '../../../connectors/autotask/index.js';
import type { ConnectorContext, InstanceInfo } from '../../../src/contract/index.js';
import { testContext } from '../../helpers/connector-context.js';
import { autotaskJson, autotaskSignature, FakeAutotask } from '../../helpers/fake-autotask.js';

import { jsonDelivery } from './types.js';
import type { ConformanceAdapter, FakePsa } from './types.js';

const SECRET = 'whsec-conformance';
const mapping: InstanceInfo['mapping'] = {
  tiers: { T1: { queueID: 29682833 }, T2: { queueID: 29682969 } },
  groups: {},
  priorities: { P1: [4], P2: [1], P3: [2], P4: [3] },
  statuses: { resolved: [5] },
  members: { 't2.erin': { resourceID: 29684003, roleID: 29683002 } },
  vipCompanies: [],
};
const ID = 351181;

/** Autotask over test/helpers/fake-autotask.ts (ticket 351181 in the T1 queue, owned by resource 29684010). */
export const autotaskAdapter: ConformanceAdapter = {
  name: 'autotask',
  connector: autotask,
  async start(): Promise<FakePsa> {
    const fake = await new FakeAutotask().start();
    fake.state.addTicket({ id: ID });
    const signed = (payload: Record<string, unknown>) => {
      const raw = autotaskJson(payload);
      return jsonDelivery(raw, { 'x-hook-signature': autotaskSignature(raw, SECRET) });
    };
    return {
      ctx: (sleep) =>
        testContext({
          connector: autotask,
          instance: { id: 'globex-at', mapping },
          settings: {
            connection: fake.connection(),
            webhook: { secretKey: SECRET },
            notes: { internal: { noteType: 1, publish: 2 }, customer: { noteType: 1, publish: 1 } },
            mapping,
          },
          http: { sleep },
        }) as ConnectorContext,
      ticketId: String(ID),
      missingTicketId: '999',
      answerNextTicketRead: (status, headers) =>
        fake.fail({
          method: 'GET',
          path: `/Tickets/${ID}`,
          status,
          ...(headers ? { headers } : {}),
          body: { errors: ['scripted'] },
        }),
      ticketReads: () => fake.calls('GET', new RegExp(`^/Tickets/${ID}$`)).length,
      falseNextWrite: () => void (fake.falseWrites = 1),
      reassign: () => ({
        actionId: 'a-reassign',
        location: { queueID: 29682969 },
        tier: 'T2',
        owner: { resourceID: 29684003, roleID: 29683002 },
        ownerName: 't2.erin',
      }),
      ownerOnly: () => ({
        actionId: 'a-reassign',
        location: { queueID: 29682833 },
        tier: 'T1',
        owner: { resourceID: 29684003, roleID: 29683002 },
        ownerName: 't2.erin',
      }),
      ticketWriteFields: () =>
        fake.calls('PATCH', /^\/Tickets$/).map((r) => Object.keys(r.body as object).filter((k) => k !== 'id')),
      notePosts: () => fake.calls('POST', /Notes$/).length,
      notesCarrying: (marker) =>
        (fake.state.notes.get(ID) ?? []).filter((n) => `${String(n.title)}\n${String(n.description)}`.includes(marker))
          .length,
      callbackUrl: 'https://escalator.example.com/webhooks/globex-at',
      registrations: () => fake.state.webhooks.size,
      echoDelivery: () => signed(fake.payload(ID, {}, { PersonID: fake.state.apiResourceId })),
      deliveryWithId: (id) => signed(fake.payload(ID, {}, { Id: id })),
      close: () => fake.close(),
    };
  },
};
