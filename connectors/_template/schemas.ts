import { z } from 'zod';

import type { LocationKeySpec, PsaKind, RateLimit, SettingsWarning } from '../../src/contract/index.js';

/**
 * Role: everything zod knows about this PSA — the instance settings (`connection`, `webhook`, `notes`), one
 * `mapping.members` value, the location keys, the default rate budget, and the shapes of the PSA's own JSON
 * (tickets, notes, webhook bodies) that read.ts / normalize.ts / webhook.ts parse with. See
 * docs/adding-a-connector.md#schemas.
 */

/** TODO: add your kind to `psaKinds` (src/contract/ticket.ts) and use it here; the cast keeps the skeleton compiling. */
export const kind = 'template' as unknown as PsaKind;

export const settingsSchema = z.object({
  connection: z.object({ baseUrl: z.string().url(), apiKey: z.string().min(1) }).strict(),
  webhook: z.object({ secret: z.string().min(1) }).strict(),
});
export type TemplateSettings = z.infer<typeof settingsSchema>;

/** One `mapping.members` value (e.g. `{ agent_id: 12 }`). */
export const memberSchema = z.object({ id: z.number().int().positive() }).strict();

/** How mapping location keys (`tiers.T2: { queue: 7 }`) read the normalized ticket. */
export const locationKeys: LocationKeySpec = { queue: { field: 'queue', by: 'id' } };

/** The PSA's documented API budget (cite it in docs/psa/<psa>.md). */
export const rateLimitDefaults: RateLimit = { requests: 60, per: 60_000 };

/** `PsaConnector.settingsWarnings`: settings that load but weaken a guarantee (one line each in check-config). */
export function settingsWarnings(_settings: TemplateSettings): SettingsWarning[] {
  return [];
}
