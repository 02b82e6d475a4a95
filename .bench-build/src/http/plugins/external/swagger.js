import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { createJsonSchemaTransform } from 'fastify-type-provider-zod';
/** The OpenAPI 3 document, generated from the routes' zod schemas (never hand-written: STYLE rule 6). */
export const openapiInfo = {
    title: 'psa-escalator',
    description: 'Escalation middleware for MSP help desks: ConnectWise PSA, Autotask and HaloPSA webhooks in, reassignments and ' +
        'handoff notes out. `/api/*` requires `Authorization: Bearer $ADMIN_TOKEN`.',
    version: '1.0.0',
};
async function swaggerPlugin(app, options) {
    await app.register(swagger, {
        openapi: {
            openapi: '3.0.3',
            info: openapiInfo,
            tags: [
                { name: 'webhooks', description: 'PSA deliveries (authenticated per PSA on the raw body)' },
                { name: 'health', description: 'Liveness, readiness and Prometheus metrics' },
                { name: 'api', description: 'Admin API (bearer token)' },
            ],
            components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
        },
        // Schemas are inlined (no global-registry components), so the document depends on our routes only.
        transform: createJsonSchemaTransform({ skipList: [] }),
    });
    if (options.ui)
        await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
export default fp(swaggerPlugin, { name: 'psa-escalator/swagger' });
//# sourceMappingURL=swagger.js.map