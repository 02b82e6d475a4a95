import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { HttpError } from '../../errors.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices } from '../../services.js';

import { apiDoc } from './common.js';

/**
 * The weekly escalation review (issue 17): a verdict per audit entry, and the share judged appropriate per rule.
 */

/** Audit ids: `<13-digit epoch ms>-<8 hex>`. */
const AuditIdSchema = z
  .string()
  .regex(/^\d{13}-[0-9a-f]{8}$/, { message: 'expected an audit entry id such as 1764000000000-0a1b2c3d' });

export const ReviewBodySchema = z
  .object({ appropriate: z.boolean(), comment: z.string().max(2_000).optional() })
  .strict();

export const ReviewResponseSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  ticketId: z.string(),
  rules: z.array(z.string()),
  appropriate: z.boolean(),
  comment: z.string().optional(),
  reviewedAt: z.string(),
});

export const ReviewSummaryQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe('start of the window (default: 7 days before `to`)'),
    to: z.iso.datetime({ offset: true }).optional().describe('end of the window (default: now)'),
    instance: z.string().min(1).optional(),
  })
  .strict();

export const ReviewSummarySchema = z.object({
  from: z.string(),
  to: z.string(),
  reviewed: z.number().int(),
  appropriate: z.number().int(),
  appropriateShare: z.number().nullable(),
  rules: z.array(
    z.object({
      rule: z.string(),
      reviewed: z.number().int(),
      appropriate: z.number().int(),
      appropriateShare: z.number(),
    }),
  ),
});

export const RcaQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe('requests made from (default: 30 days before `to`)'),
    to: z.iso.datetime({ offset: true }).optional().describe('requests made before (default: now)'),
  })
  .strict();

export const RcaResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  items: z.array(
    z.object({
      instance: z.string(),
      rca: z.object({
        required: z.number().int(),
        done: z.number().int(),
        overdue: z.number().int(),
        open: z.number().int(),
        completionRate: z.number().nullable(),
        overdueTickets: z.array(z.object({ instanceId: z.string(), ticketId: z.string(), requestedAt: z.string() })),
      }),
    }),
  ),
});

function recordReviewRoute(app: FastifyInstance, services: AppServices): void {
  const { read } = services.deps;
  app.withTypeProvider<ZodTypeProvider>().post(
    '/escalations/:id/review',
    {
      schema: {
        ...apiDoc,
        summary: "Record the weekly review's verdict on one escalation (a second review replaces the first)",
        params: z.object({ id: AuditIdSchema }),
        body: ReviewBodySchema,
        response: { 200: ReviewResponseSchema, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => {
      if (!read.review) throw new HttpError('unavailable', 'Reviews are not available in this process');
      const review = await read.review(req.params.id, {
        appropriate: req.body.appropriate,
        ...(req.body.comment !== undefined ? { comment: req.body.comment } : {}),
      });
      if (!review) throw new HttpError('not_found', 'No escalation (audit entry) with this id');
      return review;
    },
  );
}

function reviewSummaryRoute(app: FastifyInstance, services: AppServices): void {
  const { read } = services.deps;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/escalations/reviews',
    {
      schema: {
        ...apiDoc,
        summary: 'Share of reviewed escalations judged appropriate, overall and per rule',
        querystring: ReviewSummaryQuerySchema,
        response: { 200: ReviewSummarySchema, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (req) => {
      if (!read.reviewSummary) throw new HttpError('unavailable', 'Reviews are not available in this process');
      const to = req.query.to ? Date.parse(req.query.to) : services.now().getTime();
      const from = req.query.from ? Date.parse(req.query.from) : to - 7 * 86_400_000;
      if (!(from < to)) throw new HttpError('bad_request', '`from` must be before `to`');
      const summary = await read.reviewSummary({
        from,
        to,
        ...(req.query.instance ? { instance: req.query.instance } : {}),
      });
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...summary };
    },
  );
}

function rcaStatusRoute(app: FastifyInstance, services: AppServices): void {
  const { read } = services.deps;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/escalations/rca',
    {
      schema: {
        ...apiDoc,
        summary: 'RCA follow-ups after emergencies per instance: done, overdue (listed), open, completion rate',
        querystring: RcaQuerySchema,
        response: { 200: RcaResponseSchema, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (req) => {
      if (!read.rcaStatus) throw new HttpError('unavailable', 'RCA status is not available in this process');
      const to = req.query.to ? Date.parse(req.query.to) : services.now().getTime();
      const from = req.query.from ? Date.parse(req.query.from) : to - 30 * 86_400_000;
      if (!(from < to)) throw new HttpError('bad_request', '`from` must be before `to`');
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        items: await read.rcaStatus({ from, to }),
      };
    },
  );
}

export default async function reviewRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  recordReviewRoute(app, options.services);
  reviewSummaryRoute(app, options.services);
  rcaStatusRoute(app, options.services);
}
