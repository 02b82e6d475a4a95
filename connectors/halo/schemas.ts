import { z } from 'zod';

import type { LocationKeySpec, RateLimit } from '../../src/contract/index.js';

const headerSafe = z.string().min(1).regex(/^[\x20-\x7e]+$/, { message: 'expected printable ASCII (no CR/LF)' });
const basicAuth = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();
const noteSettings = z.object({ outcome: z.string().min(1) }).strict();

/** Instance settings for HaloPSA (SPEC §7; see ../../../shared/psa/halo.md). */
export const settingsSchema = z.object({
  connection: z
    .object({
      tenantUrl: z.url().optional(),
      /** Resource server base (`…/api`); defaults to `{tenantUrl}/api`. */
      apiUrl: z.url().optional(),
      /** Authorisation server base (`…/auth`); discovered via `/api/authinfo` when absent. */
      authUrl: z.url().optional(),
      /** Hosted tenants: `?tenant=` on the token request. */
      tenant: z.string().min(1).optional(),
      clientId: headerSafe,
      clientSecret: headerSafe,
      /** @defaultValue 'all' */
      scope: z.string().min(1).optional(),
    })
    .strict()
    .refine((c) => c.tenantUrl !== undefined || c.apiUrl !== undefined, { message: 'expected tenantUrl or apiUrl' }),
  webhook: z
    .object({
      basicAuth,
      previousBasicAuth: basicAuth.optional(),
      /** Optional second factor: sender addresses (CIDRs). */
      allowIps: z.array(z.string().min(1)).optional(),
    })
    .strict(),
  notes: z.object({ internal: noteSettings, customer: noteSettings }).partial().strict().default({}),
  mapping: z.looseObject({}).default({}),
});
export type HaloSettings = z.infer<typeof settingsSchema>;

/** `mapping.members` value: the Halo agent. */
export const memberSchema = z.object({ agent_id: z.number().int() }).strict();

export const locationKeys: LocationKeySpec = { team: { field: 'team', by: 'name', caseInsensitive: true } };

/** Sources disagree on Halo's limit (≈ 300–700 per 5 min); default below the lowest (SPEC §4). */
export const rateLimitDefaults: RateLimit = { requests: 250, per: 300_000 };
