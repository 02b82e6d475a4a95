import { applyActions } from './actions.js';
import { normalizeTicket } from './normalize.js';
import { fetchTicket, listChangedSince } from './read.js';
import { registerWebhooks, webhookState } from './register.js';
import { locationKeys, memberSchema, rateLimitDefaults, settingsSchema } from './schemas.js';
import { parseWebhook, verifyWebhook } from './webhook.js';
/** ConnectWise PSA (Manage): callbacks in, JSON-Patch reassignments and ticket notes out (see README.md). */
export const connectwise = {
    kind: 'connectwise',
    displayName: 'ConnectWise PSA',
    settingsSchema,
    memberSchema,
    // SPEC §2 "Ownership": a member without a mapping entry is assigned by its name as the member identifier.
    membersRequireMapping: false,
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
};
//# sourceMappingURL=index.js.map