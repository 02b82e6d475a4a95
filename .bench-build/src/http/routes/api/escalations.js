import { EscalationsQuerySchema, EscalationsResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import { apiDoc } from './common.js';
/** The audit trail: decisions with actions, newest first, cursor-paged. */
export default async function escalationRoutes(app, options) {
    const { read } = options.services.deps;
    app.withTypeProvider().get('/escalations', {
        schema: {
            ...apiDoc,
            summary: 'Audit entries (decisions with actions), newest first',
            querystring: EscalationsQuerySchema,
            response: { 200: EscalationsResponseSchema, ...errorResponses(400, 401, 429, 503) },
        },
    }, async (req) => {
        const { instance, rule, since, limit, cursor } = req.query;
        const query = { limit };
        if (instance !== undefined)
            query.instance = instance;
        if (rule !== undefined)
            query.rule = rule;
        if (since !== undefined)
            query.since = new Date(since).toISOString();
        if (cursor !== undefined)
            query.cursor = cursor;
        return read.escalations(query);
    });
}
//# sourceMappingURL=escalations.js.map