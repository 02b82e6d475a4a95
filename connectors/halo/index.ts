import { ConnectorError, err } from '../../src/contract/index.js';
import type { PsaConnector } from '../../src/contract/index.js';

import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { HaloSettings } from './schemas.js';

// WORK IN PROGRESS: the methods below are filled in by the HaloPSA connector issue.
const notYet = (what: string) => new ConnectorError('internal', `HaloPSA connector: ${what} is not implemented yet`);

export const halo = {
  kind: 'halo',
  displayName: 'HaloPSA',
  settingsSchema,
  memberSchema,
  membersRequireMapping: true,
  locationKeys,
  rateLimitDefaults,
  verifyWebhook: async () => err(notYet('verifyWebhook')),
  parseWebhook: async () => err(notYet('parseWebhook')),
  fetchTicket: async () => err(notYet('fetchTicket')),
  normalize: () => {
    throw notYet('normalize');
  },
  applyActions: async () => {
    throw notYet('applyActions');
  },
  registerWebhooks: async () => err(notYet('registerWebhooks')),
  webhookState: async () => err(notYet('webhookState')),
  listChangedSince: async () => err(notYet('listChangedSince')),
} satisfies PsaConnector<HaloSettings>;
