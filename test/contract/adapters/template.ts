import { template } from '../../../connectors/_template/index.js';
import { MappingSchema } from '../../../src/contract/index.js';
import type { ConnectorContext } from '../../../src/contract/index.js';
import { testContext } from '../../helpers/connector-context.js';

import { jsonDelivery } from './types.js';
import type { ConformanceAdapter, FakePsa } from './types.js';

/**
 * The skeleton's adapter. A new PSA replaces this with one over its own fake (test/helpers/fake-<psa>.ts, or nock):
 * each hook below says what the fake must offer. Until then nothing answers, and every scenario fails on the
 * connector's own "not implemented: …" message.
 */
export const templateAdapter: ConformanceAdapter = {
  name: 'template',
  connector: template,
  async start(): Promise<FakePsa> {
    return {
      ctx: (sleep) =>
        testContext({
          connector: template,
          instance: { id: 'example-template', mapping: MappingSchema.parse({}) },
          settings: {
            connection: { baseUrl: 'https://psa.example.invalid/api', apiKey: 'key' },
            webhook: { secret: 'secret' },
          },
          http: { sleep },
        }) as ConnectorContext,
      ticketId: '1',
      missingTicketId: '404',
      answerNextTicketRead: () => undefined,
      ticketReads: () => 0,
      falseNextWrite: () => undefined,
      reassign: () => ({ actionId: 'a-reassign', location: { queue: 2 }, tier: 'T2', owner: { id: 2 } }),
      ownerOnly: () => ({ actionId: 'a-reassign', location: { queue: 1 }, tier: 'T1', owner: { id: 2 } }),
      ticketWriteFields: () => [],
      notePosts: () => 0,
      notesCarrying: () => 0,
      callbackUrl: 'https://escalator.example.com/webhooks/example-template',
      registrations: () => 0,
      echoDelivery: () => jsonDelivery({ ticketId: 1, actor: 'our-api-user' }),
      deliveryWithId: (id) => jsonDelivery({ ticketId: id }),
      close: async () => undefined,
    };
  },
};
