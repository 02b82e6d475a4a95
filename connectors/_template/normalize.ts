import type { FetchedTicket, InstanceInfo, Ticket } from '../../src/contract/index.js';

import { notImplemented } from './client.js';
import type { TemplateSettings } from './schemas.js';

/**
 * Role: `PsaConnector.normalize` — pure, PSA JSON + instance → the normalized `Ticket` (src/contract/ticket.ts).
 * Never throws on unknown or missing fields once implemented. See docs/adding-a-connector.md#normalize.
 */
export function normalize(_fetched: FetchedTicket, _instance: InstanceInfo, _settings: TemplateSettings): Ticket {
  throw notImplemented('normalize', 'normalize');
}
