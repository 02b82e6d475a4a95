import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Registers a metric on the service's registry (prom-client's `registers` option). */
interface On {
  registers: Registry[];
}

/** Inbound HTTP: every request, and webhook deliveries by outcome. */
function httpMetrics(reg: On) {
  return {
    httpRequests: new Counter({
      name: 'psa_escalator_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      ...reg,
    }),
    httpDuration: new Histogram({
      name: 'psa_escalator_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      ...reg,
    }),
    webhookEvents: new Counter({
      name: 'psa_escalator_webhook_events_total',
      help: 'Webhook deliveries by instance and outcome (accepted, duplicate, ignored_*, unauthorized, bad_request, too_large, key_unavailable, unavailable)',
      labelNames: ['instance', 'outcome'],
      ...reg,
    }),
  };
}

/** Webhook registrations at the PSA: deactivations, drift and ConnectWise signing keys. */
function webhookRegistrationMetrics(reg: On) {
  return {
    webhookDeactivations: new Counter({
      name: 'psa_escalator_webhook_deactivations_total',
      help: 'Deactivation notices and disabled registrations found',
      labelNames: ['instance'],
      ...reg,
    }),
    keyUnavailable: new Counter({
      name: 'psa_escalator_signing_key_unavailable_total',
      help: 'ConnectWise callbacks refused because the signing key could not be fetched',
      labelNames: ['instance'],
      ...reg,
    }),
    registrationDrift: new Counter({
      name: 'psa_escalator_webhook_registration_drift_total',
      help: 'Webhook registration found inactive or missing by a check, by instance and state',
      labelNames: ['instance', 'state'],
      ...reg,
    }),
  };
}

/** The BullMQ queues. */
function queueMetrics(reg: On) {
  return {
    queueDepth: new Gauge({
      name: 'psa_escalator_queue_depth',
      help: 'Jobs waiting/delayed/active per queue and state',
      labelNames: ['queue', 'state'],
      ...reg,
    }),
    queueLag: new Gauge({
      name: 'psa_escalator_queue_lag_seconds',
      help: 'Age of the oldest waiting job per queue',
      labelNames: ['queue'],
      ...reg,
    }),
  };
}

/** Outbound PSA calls: statuses, rate-limit waits, the circuit breaker and dead letters. */
function outboundMetrics(reg: On) {
  return {
    psaCalls: new Counter({
      name: 'psa_escalator_psa_calls_total',
      help: 'Outbound PSA calls by instance, method and status (or error code)',
      labelNames: ['instance', 'method', 'status'],
      ...reg,
    }),
    rateLimitWaits: new Counter({
      name: 'psa_escalator_rate_limit_waits_total',
      help: 'Times an outbound call waited for the instance budget or a Retry-After',
      labelNames: ['instance', 'reason'],
      ...reg,
    }),
    deadLetters: new Counter({
      name: 'psa_escalator_dead_letters_total',
      help: 'Dead-lettered action sets by instance and error code',
      labelNames: ['instance', 'code'],
      ...reg,
    }),
    breakerTransitions: new Counter({
      name: 'psa_escalator_circuit_breaker_transitions_total',
      help: 'Circuit breaker of an instance opened or closed',
      labelNames: ['instance', 'state'],
      ...reg,
    }),
  };
}

/** The engine's work: evaluations and the rules they fired. */
function escalationMetrics(reg: On) {
  return {
    escalations: new Counter({
      name: 'psa_escalator_escalations_total',
      help: 'Rules fired by instance, rule, kind, tier and mode',
      labelNames: ['instance', 'rule', 'kind', 'tier', 'mode'],
      ...reg,
    }),
    evaluations: new Counter({
      name: 'psa_escalator_evaluations_total',
      help: 'Ticket evaluations by instance and trigger',
      labelNames: ['instance', 'trigger'],
      ...reg,
    }),
  };
}

/** SLA clocks: first breaches, and how far the PSA's due dates are from ours. */
function slaMetrics(reg: On) {
  return {
    slaBreaches: new Counter({
      name: 'psa_escalator_sla_breaches_total',
      help: 'SLA clocks seen breached for the first time',
      labelNames: ['instance', 'clock'],
      ...reg,
    }),
    slaDrift: new Histogram({
      name: 'psa_escalator_sla_drift_minutes',
      help: 'Absolute difference between the PSA SLA due date and ours, per evaluation, by instance and clock',
      labelNames: ['instance', 'clock'],
      buckets: [1, 5, 15, 30, 60, 120, 240, 480, 1440],
      ...reg,
    }),
    slaDisagreements: new Counter({
      name: 'psa_escalator_sla_disagreements_total',
      help: 'Tickets whose PSA SLA due date and ours started to differ by more than the tolerance, by instance and clock',
      labelNames: ['instance', 'clock'],
      ...reg,
    }),
  };
}

/**
 * All Prometheus series of the service (docs/spec.md §5 `/metrics`), on one registry per process.
 * Names are part of the external contract once published; add freely, rename never.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'psa_escalator_process_' });
  const reg: On = { registers: [registry] };
  return {
    registry,
    ...httpMetrics(reg),
    ...webhookRegistrationMetrics(reg),
    ...queueMetrics(reg),
    ...outboundMetrics(reg),
    ...escalationMetrics(reg),
    ...slaMetrics(reg),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
