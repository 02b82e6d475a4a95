import { z } from 'zod';

import type { LocationKeySpec, RateLimit, SettingsWarning } from '../../src/contract/index.js';

/** Header-safe strings (docs/reliability.md §4 #19): values that end up in outbound headers carry no CR/LF. */
const headerSafe = z
  .string()
  .min(1)
  .regex(/^[\x20-\x7e]+$/, { message: 'expected printable ASCII (no CR/LF)' });

/** The REST model version we pin in `Accept` (connectwise.md §4.2): newer PSA releases keep serving it. */
export const defaultApiVersion = '2025.8';

/** Instance settings for ConnectWise PSA (docs/spec.md §7; see ../../docs/psa/connectwise.md). */
export const settingsSchema = z
  .object({
    connection: z
      .object({
        /**
         * API host, e.g. `api-na.myconnectwise.net` (https). An origin with a scheme (`http://127.0.0.1:9101`) is used as
         * given (on-prem servers, tests). The codebase is discovered via `/login/companyinfo/{companyId}`.
         */
        site: z.string().min(1).optional(),
        companyId: headerSafe,
        publicKey: headerSafe,
        privateKey: headerSafe,
        clientId: headerSafe,
        /** Identifier of the API member: its own changes are echoes. */
        apiMember: z.string().min(1).optional(),
        /** Full API base URL override (`…/v4_6_release/apis/3.0`): tests, on-prem. Skips codebase discovery. */
        baseUrl: z.url().optional(),
        /**
         * Pinned REST model version sent in `Accept` (connectwise.md §4.2 "Versioning").
         * @defaultValue "2025.8"
         */
        apiVersion: z
          .string()
          .regex(/^\d{4}\.\d{1,2}$/, { message: 'expected a PSA release like "2025.8"' })
          .optional(),
        /** Codebase (`v2025_1`) when discovery must be skipped; normally discovered and cached. */
        codebase: z
          .string()
          .regex(/^[A-Za-z0-9_.]+\/?$/)
          .optional(),
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
        /**
         * Status set on the target board when a move changes boards (statuses are board-scoped): a status name for every
         * board, or a map board id → status name/id. Absent: the current status name if the target board has it, else
         * the board's default status.
         */
        boardStatusOnMove: z
          .union([z.string().min(1), z.record(z.string(), z.union([z.string().min(1), z.number().int()]))])
          .optional(),
        /** Member identifiers that mean "nobody" (placeholder owners such as `unassigned`): normalized to owner null. */
        ownerPlaceholders: z.array(z.string().min(1)).optional(),
      })
      .default({}),
  })
  .transform((settings) => {
    // `webhook.keyUrlHosts` defaults to the origin of `connection.site` (issue 13): the signing key is served by the
    // same host the API lives on (connectwise.md §2). check-config warns when the list still ends up empty.
    if (settings.webhook.keyUrlHosts.length > 0 || settings.connection.site === undefined) return settings;
    const origin = siteOrigin(settings.connection.site);
    return origin ? { ...settings, webhook: { ...settings.webhook, keyUrlHosts: [origin] } } : settings;
  });
export type ConnectWiseSettings = z.infer<typeof settingsSchema>;

/**
 * An empty `webhook.keyUrlHosts` refuses every callback. Without `connection.apiMember` the note author can't be checked: a note counts as ours on its marker alone (a
 * customer who types one hides that note from text rules and "steps taken"), and our own changes come back as
 * ordinary callbacks instead of echoes (docs/ticket-identity.md).
 */
export function settingsWarnings(settings: ConnectWiseSettings): SettingsWarning[] {
  const out: SettingsWarning[] = [];
  if (settings.webhook.keyUrlHosts.length === 0) {
    out.push({
      path: ['webhook', 'keyUrlHosts'],
      message:
        'is empty (no connection.site to default from): every callback is refused because its signing key URL cannot be allow-listed; list the ConnectWise host(s) here',
    });
  }
  if (!settings.connection.apiMember?.trim()) {
    out.push({
      path: ['connection', 'apiMember'],
      message:
        "not set: a note counts as ours on its marker alone (anyone can type one) and our own changes are not recognized as echoes; set the API member's identifier",
    });
  }
  return out;
}

/** `api-na.myconnectwise.net` → that host (https only); `http://127.0.0.1:9101/…` → its exact origin. */
export function siteOrigin(site: string): string | undefined {
  const trimmed = site.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    try {
      return new URL(trimmed).origin;
    } catch {
      return undefined;
    }
  }
  const host = trimmed.replace(/\/.*$/, '').toLowerCase();
  return /^[a-z0-9.-]+$/.test(host) ? host : undefined;
}

/** `mapping.members` value: the member identifier. */
export const memberSchema = z.string().min(1);

export const locationKeys: LocationKeySpec = {
  board: { field: 'queue', by: 'id' },
  team: { field: 'team', by: 'id' },
};

/** ConnectWise documents ~1,000 requests/min per member; we default well below it (docs/spec.md §4). */
export const rateLimitDefaults: RateLimit = { requests: 600, per: 60_000 };

// ------------------------------------------------------------------ PSA payloads (tolerant: PSA data is messy)

/** A field that may be missing, null or of an unexpected type: reads as undefined instead of failing the parse. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);
const idValue = z.union([z.number(), z.string()]);

/** A reference object (`{id, name, identifier?, _info}`) as the REST API returns it. */
export const cwRefSchema = z.looseObject({ id: opt(idValue), name: opt(z.string()), identifier: opt(z.string()) });
export type CwRef = z.infer<typeof cwRefSchema>;
const ref = opt(cwRefSchema);

const customFieldSchema = z.looseObject({ id: opt(idValue), caption: opt(z.string()), value: z.unknown().optional() });

/** `GET /service/tickets/{id}` (connectwise.md §4.3). Every field optional: tickets without status/owner exist. */
export const cwTicketSchema = z.looseObject({
  id: opt(idValue),
  summary: opt(z.string()),
  recordType: opt(z.string()),
  board: ref,
  status: ref,
  team: ref,
  owner: ref,
  priority: ref,
  company: ref,
  contact: ref,
  contactName: opt(z.string()),
  contactEmailAddress: opt(z.string()),
  site: ref,
  siteName: opt(z.string()),
  type: ref,
  subType: ref,
  item: ref,
  severity: opt(z.string()),
  impact: opt(z.string()),
  closedFlag: opt(z.boolean()),
  closedDate: opt(z.string()),
  dateResponded: opt(z.string()),
  dateResolved: opt(z.string()),
  respondByGoalUTC: opt(z.string()),
  resolutionGoalUTC: opt(z.string()),
  isInSla: opt(z.boolean()),
  mergedParentTicket: ref,
  customFields: opt(z.array(customFieldSchema.catch({}))),
  _info: opt(z.record(z.string(), z.unknown())),
});
export type CwTicket = z.infer<typeof cwTicketSchema>;

/** `GET /service/tickets/{id}/notes` items (`ServiceNote`, connectwise.md §4.5). */
export const cwNoteSchema = z.looseObject({
  id: opt(idValue),
  text: opt(z.string()),
  detailDescriptionFlag: opt(z.boolean()),
  internalAnalysisFlag: opt(z.boolean()),
  resolutionFlag: opt(z.boolean()),
  internalFlag: opt(z.boolean()),
  externalFlag: opt(z.boolean()),
  member: ref,
  contact: ref,
  createdBy: opt(z.string()),
  dateCreated: opt(z.string()),
  _info: opt(z.record(z.string(), z.unknown())),
});
export type CwNote = z.infer<typeof cwNoteSchema>;

/** The callback envelope after its keys were lower-cased (connectwise.md §2.1: compare case-insensitively). */
export const envelopeSchema = z.looseObject({
  messageid: opt(z.union([z.string().min(1), z.number()])),
  companyid: opt(z.string()),
  memberid: opt(z.union([z.string(), z.number()])),
  action: opt(z.string()),
  type: opt(z.string()),
  id: opt(idValue),
  entity: z.unknown().optional(),
});

/** `GET <key_url>` → `{"signing_key": "…"}` (served as JSON or as text). */
export const signingKeySchema = z.object({ signing_key: z.string().min(1) });

/** `GET /login/companyinfo/{companyId}` → `{"Codebase":"v2025_1/", …}`. */
export const companyInfoSchema = z.looseObject({ Codebase: z.string().min(1) });

/** `CallbackEntry` (connectwise.md §1.1). */
export const callbackEntrySchema = z.looseObject({
  id: z.number(),
  url: opt(z.string()),
  objectId: opt(z.number()),
  type: opt(z.string()),
  level: opt(z.string()),
  description: opt(z.string()),
  inactiveFlag: opt(z.boolean()),
});
export type CallbackEntry = z.infer<typeof callbackEntrySchema>;

/** `GET /service/boards/{id}/statuses` items. */
export const boardStatusSchema = z.looseObject({
  id: z.number(),
  name: opt(z.string()),
  defaultFlag: opt(z.boolean()),
  inactive: opt(z.boolean()),
  closedStatus: opt(z.boolean()),
  sortOrder: opt(z.number()),
});
export type BoardStatus = z.infer<typeof boardStatusSchema>;

/** `GET /service/priorities` items (only for priorities mapped by name). */
export const prioritySchema = z.looseObject({ id: z.number(), name: opt(z.string()) });
