import type { PsaConnector } from '../../src/contract/index.js';

import { applyActions } from './actions.js';
import { normalize } from './normalize.js';
import { fetchTicket, listChangedSince, listOpen } from './read.js';
import { registerWebhooks, webhookState } from './registration.js';
import { kind, locationKeys, memberSchema, rateLimitDefaults, settingsSchema, settingsWarnings } from './schemas.js';
import type { TemplateSettings } from './schemas.js';
import { parseWebhook, verifyWebhook } from './webhook.js';

/**
 * The skeleton of a fourth connector: wiring only. Copy this folder to `connectors/<psa>/`, then follow
 * docs/adding-a-connector.md. Not registered in src/connectors.ts: it never ships in the service.
 */
export const template = {
  kind,
  displayName: 'Template PSA (skeleton)',
  settingsSchema,
  memberSchema,
  membersRequireMapping: true,
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
  callsPerEvaluation: 2,
} satisfies PsaConnector<TemplateSettings>;
