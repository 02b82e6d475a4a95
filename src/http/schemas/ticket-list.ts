import { z } from 'zod';

import { InstantString } from './common.js';

// GET /api/tickets (issue 16); mirrors src/pipeline/read/ticket-list.ts.

export const TicketListQuerySchema = z.object({
  instance: z.string().min(1).optional().describe('Only this instance (default: every configured instance)'),
  sort: z
    .enum(['risk', 'updated'])
    .default('risk')
    .describe('risk: earliest SLA due instant or scheduled check first; updated: most recently updated first'),
  tier: z.string().min(1).optional().describe('Only tickets in this tier'),
  group: z
    .string()
    .min(1)
    .optional()
    .describe('Only tickets whose queue or team has this name or id (case-insensitive)'),
  company: z.string().min(1).optional().describe('Company id, or a case-insensitive part of its name'),
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Page size (max 500)'),
  cursor: z
    .string()
    .regex(/^\d{1,9}$/)
    .optional()
    .describe('`nextCursor` of the previous page'),
});

export const ListedTicketSchema = z.object({
  instanceId: z.string(),
  psa: z.string(),
  ticketId: z.string(),
  number: z.string().nullable(),
  title: z.string(),
  company: z.string(),
  priority: z.string(),
  tier: z.string().nullable(),
  status: z.string(),
  statusCategory: z.string(),
  owner: z.string().nullable(),
  location: z.string().nullable().describe('Queue or team name'),
  updatedAt: InstantString,
  nextCheckAt: InstantString.nullable().describe(
    'When the engine re-evaluates the ticket next (a time-based rule may fire)',
  ),
  clocks: z
    .array(
      z.object({
        name: z.enum(['firstResponse', 'resolution']),
        dueAt: InstantString,
        paused: z.boolean(),
        breached: z.boolean(),
        usedPct: z.number(),
        businessRemainingMs: z
          .number()
          .describe('Business milliseconds left at `asOf` (negative: overdue by that much)'),
      }),
    )
    .describe('Running SLA clocks (stopped ones omitted)'),
  calendar: z.object({
    name: z.string(),
    timezone: z.string(),
    openNow: z.boolean().describe('Business time is running at `asOf` (calendar open, no clock paused)'),
    nextChangeAt: InstantString.nullable().describe('When the calendar next opens or closes'),
  }),
  nextRules: z.array(z.object({ rule: z.string(), text: z.string() })).describe('Near misses of the last evaluation'),
  risk: z.object({ at: InstantString, kind: z.enum(['sla', 'check']) }).nullable(),
});

export const TicketListResponseSchema = z.object({
  asOf: InstantString.describe('The service clock when the page was computed'),
  total: z.number().int(),
  items: z.array(ListedTicketSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});
