import { z } from 'zod';
import { InstancesResponseSchema, QueuedResponseSchema } from '../../schemas/api.js';
import { errorResponses } from '../../schemas/common.js';
import { apiDoc, knownInstance } from './common.js';
export const IdParams = z.object({ id: z.string().describe('Instance id') });
/** Instance status and on-demand reconciliation. */
export default async function instanceRoutes(app, options) {
    const { services } = options;
    const { deps } = services;
    const r = app.withTypeProvider();
    r.get('/instances', { schema: { ...apiDoc, summary: 'Configured instances and their health', response: { 200: InstancesResponseSchema, ...errorResponses(401, 429, 503) } } }, async () => ({ items: await deps.read.instances() }));
    r.post('/instances/:id/reconcile', {
        schema: {
            ...apiDoc,
            summary: 'Queue a reconciliation sweep of an instance now',
            params: IdParams,
            response: { 202: QueuedResponseSchema, ...errorResponses(401, 404, 429, 503) },
        },
    }, async (req, reply) => {
        const known = knownInstance(services, req.params.id);
        const { jobId } = await deps.pipeline.enqueueReconcile(known.loaded.info.id);
        return reply.code(202).send({ queued: true, jobId });
    });
}
//# sourceMappingURL=instances.js.map