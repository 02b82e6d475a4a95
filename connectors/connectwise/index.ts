import { ConnectorError, err } from '../../src/contract/index.js';
import type { PsaConnector } from '../../src/contract/index.js';

import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { ConnectWiseSettings } from './schemas.js';

// WORK IN PROGRESS: the methods below are filled in by the ConnectWise PSA connector issue.
const notYet = (what: string) => new ConnectorError('internal', `ConnectWise PSA connector: ${what} is not implemented yet`);

export const connectwise = {
  kind: 'connectwise',
  displayName: 'ConnectWise PSA',
  settingsSchema,
  memberSchema,
  membersRequireMapping: false,
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
} satisfies PsaConnector<ConnectWiseSettings>;
