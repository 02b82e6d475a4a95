import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import type { Metrics } from '../../../pipeline/metrics/prometheus.js';

/** Request counter and latency histogram by route template (never the raw URL: bounded label values). */
async function httpMetricsPlugin(app: FastifyInstance, options: { metrics: Metrics }): Promise<void> {
  const { httpRequests, httpDuration } = options.metrics;
  // Callback style: no promise and no microtask per request.
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });
}

export default fp(httpMetricsPlugin, { name: 'psa-escalator/http-metrics' });
