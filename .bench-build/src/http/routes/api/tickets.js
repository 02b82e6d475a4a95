import { z } from 'zod';
import { HttpError } from '../../errors.js';
import { TicketViewSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import { apiDoc, knownInstance } from './common.js';
const Params = z.object({ instanceId: z.string(), ticketId: z.string() });
/** One ticket as we know it: normalized ticket, tier, clocks, next check and decision history. */
export default async function ticketRoutes(app, options) {
    const { services } = options;
    app.withTypeProvider().get('/tickets/:instanceId/:ticketId', {
        schema: {
            ...apiDoc,
            summary: 'A ticket with its tier, clocks, next check and decision history',
            params: Params,
            response: { 200: TicketViewSchema, ...errorResponses(401, 404, 429, 503) },
        },
    }, async (req) => {
        const known = knownInstance(services, req.params.instanceId);
        const view = await services.deps.read.ticket(known.loaded.info.id, req.params.ticketId);
        if (!view)
            throw new HttpError('not_found', 'No state is stored for this ticket');
        return view;
    });
}
//# sourceMappingURL=tickets.js.map