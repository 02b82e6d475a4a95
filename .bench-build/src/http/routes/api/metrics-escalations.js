import { HttpError } from '../../errors.js';
import { errorResponses } from '../../schemas/common.js';
import { EscalationMetricsQuerySchema, EscalationMetricsSchema } from '../../schemas/metrics.js';
import { apiDoc, knownInstance } from './common.js';
/** Default window when `from` is omitted. */
const DEFAULT_WINDOW_MS = 7 * 86_400_000;
/** SPEC §5 escalation metrics of one instance over [from, to), computed from the stored ticket histories. */
export default async function escalationMetricsRoutes(app, options) {
    const { services } = options;
    const { read, config } = services.deps;
    app.withTypeProvider().get('/metrics/escalations', {
        schema: {
            ...apiDoc,
            summary: 'Escalation metrics per tier (rates, medians, near misses), FCR, MTTR, SLA attainment and the Tier 3 audit',
            querystring: EscalationMetricsQuerySchema,
            response: { 200: EscalationMetricsSchema, ...errorResponses(400, 401, 404, 429, 503) },
        },
    }, async (req) => {
        const only = config.instances.length === 1 ? config.instances[0]?.info.id : undefined;
        const id = req.query.instance ?? only;
        if (id === undefined)
            throw new HttpError('bad_request', 'instance is required when more than one instance is configured');
        const instance = knownInstance(services, id).loaded.info.id;
        const to = req.query.to === undefined ? services.now().getTime() : Date.parse(req.query.to);
        const from = req.query.from === undefined ? to - DEFAULT_WINDOW_MS : Date.parse(req.query.from);
        if (!(from < to))
            throw new HttpError('bad_request', '`from` must be before `to`');
        if (!read.escalationMetrics)
            throw new HttpError('unavailable', 'Escalation metrics are not available in this process');
        return read.escalationMetrics({ instance, from, to });
    });
}
//# sourceMappingURL=metrics-escalations.js.map