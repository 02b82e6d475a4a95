import { z } from 'zod';

import {
  InstantSchema,
  PriorityNameSchema,
  StatusCategorySchema,
  TicketStateSchema,
  psaKinds,
} from '../contract/index.js';
import type { Ticket } from '../contract/index.js';
import { formatInstant, parseInstant } from './time.js';

/**
 * The lenient ticket input of `POST /api/evaluate` and the `evaluate` CLI (docs/spec.md §4 "Evaluate input"): required
 * `title, status, priority, company, createdAt` and `location` or `tier`; everything else defaults. Shorthands a
 * person types by hand are accepted: `"status": "open"`, `"priority": "P2"`, `"company": "Acme"`, `"owner": "alice"`,
 * `"category": "Network/Firewall"`. Instants take any RFC 3339 offset and come out as `YYYY-MM-DDTHH:mm:ssZ`.
 */

const Instant = InstantSchema.transform((s) => formatInstant(parseInstant(s)));
const Id = z.union([z.string(), z.number()]).transform(String);
const Ref = z.object({ id: Id, name: z.string().optional() });

const Status = z.union([
  StatusCategorySchema.transform((category) => ({ id: category, name: category, category })),
  z.object({ id: Id.optional(), name: z.string().optional(), category: StatusCategorySchema }).transform((s) => ({
    id: s.id ?? s.category,
    name: s.name ?? s.category,
    category: s.category,
  })),
]);

const Level = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
const levelOf = (name: string | undefined): 1 | 2 | 3 | 4 | null => {
  const parsed = PriorityNameSchema.safeParse(name?.trim().toUpperCase());
  return parsed.success ? (Number(parsed.data.slice(1)) as 1 | 2 | 3 | 4) : null;
};
const Priority = z.union([
  PriorityNameSchema.transform((name) => ({ id: name, name, level: levelOf(name) })),
  z.object({ id: Id.optional(), name: z.string().optional(), level: Level.nullable().optional() }).transform((p) => {
    const level = p.level === undefined ? levelOf(p.name) : p.level;
    return { id: p.id ?? p.name ?? (level ? `P${level}` : ''), name: p.name ?? (level ? `P${level}` : ''), level };
  }),
]);

const Company = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ id: name, name, vip: false })),
  z.object({ id: Id, name: z.string().optional(), vip: z.boolean().default(false) }),
]);

const Owner = z
  .union([
    z
      .string()
      .min(1)
      .transform((name) => ({ id: name, name })),
    Ref,
  ])
  .nullable();

const Category = z.union([
  z.string().transform((path) =>
    path
      .split('/')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ),
  z.array(z.string()),
]);

const Note = z.object({
  at: Instant,
  author: z.string().optional(),
  internal: z.boolean().default(true),
  text: z.string(),
  ours: z.boolean().default(false),
});

const Shape = z.object({
  ref: z
    .object({ instance: z.string().default(''), psa: z.enum(psaKinds).default('connectwise'), id: Id.default('') })
    .default({ instance: '', psa: 'connectwise', id: '' }),
  number: Id.optional(),
  title: z.string(),
  description: z.string().optional(),
  latestNote: z.string().optional(),
  recentNotes: z.array(Note).max(50).optional(),
  status: Status,
  priority: Priority,
  location: z.object({ queue: Ref.optional(), team: Ref.optional() }).optional(),
  tier: z.string().min(1).nullable().optional(),
  owner: Owner.default(null),
  company: Company,
  contact: z
    .object({
      id: Id.default(''),
      name: z.string().optional(),
      email: z.string().optional(),
      vip: z.boolean().optional(),
    })
    .optional(),
  category: Category.default([]),
  environment: z.string().optional(),
  affectedSystems: z.string().optional(),
  usersAffected: z.number().int().min(0).optional(),
  impact: z.string().optional(),
  urgency: z.string().optional(),
  createdAt: Instant,
  updatedAt: Instant.optional(),
  firstRespondedAt: Instant.optional(),
  resolvedAt: Instant.optional(),
  psaSla: z
    .object({ respondBy: Instant.optional(), resolveBy: Instant.optional(), met: z.boolean().optional() })
    .optional(),
  version: z.string().optional(),
});

/** Lenient ticket input → a full `Ticket` (absent `tier` → null: derived from `location` by the engine). */
export const EvaluateTicketSchema: z.ZodType<Ticket> = Shape.superRefine((t, ctx) => {
  if (t.location === undefined && (t.tier === undefined || t.tier === null)) {
    ctx.addIssue({ code: 'custom', path: ['location'], message: 'expected location or tier' });
  }
}).transform((t): Ticket => {
  const { location, tier, updatedAt, version, ...rest } = t;
  const updated = updatedAt ?? t.createdAt;
  return { ...rest, location: location ?? {}, tier: tier ?? null, updatedAt: updated, version: version ?? updated };
});

/** `{ticket, state?}` as the CLI reads it from a file, and the body of `POST /api/evaluate` minus `instanceId`. */
export const EvaluateRequestSchema = z.object({
  instanceId: z.string().min(1),
  ticket: EvaluateTicketSchema,
  state: TicketStateSchema.optional(),
  now: InstantSchema.optional(),
});
