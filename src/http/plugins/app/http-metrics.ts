import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import type { Metrics } from '../../../pipeline/metrics/prometheus.js';

/** Request counter and latency histogram by route template (never the raw URL: bounded label values). */
async function httpMetricsPlugin(app: FastifyInstance, options: { metrics: Metrics }): Promise<void> {
  const { httpRequests, httpDuration } = options.metrics;
  app.addHook('onResponse', async (req, reply) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
}

export default fp(httpMetricsPlugin, { name: 'psa-escalator/http-metrics' });
