import { z } from 'zod';

import { PriorityNameSchema, StatusCategorySchema, statusCategories } from './ticket.js';

/**
 * The parts of `escalator.yaml` that the engine, the pipeline and the connectors share (docs/spec.md §2, §7).
 * `src/config/` owns loading (YAML, `${ENV}` interpolation, line numbers, cross-references); connectors add
 * their own `connection` / `webhook` / `notes` schemas through `PsaConnector.settingsSchema`.
 */

const durationUnits = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `<int>[s|m|h|d]`; a bare number means minutes. Returns milliseconds, or null when invalid. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value * 60_000 : null;
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(value);
  if (!m) return null;
  const unit = (m[2] || 'm') as keyof typeof durationUnits;
  return Number(m[1]) * durationUnits[unit];
}

/** A duration in the YAML, parsed to **milliseconds**. */
export const DurationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "2h", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v): z.output<T>[] => (Array.isArray(v) ? v : [v]));

/** A PSA id (number or numeric string) or a name. */
export const IdOrNameSchema = z.union([z.number(), z.string().min(1)]);
export type IdOrName = z.infer<typeof IdOrNameSchema>;

// ---------------------------------------------------------------- calendars
const HHMM = /^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;
export const HoursValueSchema = z.string().refine(
  (v) =>
    v.split(',').every(
      (r) =>
        HHMM.test(r.trim()) &&
        r
          .trim()
          .split('-')
          .every((t) => t <= '24:00'),
    ),
  { message: 'expected comma-separated HH:MM-HH:MM ranges within 00:00-24:00' },
);
export const dayNames = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const dayToken = `(?:${dayNames.join('|')})`;
const dayKeyRe = new RegExp(`^${dayToken}(?:-${dayToken})?(?:\\s*,\\s*${dayToken}(?:-${dayToken})?)*$`);
export const CalendarSchema = z
  .object({
    timezone: z.string().min(1),
    hours: z.record(
      z.string().regex(dayKeyRe, { message: 'expected a day (mon), a range (mon-fri) or a comma list' }),
      HoursValueSchema,
    ),
    holidays: z.array(z.iso.date()).default([]),
    /**
     * Date-specific hours (`"2026-12-24": ["08:00-12:00"]`) replacing that date's weekday hours; an empty list closes
     * the date. An override wins over a holiday on the same date.
     */
    overrides: z.record(z.iso.date(), z.array(HoursValueSchema)).optional(),
  })
  .strict();
export type CalendarConfig = z.infer<typeof CalendarSchema>;

// ---------------------------------------------------------------- rules
const Comparison = z
  .object({ gte: z.number(), gt: z.number(), lte: z.number(), lt: z.number(), eq: z.number() })
  .partial()
  .strict()
  .refine((c) => Object.keys(c).length > 0, { message: 'expected one of gte, gt, lte, lt, eq' });
export type Comparison = z.infer<typeof Comparison>;

const Pct = z.object({ gte: z.number().positive() }).strict();
const SlaUsed = z
  .object({ firstResponse: Pct, resolution: Pct, any: Pct })
  .partial()
  .strict()
  .refine((c) => Object.keys(c).length > 0, { message: 'expected firstResponse, resolution or any' });

const StatusCondition = z.union([
  oneOrMany(StatusCategorySchema),
  z.object({ not: oneOrMany(StatusCategorySchema) }).strict(),
]);

export const recurringSameFields = ['company', 'category'] as const;

/**
 * Names one `recurring` window in `state.recurringCounts`: `<within in ms>:<same fields, sorted, comma-joined>`,
 * e.g. `86400000:category,company` for `{ within: 24h, same: [company, category] }`. Rules that share a window share
 * its count.
 */
export function recurringKey(withinMs: number, same: readonly string[]): string {
  return `${withinMs}:${[...same].sort().join(',')}`;
}

export interface ConditionInput {
  tier?: string | string[];
  priority?: string | string[];
  status?: unknown;
  text?: string | string[];
  category?: string | string[];
  usersAffected?: unknown;
  vip?: boolean;
  owner?: 'none';
  age?: unknown;
  timeInTier?: unknown;
  slaUsed?: unknown;
  recurring?: unknown;
  outsideCalendar?: string;
  notPickedUpFor?: unknown;
  updateOverdue?: boolean;
  any?: ConditionInput[];
  all?: ConditionInput[];
}

const conditionShape = {
  tier: oneOrMany(z.string().min(1)),
  priority: oneOrMany(PriorityNameSchema),
  status: StatusCondition,
  text: oneOrMany(z.string().min(1)),
  category: oneOrMany(z.string().min(1)),
  usersAffected: Comparison,
  vip: z.boolean(),
  owner: z.literal('none'),
  age: DurationSchema,
  timeInTier: DurationSchema,
  slaUsed: SlaUsed,
  recurring: z
    .object({
      count: z.number().int().min(1),
      within: DurationSchema,
      same: z.array(z.enum(recurringSameFields)).min(1),
    })
    .strict(),
  outsideCalendar: z.string().min(1),
  /** Business time since our latest move without the new owner working the ticket (note, time entry, status). */
  notPickedUpFor: DurationSchema,
  /** The "Next update by" instant of our latest customer note passed without a customer-visible update. */
  updateOverdue: z.literal(true),
};

type ConditionBase = { [K in keyof typeof conditionShape]?: z.output<(typeof conditionShape)[K]> };
export type Condition = ConditionBase & { any?: Condition[]; all?: Condition[] };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .object({
      ...conditionShape,
      any: z.array(ConditionSchema).min(1),
      all: z.array(ConditionSchema).min(1),
    })
    .partial()
    .strict(),
) as unknown as z.ZodType<Condition>;

export const ruleKinds = ['tiered', 'functional', 'hierarchical', 'emergency'] as const;
export type RuleKind = (typeof ruleKinds)[number];

export const ThenSchema = z
  .object({
    escalateTo: z.string().min(1),
    group: z.string().min(1),
    priority: PriorityNameSchema,
    note: z.string().min(1),
    customerNote: z.boolean(),
    notify: oneOrMany(z.string().min(1)),
    tag: z.string().min(1),
  })
  .partial()
  .strict();
export type Then = z.infer<typeof ThenSchema>;

export const RuleSchema = z
  .object({ id: z.string().min(1), kind: z.enum(ruleKinds), when: ConditionSchema, then: ThenSchema })
  .strict();
export type Rule = z.infer<typeof RuleSchema>;

// ---------------------------------------------------------------- policies
export const handoffSections = [
  'customer',
  'contact',
  'environment',
  'summary',
  'stepsTaken',
  'rootCause',
  'urgency',
  'slaDeadline',
  'impact',
] as const;
export type HandoffSection = (typeof handoffSections)[number];

const SlaTarget = z
  .object({ firstResponse: DurationSchema, resolution: DurationSchema, calendar: z.string().min(1).optional() })
  .strict();
export type SlaTarget = z.infer<typeof SlaTarget>;

/**
 * `calendarFor` entries: the calendar of a customer (company id or name) or of a site (site id or name). The first
 * entry matching the ticket wins; no match → the policy's `calendar`.
 */
export const CalendarForSchema = z.union([
  z.object({ company: oneOrMany(IdOrNameSchema), calendar: z.string().min(1) }).strict(),
  z.object({ site: oneOrMany(IdOrNameSchema), calendar: z.string().min(1) }).strict(),
]);

/**
 * `rca`: a root-cause analysis after the tickets `after` names — rule kinds (`emergency`: an emergency rule fired on
 * the ticket) and/or tier names (we moved the ticket into that tier). On resolve: an internal "RCA required" note with
 * the escalation timeline and a call to `notify`; done when a person writes a note starting with `heading` within
 * `within` (whole days = business days of the ticket's calendar, ending at the close of the last one), else overdue
 * (notified once).
 */
export const RcaSchema = z
  .object({
    after: z.array(z.string().min(1)).min(1),
    within: DurationSchema.default(5 * 86_400_000),
    heading: z.string().min(1).default('RCA:'),
    notify: oneOrMany(z.string().min(1)).default([]),
    /** A `templates` name rendered instead of the built-in note ({{ticket.*}} fields; the timeline is appended). */
    template: z.string().min(1).optional(),
  })
  .strict();

export const PolicySchema = z
  .object({
    calendar: z.string().min(1),
    rca: RcaSchema.optional(),
    calendarFor: z.array(CalendarForSchema).default([]),
    sla: z.object({ P1: SlaTarget, P2: SlaTarget, P3: SlaTarget, P4: SlaTarget }).partial().strict().default({}),
    vip: z
      .object({ slaFactor: z.number().positive().max(1).default(1) })
      .strict()
      .default({ slaFactor: 1 }),
    pauseOn: z.array(StatusCategorySchema).default([]),
    limits: z
      .object({
        maxAutoEscalationsPerDay: z.number().int().min(0).default(3),
        respectManualChangesFor: DurationSchema.default(4 * 3_600_000),
      })
      .strict()
      .default({ maxAutoEscalationsPerDay: 3, respectManualChangesFor: 4 * 3_600_000 }),
    handoff: z
      .object({
        required: z.array(z.enum(handoffSections)).default([...handoffSections]),
        onMissing: z.enum(['flag', 'block']).default('flag'),
      })
      .strict()
      .default({ required: [...handoffSections], onMissing: 'flag' }),
    rules: z.array(RuleSchema).default([]),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

// ---------------------------------------------------------------- groups, notifiers
export const assignStrategies = ['round-robin', 'least-loaded', 'oncall', 'none'] as const;
export const GroupSchema = z
  .object({
    assign: z.enum(assignStrategies).default('none'),
    members: z.array(z.string().min(1)).default([]),
    oncall: z
      .object({
        rotation: z.array(z.string().min(1)).min(1),
        start: z.iso.datetime({ offset: true }),
        every: DurationSchema,
      })
      .strict()
      .optional(),
  })
  .strict();
export type GroupConfig = z.infer<typeof GroupSchema>;

/**
 * `quietHours`: outside `calendar`, notifications of other rule kinds than `except` are held (in Redis) and delivered
 * as one digest when the calendar opens; `except` kinds (default: emergency) always go at once.
 */
export const QuietHoursSchema = z
  .object({
    calendar: z.string().min(1),
    except: z.array(z.enum(['tiered', 'functional', 'hierarchical', 'emergency'])).default(['emergency']),
  })
  .strict();

export const NotifierSchema = z
  .object({
    kind: z.enum(['webhook', 'slack']),
    url: z.url({ protocol: /^https?$/ }),
    quietHours: QuietHoursSchema.optional(),
  })
  .strict();
export type NotifierConfig = z.infer<typeof NotifierSchema>;

// ---------------------------------------------------------------- instances (PSA-independent part)
/** A location in one PSA: ConnectWise `{board, team}`, Autotask `{queueID}`, Halo `{team}` (name). */
export const LocationSchema = z.record(z.string(), z.union([z.number(), z.string().min(1)]));
export type Location = z.infer<typeof LocationSchema>;

/**
 * Where a handoff field comes from, per instance (`fields:`): a standard ticket field (picklists show their label;
 * several are joined with " / ") or a user-defined/custom field by name (Autotask UDF, ConnectWise custom field
 * caption, Halo custom field name). See docs/psa-handoff-fields.md.
 */
export const FieldSourceSchema = z.union([
  z.object({ field: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).strict(),
  z.object({ udf: z.string().min(1) }).strict(),
]);
export type FieldSource = z.infer<typeof FieldSourceSchema>;
/** Ticket model fields a `fields:` entry can fill (the handoff note's environment, urgency and impact sections). */
export const mappableFields = ['environment', 'urgency', 'impact', 'affectedSystems'] as const;
export const FieldsMappingSchema = z
  .object({
    environment: FieldSourceSchema,
    urgency: FieldSourceSchema,
    impact: FieldSourceSchema,
    affectedSystems: FieldSourceSchema,
  })
  .partial()
  .strict();
export type FieldsMapping = z.infer<typeof FieldsMappingSchema>;

export const MappingSchema = z
  .object({
    tiers: z.record(z.string(), z.union([LocationSchema, z.array(LocationSchema).min(1)])).default({}),
    groups: z.record(z.string(), LocationSchema).default({}),
    priorities: z
      .object({
        P1: oneOrMany(IdOrNameSchema),
        P2: oneOrMany(IdOrNameSchema),
        P3: oneOrMany(IdOrNameSchema),
        P4: oneOrMany(IdOrNameSchema),
      })
      .partial()
      .strict()
      .default({}),
    statuses: z.partialRecord(z.enum(statusCategories), z.array(IdOrNameSchema)).default({}),
    /** Group member name → the PSA identity (connector-specific shape, checked by the connector's settings schema). */
    members: z.record(z.string(), z.unknown()).default({}),
    vipCompanies: z.array(IdOrNameSchema).default([]),
    usersAffected: z
      .union([
        z.object({ customField: z.string().min(1) }).strict(),
        z.object({ fromImpact: z.record(z.string(), z.number().int().min(0)) }).strict(),
      ])
      .optional(),
  })
  .catchall(z.unknown());
export type Mapping = z.infer<typeof MappingSchema>;

export const RateLimitSchema = z
  .object({
    requests: z.number().int().positive(),
    per: DurationSchema,
    concurrency: z.number().int().positive().optional(),
  })
  .strict();
export type RateLimit = z.infer<typeof RateLimitSchema>;

export const instanceModes = ['enforce', 'observe'] as const;
export type InstanceMode = (typeof instanceModes)[number];
