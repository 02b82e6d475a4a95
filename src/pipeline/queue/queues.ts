import { hash } from 'node:crypto';

import { z } from 'zod';

/**
 * Queue layout (docs/spec.md §4 Pipeline):
 * - `events`: one job per accepted webhook delivery, deduplicated by `<instance>:<event id>` (BullMQ throttle-mode
 *   deduplication with a TTL of `dedupeTtl`, which survives `removeOnComplete` — docs/reliability.md §2). Acking after this
 *   add means the event is in Redis (AOF). An events worker turns it into a ticket job.
 * - `tickets`: at most one job per ticket, deduplicated by ticket with `keepLastIfActive` and delayed by
 *   `DEBOUNCE_MS`: a burst collapses into one evaluation, an event during a running job stores exactly one follow-up,
 *   and no two jobs for one ticket are ever in the queue at once.
 * - `control`: reconciliation sweeps and webhook registration checks.
 */
export const queueNames = { events: 'events', tickets: 'tickets', control: 'control' } as const;

/** One per worker process, consumed only by that process's workers: its heartbeat proves they consume (heartbeat.ts). */
export const heartbeatQueueName = (processId: string): string => `hb-${processId}`;

export const triggers = ['webhook', 'scheduled', 'reconcile', 'dead_letter_retry', 'manual', 'backfill'] as const;
export type Trigger = (typeof triggers)[number];

/** Job data never carries secrets: ids and hints only (docs/reliability.md §2 "Security"). */
export const EventJobSchema = z.object({
  instanceId: z.string(),
  ticketId: z.string(),
  action: z.enum(['created', 'updated', 'deleted']),
  eventId: z.string(),
  actor: z.string().optional(),
  version: z.string().optional(),
  receivedAt: z.number(),
  requestId: z.string().optional(),
});
export type EventJob = z.infer<typeof EventJobSchema>;

export const TicketJobSchema = z.object({
  instanceId: z.string(),
  ticketId: z.string(),
  trigger: z.enum(triggers),
  /** The webhook said the ticket was deleted: believed only when the fetch confirms it (process-ticket.ts). */
  deleted: z.boolean().optional(),
  /** When the newest event behind this job arrived (queue lag metrics). */
  enqueuedAt: z.number(),
  /** Dead-letter retries name the letter they replace. */
  deadLetterId: z.string().optional(),
});
export type TicketJob = z.infer<typeof TicketJobSchema>;

export const ControlJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('reconcile'),
    instanceId: z.string(),
    requestedAt: z.number(),
    full: z.boolean().optional(),
  }),
  z.object({ kind: z.literal('registration_check'), instanceId: z.string(), requestedAt: z.number() }),
  /** A notifier dead letter retried from the API: its notifications are re-sent (notifier-retry.ts). */
  z.object({
    kind: z.literal('notifier_retry'),
    instanceId: z.string(),
    requestedAt: z.number(),
    ticketId: z.string(),
    auditId: z.string().optional(),
    actions: z.array(z.object({ type: z.string(), rule: z.string() }).passthrough()),
  }),
]);

/** Dedupe id of one delivery (BullMQ keeps it as `bull:events:de:<id>`). */
export const eventDedupeId = (instanceId: string, eventId: string): string =>
  `ev-${hash('sha256', `${instanceId}\n${eventId}`, 'hex').slice(0, 40)}`;

/** Dedupe id of one ticket in the `tickets` queue. */
export const ticketDedupeId = (instanceId: string, ticketId: string): string =>
  `tk-${hash('sha256', `${instanceId}\n${ticketId}`, 'hex').slice(0, 40)}`;

/** Completed jobs are removed quickly (their dedupe keys outlive them); failed ones are kept for a week. */
export const retention = {
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 7 * 86_400, count: 10_000 },
} as const;
