import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import { HttpError } from '../../errors.js';
import { errorResponses } from '../../schemas/common.js';
import {
  AggregateEscalationMetricsSchema,
  EscalationMetricsQuerySchema,
  EscalationMetricsSchema,
} from '../../schemas/metrics.js';
import { z } from 'zod';
import type { AppServices } from '../../services.js';

import { apiDoc, knownInstance } from './common.js';

/** Default window when `from` is omitted. */
const DEFAULT_WINDOW_MS = 7 * 86_400_000;

/** docs/spec.md §5 escalation metrics of one instance over [from, to), computed from the stored ticket histories. */
export default async function escalationMetricsRoutes(
  app: FastifyInstance,
  options: { services: AppServices },
): Promise<void> {
  const { services } = options;
  const { read } = services.deps;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics/escalations',
    {
      schema: {
        ...apiDoc,
        summary:
          'Escalation metrics per tier (rates, medians, near misses), FCR, MTTR, SLA attainment, the Tier 3 audit, review verdicts, RCA status, breakdowns and patterns',
        querystring: EscalationMetricsQuerySchema,
        response: {
          200: z.union([EscalationMetricsSchema, AggregateEscalationMetricsSchema]),
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (req) => {
      const instance =
        req.query.instance === undefined ? undefined : knownInstance(services, req.query.instance).loaded.info.id;
      const to = req.query.to === undefined ? services.now().getTime() : Date.parse(req.query.to);
      const from = req.query.from === undefined ? to - DEFAULT_WINDOW_MS : Date.parse(req.query.from);
      if (!(from < to)) throw new HttpError('bad_request', '`from` must be before `to`');
      if (!read.followThrough)
        throw new HttpError('unavailable', 'Escalation metrics are not available in this process');
      if (instance !== undefined) {
        if (!read.escalationMetrics)
          throw new HttpError('unavailable', 'Escalation metrics are not available in this process');
        const [m, f] = await Promise.all([
          read.escalationMetrics({ instance, from, to }),
          read.followThrough({ from, to }),
        ]);
        return { ...m, ...f.byInstance[instance]! };
      }
      // No instance: every instance together (`instance: null`) and each one in `byInstance`.
      if (!read.escalationMetricsAll)
        throw new HttpError('unavailable', 'Escalation metrics are not available in this process');
      const [m, f] = await Promise.all([read.escalationMetricsAll({ from, to }), read.followThrough({ from, to })]);
      const byInstance = Object.fromEntries(
        Object.entries(m.byInstance).map(([id, one]) => [id, { ...one, ...f.byInstance[id]! }]),
      );
      return { ...m, ...f.all, byInstance };
    },
  );
}
