import { z } from 'zod';

import type { LocationKeySpec, RateLimit } from '../../src/contract/index.js';

/** Header-safe strings (RELIABILITY §4 #19): values that end up in outbound headers carry no CR/LF. */
const headerSafe = z.string().min(1).regex(/^[\x20-\x7e]+$/, { message: 'expected printable ASCII (no CR/LF)' });

/** Instance settings for ConnectWise PSA (SPEC §7; see ../../../shared/psa/connectwise.md). */
export const settingsSchema = z.object({
  connection: z
    .object({
      /** API host, e.g. `api-na.myconnectwise.net`. */
      site: z.string().min(1).optional(),
      companyId: headerSafe,
      publicKey: headerSafe,
      privateKey: headerSafe,
      clientId: headerSafe,
      /** Identifier of the API member: its own changes are echoes. */
      apiMember: z.string().min(1).optional(),
      /** Full API base URL override (`…/v4_6_release/apis/3.0`): tests, on-prem. */
      baseUrl: z.url().optional(),
    })
    .strict()
    .refine((c) => c.site !== undefined || c.baseUrl !== undefined, { message: 'expected site or baseUrl' }),
  webhook: z
    .object({
      /** Allow-list for `Metadata.key_url`: host names (https only) or exact origins. */
      keyUrlHosts: z.array(z.string().min(1)).default([]),
    })
    .strict()
    .default({ keyUrlHosts: [] }),
  mapping: z
    .looseObject({
      /** Status name set on the target board when a move changes boards. */
      boardStatusOnMove: z.string().min(1).optional(),
    })
    .default({}),
});
export type ConnectWiseSettings = z.infer<typeof settingsSchema>;

/** `mapping.members` value: the member identifier. */
export const memberSchema = z.string().min(1);

export const locationKeys: LocationKeySpec = {
  board: { field: 'queue', by: 'id' },
  team: { field: 'team', by: 'id' },
};

/** ConnectWise documents ~1,000 requests/min per member; we default well below it (SPEC §4). */
export const rateLimitDefaults: RateLimit = { requests: 600, per: 60_000 };
