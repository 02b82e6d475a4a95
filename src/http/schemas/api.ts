import { z } from 'zod';

import { TicketSchema, TicketStateSchema, psaKinds } from '../../contract/index.js';

import { InstantString } from './common.js';
import { ClocksSchema, DecisionSchema } from './decision.js';

// Response schemas of /api/* (docs/spec.md §5). They mirror src/pipeline/types.ts (the read-model seam).

export const InstanceStatusSchema = z.object({
  id: z.string(),
  kind: z.string().describe(`PSA kind: ${psaKinds.join(' | ')}`),
  mode: z.enum(['enforce', 'observe']),
  webhook: z.enum(['unknown', 'active', 'inactive', 'missing', 'deactivation_reported']),
  lastEventAt: InstantString.nullable(),
  queueLag: z.number().describe('Seconds the oldest waiting event of this instance has waited'),
  rateLimit: z.object({ requests: z.number(), perMs: z.number(), pausedUntil: InstantString.nullable() }),
  psa: z
    .enum(['ok', 'unreachable', 'auth_failed', 'rate_limited', 'unknown'])
    .describe(
      'PSA health: unknown until the first call, then what the latest call said (see psaCheckedAt, psaLastError)',
    ),
  psaCheckedAt: InstantString.nullable()
    .optional()
    .describe('When the PSA was last called; null before the first call'),
  psaLastError: z
    .object({ code: z.string(), at: InstantString })
    .nullable()
    .optional()
    .describe('The latest PSA error code and when it happened (kept after the PSA recovered); null when none was seen'),
  breaker: z
    .object({ state: z.enum(['closed', 'open']), openedAt: InstantString.nullable() })
    .optional()
    .describe('Circuit breaker: open after repeated 5xx/timeouts, then one probe call per interval until one succeeds'),
  backfill: z
    .object({
      listed: z.number().int().describe('Open tickets listed so far'),
      evaluated: z.number().int().describe('Listed tickets evaluated (each counts once)'),
      remaining: z.number().int().describe('Listed tickets not evaluated yet'),
      startedAt: InstantString,
      completedAt: InstantString.nullable().describe('When the last listed ticket was evaluated; null while running'),
      listing: z.boolean().describe('True while the open-ticket listing still has pages to read'),
    })
    .nullable()
    .optional()
    .describe('Backfill (first sweep or a --full reconcile): every open ticket evaluated once; null when none ran'),
});
export const InstancesResponseSchema = z.object({ items: z.array(InstanceStatusSchema) });

export const ResultStatusSchema = z.enum(['applied', 'proposed', 'skipped', 'failed', 'dead_letter']);

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: InstantString,
  instanceId: z.string(),
  psa: z.string(),
  ticketId: z.string(),
  mode: z.enum(['enforce', 'observe']),
  trigger: z.string().optional().describe('webhook, scheduled, reconcile, dead_letter_retry, …'),
  decision: DecisionSchema,
  results: z.array(
    z.object({
      action: z.string(),
      actionId: z.string().optional(),
      status: ResultStatusSchema,
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  event: z.string().optional().describe('Non-decision events such as ticket_gone'),
});

export const EscalationsResponseSchema = z.object({
  items: z.array(AuditEntrySchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page'),
});

export const EscalationsQuerySchema = z.object({
  instance: z.string().min(1).optional().describe('Only this instance'),
  rule: z.string().min(1).optional().describe('Only decisions in which this rule fired'),
  since: z.iso.datetime({ offset: true }).optional().describe('Only entries at or after this instant'),
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Page size (max 500)'),
  cursor: z.string().min(1).optional().describe('`nextCursor` of the previous page'),
});

export const TicketViewSchema = z.object({
  ticket: TicketSchema,
  // Not the strict input schema: extra stored fields are stripped from the answer instead of failing it.
  state: z.object(TicketStateSchema.shape),
  tier: z.string().nullable(),
  clocks: ClocksSchema,
  nextCheckAt: InstantString.nullable(),
  decisions: z.array(AuditEntrySchema),
  psaSla: z
    .object({ respondBy: z.string().optional(), resolveBy: z.string().optional(), met: z.boolean().optional() })
    .nullable()
    .optional()
    .describe("The PSA's own SLA due dates as last read; null when it exposes none"),
  slaDrift: z
    .object({ firstResponse: z.number().nullable(), resolution: z.number().nullable() })
    .optional()
    .describe('Minutes the PSA due date lies after ours (negative: before), per clock; null when either side has none'),
});

export const DeadLetterSchema = z.object({
  id: z.string(),
  at: InstantString,
  instanceId: z.string(),
  ticketId: z.string(),
  actions: z.array(z.unknown()),
  error: z.object({ code: z.string(), message: z.string() }),
});
export const DeadLettersResponseSchema = z.object({ items: z.array(DeadLetterSchema) });

export const RegistrationResponseSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  removed: z.number().int(),
  manualSteps: z
    .array(z.string())
    .optional()
    .describe('Steps an admin must do by hand (the API user lacks a permission)'),
});

export const QueuedResponseSchema = z.object({ queued: z.literal(true), jobId: z.string() });
export const RetryResponseSchema = z.object({ queued: z.literal(true) });
