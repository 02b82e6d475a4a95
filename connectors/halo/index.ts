import type { PsaConnector } from '../../src/contract/index.js';

import { applyActions } from './actions.js';
import { normalize } from './normalize.js';
import { fetchTicket, listChangedSince, listOpen, readActivity } from './read.js';
import { registerWebhooks, webhookState } from './registration.js';
import { readHaloHistory } from './history.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { HaloSettings } from './schemas.js';
import { parseWebhook, verifyWebhook } from './webhook.js';

/** The HaloPSA / HaloITSM / HaloServiceDesk connector: wiring only (issue 7; facts in docs/psa/halo.md). */
export const halo = {
  kind: 'halo',
  displayName: 'HaloPSA',
  settingsSchema,
  memberSchema,
  membersRequireMapping: true,
  locationKeys,
  rateLimitDefaults,
  verifyWebhook,
  parseWebhook,
  fetchTicket,
  normalize,
  applyActions,
  registerWebhooks,
  webhookState,
  listChangedSince,
  listOpen,
  readActivity,
  readHistory: readHaloHistory,
  // Ticket and actions (lookups are cached).
  callsPerEvaluation: 2,
} satisfies PsaConnector<HaloSettings>;
