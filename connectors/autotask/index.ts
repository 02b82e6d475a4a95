import type { PsaConnector } from '../../src/contract/index.js';

import { applyActions } from './actions.js';
import { handoffFillable, normalize } from './normalize.js';
import { fetchTicket, listChangedSince, listOpen, readAutotaskActivity } from './read.js';
import { registerWebhooks, webhookState } from './registration.js';
import { readAutotaskHistory } from './history.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { AutotaskSettings } from './schemas.js';
import { parseWebhook, verifyWebhook } from './webhook.js';

/** Autotask PSA (Datto/Kaseya) connector: wiring only (see README.md and ../../docs/psa/autotask.md). */
export const autotask = {
  kind: 'autotask',
  displayName: 'Autotask PSA',
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
  readActivity: readAutotaskActivity,
  readHistory: readAutotaskHistory,
  handoffFillable,
  // Ticket + notes (lookups are cached).
  callsPerEvaluation: 2,
} satisfies PsaConnector<AutotaskSettings>;
