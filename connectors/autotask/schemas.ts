import { z } from 'zod';

import type { LocationKeySpec, RateLimit } from '../../src/contract/index.js';

// ------------------------------------------------------------------ instance settings (docs/spec.md §7)

const headerSafe = z
  .string()
  .min(1)
  .regex(/^[\x20-\x7e]+$/, { message: 'expected printable ASCII (no CR/LF)' });
const noteSettings = z.object({ noteType: z.number().int(), publish: z.number().int() }).strict();
const idOrName = z.union([z.number(), z.string().min(1)]);

/** Instance settings for Autotask PSA (docs/spec.md §7; see ../../docs/psa/autotask.md). */
export const settingsSchema = z.object({
  connection: z
    .object({
      /** The API-only user's username (also the `zoneInformation?user=` key). */
      username: headerSafe,
      secret: headerSafe,
      /** The 27-character API tracking identifier (autotask.md §4). */
      integrationCode: headerSafe,
      /** REST base override (`…/atservicesrest/v1.0`); otherwise zone discovery (cached 24 h). */
      zoneUrl: z.url().optional(),
      /**
       * Where zone discovery asks (tests, proxies).
       * @defaultValue `https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation`
       */
      discoveryUrl: z.url().optional(),
      /** The API user's resource id (echo detection, webhook ExcludedResources); looked up by username when absent. */
      apiResourceID: z.number().int().positive().optional(),
    })
    .strict(),
  webhook: z
    .object({
      /** HMAC-SHA1 key of the webhook (≤ 64 chars; ≥ 10 recommended). */
      secretKey: z.string().min(1).max(64),
      /** Still accepted while a rotation is under way. */
      previousSecretKey: z.string().min(1).max(64).optional(),
      /** Receives Autotask's delivery-failure and threshold emails (`notificationEmailAddress`). */
      notificationEmail: z.string().min(3).max(150).optional(),
    })
    .strict(),
  /** `noteType` / `publish` picklist values; absent → read from `TicketNotes/entityInformation/fields` by label. */
  notes: z.object({ internal: noteSettings, customer: noteSettings }).partial().strict().default({}),
  mapping: z
    .looseObject({
      /** Company `classification` ids that make a company VIP (Autotask has no VIP flag). */
      vipClassifications: z.array(idOrName).optional(),
      /** A company UDF whose truthy value (yes/true/1/vip) makes the company VIP. */
      vipCompanyUdf: z.string().min(1).optional(),
      /** Ticket UDF names read into the normalized `environment`, `impact` and `urgency`. */
      udfs: z
        .object({ environment: z.string().min(1), impact: z.string().min(1), urgency: z.string().min(1) })
        .partial()
        .strict()
        .optional(),
    })
    .default({}),
});
export type AutotaskSettings = z.infer<typeof settingsSchema>;

/** `mapping.members` value: resource and the role to assign with it (Autotask needs both, autotask.md §5.3). */
export const memberSchema = z.object({ resourceID: z.number().int(), roleID: z.number().int() }).strict();

export const locationKeys: LocationKeySpec = { queueID: { field: 'queue', by: 'id' } };

/** 10,000 requests/hour per database are shared with every other integration: default to 30 % (docs/spec.md §4). */
export const rateLimitDefaults: RateLimit = { requests: 3000, per: 3_600_000, concurrency: 2 };

// ------------------------------------------------------------------ PSA payloads (autotask.md §2, §5, §6)
// Every Autotask property is a .NET nullable: null is accepted everywhere, and unknown keys are kept (loose).

const str = z.string().nullish();
/** Ids arrive as numbers; webhook `Fields` values and picklist values may be numeric strings. */
const idLike = z.union([z.number(), z.string()]).nullish();

export const udfSchema = z.object({
  name: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
});

/** `TicketModel` (the fields the connector reads). */
export const ticketSchema = z.looseObject({
  id: z.number(),
  ticketNumber: str,
  title: str,
  description: str,
  status: idLike,
  priority: idLike,
  queueID: idLike,
  assignedResourceID: idLike,
  assignedResourceRoleID: idLike,
  companyID: idLike,
  contactID: idLike,
  configurationItemID: idLike,
  issueType: idLike,
  subIssueType: idLike,
  createDate: str,
  lastActivityDate: str,
  lastTrackedModificationDateTime: str,
  firstResponseDateTime: str,
  firstResponseDueDateTime: str,
  resolvedDateTime: str,
  resolvedDueDateTime: str,
  dueDateTime: str,
  completedDate: str,
  serviceLevelAgreementHasBeenMet: z.boolean().nullish(),
  userDefinedFields: z.array(udfSchema).nullish(),
});
export type AtTicket = z.infer<typeof ticketSchema>;

export const picklistValueSchema = z.looseObject({
  value: z.union([z.string(), z.number()]).transform(String),
  label: z
    .string()
    .nullish()
    .transform((l) => l ?? ''),
  isDefaultValue: z.boolean().nullish(),
  isActive: z.boolean().nullish(),
  parentValue: z.union([z.string(), z.number()]).nullish(),
});
export type PicklistValue = z.infer<typeof picklistValueSchema>;

/** `GET /<Entity>/entityInformation/fields`. */
export const entityFieldsSchema = z.looseObject({
  fields: z.array(
    z.looseObject({
      name: z.string(),
      isPickList: z.boolean().nullish(),
      picklistValues: z.array(picklistValueSchema).nullish(),
    }),
  ),
});

/** Wrappers (autotask.md pitfall 7: the swagger is wrong about them). */
export const itemSchema = z.looseObject({ item: z.unknown() });
export const itemIdSchema = z.looseObject({ itemId: z.union([z.number(), z.string()]) });
export const itemsSchema = z.looseObject({
  items: z.array(z.unknown()),
  pageDetails: z.looseObject({ nextPageUrl: z.string().nullish() }).nullish(),
});

export const zoneInfoSchema = z.looseObject({ url: z.string().min(1), zoneName: z.string().nullish() });

/** `TicketWebhookModel`. */
export const webhookModelSchema = z.looseObject({
  id: z.number(),
  name: str,
  webhookUrl: str,
  deactivationUrl: str,
  secretKey: str,
  isActive: z.boolean().nullish(),
  isReady: z.boolean().nullish(),
  isSubscribedToCreateEvents: z.boolean().nullish(),
  isSubscribedToUpdateEvents: z.boolean().nullish(),
  isSubscribedToDeleteEvents: z.boolean().nullish(),
  notificationEmailAddress: str,
  sendThresholdExceededNotification: z.boolean().nullish(),
  webhookGUID: str,
});
export type AtWebhook = z.infer<typeof webhookModelSchema>;

export const webhookFieldSchema = z.looseObject({
  id: z.number(),
  fieldID: idLike,
  isSubscribedField: z.boolean().nullish(),
  isDisplayAlwaysField: z.boolean().nullish(),
});
export const excludedResourceSchema = z.looseObject({ id: z.number(), resourceID: idLike });

/** A JSON object (what `z.record(z.string(), z.unknown())` accepts), checked without copying its keys. */
const isJsonObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Inbound webhook body after its keys were lower-cased (autotask.md §2: casing varies between sources). Accepts
 * exactly what a loose object with a `fields` record would, but on the acknowledgement path it neither copies the
 * unknown top-level keys (only the keys below are read) nor re-validates every key of `fields` (bench/README.md).
 */
export const webhookBodySchema = z.object({
  action: z.string().nullish(),
  guid: z.string().nullish(),
  entitytype: z.string().nullish(),
  id: z.union([z.number(), z.string()]).nullish(),
  fields: z.custom<Record<string, unknown>>(isJsonObject, { message: 'expected an object' }).nullish(),
  eventtime: z.string().nullish(),
  sequencenumber: z.union([z.number(), z.string()]).nullish(),
  personid: z.union([z.number(), z.string()]).nullish(),
});
