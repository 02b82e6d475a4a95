import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { createMetrics } from '../../src/pipeline/metrics/prometheus.js';
import {
  escalationGaugeNames,
  registerEscalationGauges,
} from '../../src/pipeline/metrics/escalation-metrics-gauges.js';

// deploy/grafana-dashboard.json must be valid JSON whose panels only plot series the service actually exports: every
// metric name in every query exists in the registry `/metrics` serves (process metrics aside), and every
// escalation-metrics gauge is on the dashboard.

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}
const path = fileURLToPath(new URL('../../deploy/grafana-dashboard.json', import.meta.url));
const dashboard = JSON.parse(readFileSync(path, 'utf8')) as {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query?: unknown }[] };
};
const flat = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);
const panels = flat(dashboard.panels);
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

function registeredNames(): Set<string> {
  const metrics = createMetrics();
  registerEscalationGauges({
    registry: metrics.registry,
    service: { query: () => Promise.reject(new Error('not used')) },
    instances: [],
    followThrough: () => Promise.reject(new Error('not used')),
  });
  const names = new Set<string>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
  }
  return names;
}

describe('deploy/grafana-dashboard.json', () => {
  it('is a Grafana dashboard with panels that all query something', () => {
    expect(dashboard.title).toBe('psa-escalator');
    expect(dashboard.uid).toMatch(/^[a-z0-9-]+$/);
    const plots = panels.filter((p) => p.type !== 'row');
    expect(plots.length).toBeGreaterThanOrEqual(20);
    for (const p of plots) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.gridPos!.x + p.gridPos!.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('references only metric names that exist in the /metrics registry', () => {
    const names = registeredNames();
    const referenced = new Set(exprs.flatMap((e) => e.match(/psa_escalator_[a-z0-9_]+/g) ?? []));
    for (const v of dashboard.templating.list) {
      for (const m of JSON.stringify(v.query ?? '').match(/psa_escalator_[a-z0-9_]+/g) ?? []) referenced.add(m);
    }
    expect(referenced.size).toBeGreaterThan(0);
    const missing = [...referenced].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
  });

  it('plots every escalation-metrics gauge and the pipeline series of docs/spec.md §5 /metrics', () => {
    const all = exprs.join('\n');
    for (const name of Object.values(escalationGaugeNames)) expect(all, name).toContain(name);
    for (const name of [
      'psa_escalator_webhook_events_total',
      'psa_escalator_queue_depth',
      'psa_escalator_queue_lag_seconds',
      'psa_escalator_psa_calls_total',
      'psa_escalator_escalations_total',
      'psa_escalator_sla_breaches_total',
      'psa_escalator_rate_limit_waits_total',
      'psa_escalator_dead_letters_total',
      'psa_escalator_webhook_deactivations_total',
      'psa_escalator_http_requests_total',
    ])
      expect(all, name).toContain(name);
  });
});
