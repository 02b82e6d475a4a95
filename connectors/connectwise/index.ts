import type { PsaConnector, SettingsWarning } from '../../src/contract/index.js';

import { applyActions } from './actions.js';
import { normalizeTicket } from './normalize.js';
import { readHistory } from './history.js';
import { fetchTicket, listChangedSince, listOpen } from './read.js';
import { registerWebhooks, webhookState } from './register.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import type { ConnectWiseSettings } from './schemas.js';
import { parseWebhook, verifyWebhook } from './webhook.js';

/**
 * An empty `webhook.keyUrlHosts` refuses every callback. Without `connection.apiMember` the note author can't be checked: a note counts as ours on its marker alone (a
 * customer who types one hides that note from text rules and "steps taken"), and our own changes come back as
 * ordinary callbacks instead of echoes (docs/ticket-identity.md).
 */
function settingsWarnings(settings: ConnectWiseSettings): SettingsWarning[] {
  const out: SettingsWarning[] = [];
  if (settings.webhook.keyUrlHosts.length === 0) {
    out.push({ path: ['webhook', 'keyUrlHosts'], message: 'is empty (no connection.site to default from): every callback is refused because its signing key URL cannot be allow-listed; list the ConnectWise host(s) here' });
  }
  if (!settings.connection.apiMember?.trim()) {
    out.push({
      path: ['connection', 'apiMember'],
      message: 'not set: a note counts as ours on its marker alone (anyone can type one) and our own changes are not recognized as echoes; set the API member\'s identifier',
    });
  }
  return out;
}

/** ConnectWise PSA (Manage): callbacks in, JSON-Patch reassignments and ticket notes out (see README.md). */
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
  normalize: normalizeTicket,
  applyActions,
  registerWebhooks,
  webhookState,
  listChangedSince,
  listOpen,
  readHistory,
  // Ticket, notes and configurations.
  callsPerEvaluation: 3,
} satisfies PsaConnector<ConnectWiseSettings>;
