import { z } from 'zod';

import {
  CalendarSchema,
  DurationSchema,
  FieldsMappingSchema,
  GroupSchema,
  MappingSchema,
  NotifierSchema,
  PolicySchema,
  RateLimitSchema,
  instanceModes,
} from '../contract/index.js';

/**
 * The `escalator.yaml` schema, built from the shared contract schemas (src/contract/config.ts). The loader parses
 * it section by section (each calendar, group, rule, instance on its own) so that one bad entry never hides the
 * problems of the others: docs/spec.md §6 wants ALL problems in one run.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Below these the config loads with a warning (tests use short values on purpose; production should not). */
export const advisedMinimums = { dedupeTtlMs: 72 * HOUR, reconcileEveryMs: 30_000, ticketsRetentionMs: DAY } as const;

/** Defaults of docs/spec.md §7. */
export const configDefaults = {
  mode: 'enforce',
  reconcileEveryMs: 5 * MINUTE,
  retention: { auditMs: 90 * DAY, deadLettersMs: 30 * DAY, ticketsMs: 30 * DAY },
  dedupeTtlMs: 72 * HOUR,
} as const;

/** The top level: known keys only; each section is validated by its own schema below. */
export const TopLevelSchema = z
  .object({
    calendars: z.record(z.string(), z.unknown()).default({}),
    tiers: z.array(z.unknown()).min(1),
    notifiers: z.record(z.string(), z.unknown()).default({}),
    groups: z.record(z.string(), z.unknown()).default({}),
    policies: z.record(z.string(), z.unknown()),
    templates: z.record(z.string(), z.unknown()).default({}),
    retention: z.unknown().optional(),
    dedupeTtl: z.unknown().optional(),
    instances: z.array(z.unknown()).min(1),
  })
  .strict();

/** Tier names: `next` is reserved by `escalateTo: next`. */
export const TierNameSchema = z
  .string()
  .min(1)
  .refine((t) => t !== 'next', { message: '"next" is reserved (escalateTo: next), choose another tier name' });

export { CalendarSchema, GroupSchema, NotifierSchema };

/** A policy without its rules: rules are parsed one by one (see the module comment). */
export const PolicyShellSchema = PolicySchema.extend({ rules: z.array(z.unknown()).default([]) });

export const TemplateSchema = z.string().min(1);

export const RetentionSchema = z
  .object({
    // Each becomes a Redis TTL (`PX`), which must be positive.
    audit: DurationSchema.default(configDefaults.retention.auditMs).refine((ms) => ms >= 1_000, {
      message: 'expected at least 1s (90d recommended)',
    }),
    deadLetters: DurationSchema.default(configDefaults.retention.deadLettersMs).refine((ms) => ms >= 1_000, {
      message: 'expected at least 1s (30d recommended)',
    }),
    /** How long the record of a resolved/closed ticket is kept after we last saw it closed (docs/redis-keys.md). */
    tickets: DurationSchema.default(configDefaults.retention.ticketsMs).refine((ms) => ms >= 1_000, {
      message: 'expected at least 1s (30d recommended)',
    }),
  })
  .strict()
  .default({
    audit: configDefaults.retention.auditMs,
    deadLetters: configDefaults.retention.deadLettersMs,
    tickets: configDefaults.retention.ticketsMs,
  });

export const DedupeTtlSchema = DurationSchema.default(configDefaults.dedupeTtlMs).refine((ms) => ms >= 1_000, {
  message: 'expected at least 1s (72h recommended)',
});

/**
 * The PSA-independent part of an instance. Everything else (`connection`, `webhook`, `notes`, …) belongs to the
 * connector's `settingsSchema` and `mapping.members` values to its `memberSchema`; the loader checks unknown keys
 * against the union of both, so this object is loose.
 */
export const instanceBaseSchema = (kinds: readonly [string, ...string[]]) =>
  z.looseObject({
    // The id is a URL path segment (`/webhooks/:instanceId`) and part of Redis keys.
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
      message: 'expected 1-64 letters, digits, ".", "_" or "-" (it appears in the webhook URL)',
    }),
    kind: z.enum(kinds),
    policy: z.string().min(1),
    mode: z.enum(instanceModes).default(configDefaults.mode),
    reconcileEvery: DurationSchema.default(configDefaults.reconcileEveryMs).refine((ms) => ms >= 1_000, {
      message: 'expected at least 1s',
    }),
    rateLimit: RateLimitSchema.optional(),
    // In enforce mode, the backfill's decisions (the first sweep, `reconcile --full`) are proposals unless `enforce`.
    backfill: z.enum(['observe', 'enforce']).default('observe'),
    // Notifiers told about operational problems of this instance (webhook registration drift).
    alerts: z.array(z.string().min(1)).default([]),
    fields: FieldsMappingSchema.optional(),
    // PSA SLA due dates further from ours than this count in psa_escalator_sla_disagreements_total.
    slaDriftTolerance: DurationSchema.default(5 * MINUTE),
    mapping: MappingSchema,
  });

/** Instance keys owned by the loader (never handed to the connector's settings schema, except `mapping`). */
export const instanceBaseKeys = [
  'id',
  'kind',
  'policy',
  'mode',
  'reconcileEvery',
  'rateLimit',
  'backfill',
  'alerts',
  'fields',
  'slaDriftTolerance',
  'mapping',
] as const;

/** Mapping keys every connector understands; a connector may add more through its settings schema. */
export const commonMappingKeys = [
  'tiers',
  'groups',
  'priorities',
  'statuses',
  'members',
  'vipCompanies',
  'usersAffected',
] as const;
