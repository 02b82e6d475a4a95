import pino from 'pino';

import type { AppConfig, EnvConfig } from '../config/types.js';
import { connectors } from '../connectors.js';
import { createMetrics } from '../pipeline/metrics/prometheus.js';
import type { Pipeline, ReadModels } from '../pipeline/types.js';

import { buildApp } from './app.js';
import type { AppDeps } from './deps.js';

const unused = async (): Promise<never> => {
  throw new Error('the OpenAPI generator never serves requests');
};

/** Deps that are enough to build the app and read its routes (no Redis, no PSA, no config file). */
function documentationDeps(): AppDeps {
  const config: AppConfig = {
    source: 'openapi',
    tiers: [],
    calendars: {},
    notifiers: {},
    groups: {},
    policies: {},
    templates: {},
    instances: [],
    retention: { auditMs: 0, deadLettersMs: 0 },
    dedupeTtlMs: 0,
  };
  const env: EnvConfig = {
    port: 0,
    host: '127.0.0.1',
    dataDir: '.',
    logLevel: 'silent',
    workerConcurrency: 1,
    webhookMaxBytes: 1_048_576,
    debounceMs: 250,
  };
  const pipeline: Pipeline = {
    ingest: unused,
    reportDeactivation: unused,
    enqueueReconcile: unused,
    readiness: unused,
    close: async () => {},
  };
  const read: ReadModels = {
    ticket: unused,
    escalations: unused,
    deadLetters: unused,
    retryDeadLetter: unused,
    instances: unused,
  };
  return {
    config,
    env,
    connectors,
    contextFor: () => {
      throw new Error('no instances');
    },
    pipeline,
    read,
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    role: 'all',
  };
}

/** The OpenAPI document exactly as `GET /openapi.json` serves it, serialized the way `openapi/openapi.json` stores it. */
export async function generateOpenApiText(): Promise<string> {
  const app = buildApp(documentationDeps(), { docs: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
