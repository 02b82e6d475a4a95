import { z } from 'zod';

/** The PSAs we speak to. Adding one = a folder under `connectors/` + one line in `src/connectors.ts`. */
export const psaKinds = ['connectwise', 'autotask', 'halo'] as const;
export type PsaKind = (typeof psaKinds)[number];

export const statusCategories = [
  'new',
  'open',
  'waiting_customer',
  'waiting_vendor',
  'scheduled',
  'resolved',
  'closed',
] as const;
export type StatusCategory = (typeof statusCategories)[number];
export const StatusCategorySchema = z.enum(statusCategories);

export const priorityNames = ['P1', 'P2', 'P3', 'P4'] as const;
export type PriorityName = (typeof priorityNames)[number];
export const PriorityNameSchema = z.enum(priorityNames);

/** Instants in the model are ISO-8601 strings; inputs take any RFC 3339 offset. */
export const InstantSchema = z.iso.datetime({ offset: true });

const Ref = z.object({ id: z.string(), name: z.string().optional() });

/** Normalized ticket (docs/spec.md §3): one model for all PSAs. */
export const TicketSchema = z.object({
  ref: z.object({ instance: z.string(), psa: z.enum(psaKinds), id: z.string() }),
  number: z.string().optional(),
  title: z.string(),
  description: z.string().optional(),
  /** Newest note not written by us (no marker, not our API identity). */
  latestNote: z.string().optional(),
  /** Newest first, at most 5. */
  recentNotes: z
    .array(
      z.object({
        at: z.string(),
        author: z.string().optional(),
        internal: z.boolean(),
        text: z.string(),
        ours: z.boolean(),
      }),
    )
    .optional(),
  status: z.object({ id: z.string(), name: z.string(), category: StatusCategorySchema }),
  priority: z.object({
    id: z.string(),
    name: z.string(),
    level: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).nullable(),
  }),
  /** ConnectWise board → queue and team → team; Autotask queue → queue; Halo team → team. */
  location: z.object({ queue: Ref.optional(), team: Ref.optional() }),
  tier: z.string().nullable(),
  /** PSA "unassigned" placeholders normalize to null. */
  owner: Ref.nullable(),
  company: z.object({ id: z.string(), name: z.string().optional(), vip: z.boolean() }),
  /** The customer's site / location the ticket is for (ConnectWise site, Autotask company location, Halo site). */
  site: Ref.optional(),
  contact: z
    .object({ id: z.string(), name: z.string().optional(), email: z.string().optional(), vip: z.boolean().optional() })
    .optional(),
  category: z.array(z.string()),
  environment: z.string().optional(),
  affectedSystems: z.string().optional(),
  usersAffected: z.number().optional(),
  impact: z.string().optional(),
  urgency: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  firstRespondedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  psaSla: z
    .object({ respondBy: z.string().optional(), resolveBy: z.string().optional(), met: z.boolean().optional() })
    .optional(),
  /** The PSA's last-modified instant (docs/spec.md §4); older than stored → the job is dropped. */
  version: z.string(),
});
export type Ticket = z.infer<typeof TicketSchema>;
export type TicketNote = NonNullable<Ticket['recentNotes']>[number];
