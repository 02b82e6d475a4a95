import type { PsaConnector } from '../../src/contract/index.js';

import { applyActions } from './actions.js';
import { normalize } from './normalize.js';
import { fetchTicket, listChangedSince, listOpen, readActivity } from './read.js';
import { registerWebhooks, webhookState } from './registration.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema, settingsWarnings } from './schemas.js';
import { readHistory } from './history.js';
import type { ConnectWiseSettings } from './schemas.js';
import { parseWebhook, verifyWebhook } from './webhook.js';

/** ConnectWise PSA (Manage), wiring only: callbacks in, JSON-Patch reassignments and ticket notes out (see README.md). */
export const connectwise = {
  kind: 'connectwise',
  displayName: 'ConnectWise PSA',
  settingsSchema,
  memberSchema,
  // docs/spec.md §2 "Ownership": a member without a mapping entry is assigned by its name as the member identifier.
  membersRequireMapping: false,
  settingsWarnings,
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
  readHistory,
  // Ticket, notes and configurations.
  callsPerEvaluation: 3,
} satisfies PsaConnector<ConnectWiseSettings>;
