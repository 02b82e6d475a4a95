import { z } from 'zod';

import type { LocationKeySpec, RateLimit } from '../../src/contract/index.js';

const headerSafe = z.string().min(1).regex(/^[\x20-\x7e]+$/, { message: 'expected printable ASCII (no CR/LF)' });
const noteSettings = z.object({ noteType: z.number().int(), publish: z.number().int() }).strict();

/** Instance settings for Autotask PSA (SPEC §7; see ../../../shared/psa/autotask.md). */
export const settingsSchema = z.object({
  connection: z
    .object({
      username: headerSafe,
      secret: headerSafe,
      integrationCode: headerSafe,
      /** REST base override (`…/atservicesrest/v1.0`); otherwise zone discovery. */
      zoneUrl: z.url().optional(),
    })
    .strict(),
  webhook: z
    .object({
      /** HMAC-SHA1 key of the webhook (≤ 64 chars). */
      secretKey: z.string().min(1).max(64),
      previousSecretKey: z.string().min(1).max(64).optional(),
    })
    .strict(),
  notes: z
    .object({ internal: noteSettings, customer: noteSettings })
    .partial()
    .strict()
    .default({}),
  mapping: z.looseObject({}).default({}),
});
export type AutotaskSettings = z.infer<typeof settingsSchema>;

/** `mapping.members` value: resource and the role to assign with it (Autotask needs both). */
export const memberSchema = z.object({ resourceID: z.number().int(), roleID: z.number().int() }).strict();

export const locationKeys: LocationKeySpec = { queueID: { field: 'queue', by: 'id' } };

/** 10,000 requests/hour per database are shared with every other integration: default to 30 % (SPEC §4). */
export const rateLimitDefaults: RateLimit = { requests: 3000, per: 3_600_000, concurrency: 2 };
