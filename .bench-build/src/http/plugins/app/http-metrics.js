import fp from 'fastify-plugin';
/** Request counter and latency histogram by route template (never the raw URL: bounded label values). */
async function httpMetricsPlugin(app, options) {
    const { httpRequests, httpDuration } = options.metrics;
    app.addHook('onResponse', async (req, reply) => {
        const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
        httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
        httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    });
}
export default fp(httpMetricsPlugin, { name: 'psa-escalator/http-metrics' });
//# sourceMappingURL=http-metrics.js.map