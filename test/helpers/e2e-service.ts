import type { FastifyInstance } from 'fastify';
import pino from 'pino';

import { loadConfigText } from '../../src/config/index.js';
import type { AppConfig } from '../../src/config/index.js';
import type { EnvConfig } from '../../src/config/types.js';
import { connectors } from '../../src/connectors.js';
import { buildApp, type BuildAppOptions } from '../../src/http/app.js';
import type { AppLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/pipeline/metrics/prometheus.js';
import { startPipeline, type PipelineOptions, type RunningPipeline } from '../../src/pipeline/pipeline.js';
import { createPolicyEngine } from '../../src/pipeline/policy/policy-engine.js';

import { testEnv } from './build.js';
import { freePort } from './redis.js';
import { FAST_TUNING } from './test-pipeline.js';

/**
 * The real service for end-to-end tests: the Fastify app over the BullMQ pipeline on a real Redis, with the real
 * connector registry and policy engine, listening on loopback. Timings are scaled down (short locks, stall checks
 * and backoffs), the sweep is kept out of the way, and PSA retries wait 5–20 ms.
 */

/** calendars, tiers, the `tier2` group and the `standard` policy (one rule: a T1 ticket past 2 h goes to T2). */
export function e2ePolicyYaml(options: { members?: readonly string[]; required?: readonly string[] } = {}): string {
  const members = (options.members ?? ['t2.erin', 't2.frank']).join(', ');
  const required = (options.required ?? ['customer', 'contact', 'summary', 'stepsTaken']).join(', ');
  return `
calendars:
  always: { timezone: UTC, hours: { mon-sun: "00:00-24:00" } }
tiers: [T1, T2, T3]
groups:
  tier2: { assign: round-robin, members: [${members}] }
policies:
  standard:
    calendar: always
    handoff: { required: [${required}], onMissing: flag }
    rules:
      - id: t1-timeout
        kind: tiered
        when: { tier: T1, timeInTier: 2h, status: { not: [resolved, closed] } }
        then: { escalateTo: T2, group: tier2, note: handoff }
`;
}

/**
 * Loads a test's config text as the service does (`\${VAR}` from `env`, secrets, the real connector registry);
 * throws what the loader reports.
 */
export function loadE2eConfig(text: string, source: string, env: Record<string, string>): AppConfig {
  const loaded = loadConfigText(text, source, env, connectors);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  return loaded.value;
}

export const E2E_TUNING: NonNullable<PipelineOptions['tuning']> = {
  ...FAST_TUNING,
  backoffMs: 100,
  reconcileStartDelayMs: 600_000,
  // A note POST answered 5xx or not at all is re-checked by marker after this wait: the fake PSAs list notes at once.
  noteSettleMs: 1_000,
};

export interface E2eServiceOptions {
  config: AppConfig;
  redisUrl: string;
  /** @defaultValue silent, or the level in TEST_LOG */
  log?: AppLogger;
  /** @defaultValue 100 */
  debounceMs?: number;
  /** The service's PUBLIC_URL. @defaultValue its own loopback address */
  publicUrl?: string;
  adminToken?: string;
  app?: BuildAppOptions;
  /** Further environment settings of the app (e.g. `metricsToken`). */
  env?: Partial<EnvConfig>;
  /** The pipeline's clock (connector contexts read it too). @defaultValue Date.now */
  now?: () => number;
}

export interface E2eService {
  running: RunningPipeline;
  app: FastifyInstance;
  metrics: Metrics;
  /** `http://127.0.0.1:<port>` */
  base: string;
  close(): Promise<void>;
}

export async function startE2eService(options: E2eServiceOptions): Promise<E2eService> {
  const { config } = options;
  const log = options.log ?? (pino({ level: process.env.TEST_LOG ?? 'silent' }) as unknown as AppLogger);
  const metrics = createMetrics();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const publicUrl = options.publicUrl ?? base;
  const running = await startPipeline({
    config,
    redisUrl: options.redisUrl,
    connectors,
    engine: createPolicyEngine(config, connectors),
    log,
    metrics,
    debounceMs: options.debounceMs ?? 100,
    publicUrl,
    tuning: E2E_TUNING,
    http: { minDelayMs: 5, maxDelayMs: 20 },
    ...(options.now ? { now: options.now } : {}),
  });
  const env = testEnv({
    publicUrl,
    ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    ...options.env,
  });
  const app = buildApp(
    {
      config,
      env,
      connectors,
      contextFor: (id) => running.runtimes.contextFor(id),
      pipeline: running.pipeline,
      read: running.read,
      metrics,
      log,
      role: 'all',
    },
    options.app,
  );
  await app.listen({ port, host: '127.0.0.1' });
  return {
    running,
    app,
    metrics,
    base,
    close: async () => {
      await app.close();
      await running.close();
    },
  };
}
