import pino from 'pino';

import { CalendarSchema, GroupSchema, MappingSchema, PolicySchema } from '../../src/contract/index.js';
import type { InstanceMode, Logger, WebhookEvent } from '../../src/contract/index.js';
import type { AppConfig } from '../../src/config/types.js';
import { createMetrics } from '../../src/pipeline/metrics/prometheus.js';
import type { Metrics } from '../../src/pipeline/metrics/prometheus.js';
import type { PolicyEngine } from '../../src/pipeline/policy/policy-engine.js';
import type { IngestResult } from '../../src/pipeline/types.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import type { PipelineOptions, RunningPipeline } from '../../src/pipeline/pipeline.js';
import { createPolicyEngine } from '../../src/pipeline/policy/policy-engine.js';

import { startRedis, type TestRedis } from './redis.js';
import { TestSettingsSchema, testConnector } from './test-connector.js';
import { FakePsa } from './test-psa.js';

export const TEST_SECRET = 'test-webhook-secret-0123456789';
export const INSTANCE = 'acme';

/** A small policy on the 24×7 calendar: T1 → T2 after 2 h (round-robin tier2), "ransomware" → T3 + P1 + notify. */
export const testPolicy = {
  calendar: 'always',
  sla: { P1: { firstResponse: 15, resolution: 240 }, P3: { firstResponse: 240, resolution: 1440 } },
  handoff: { required: [], onMissing: 'flag' },
  rules: [
    {
      id: 'emergency',
      kind: 'emergency',
      when: { text: ['ransomware'] },
      then: { escalateTo: 'T3', priority: 'P1', note: 'internal', notify: ['managers'] },
    },
    {
      id: 't1-timeout',
      kind: 'tiered',
      when: { tier: 'T1', timeInTier: '2h', status: { not: ['resolved', 'closed'] } },
      then: { escalateTo: 'T2', group: 'tier2', note: 'handoff' },
    },
  ],
};

export interface TestConfigOptions {
  psaUrl: string;
  mode?: InstanceMode;
  /** Extra instances with the same mapping (ids). */
  moreInstances?: string[];
  rateLimit?: { requests: number; per: number; concurrency?: number };
  dedupeTtlMs?: number;
  reconcileEveryMs?: number;
  /** Scaled retention (bounded-Redis tests); unset parts keep the defaults. */
  retention?: Partial<AppConfig['retention']>;
  /** Extra rules appended to the test policy. */
  extraRules?: unknown[];
}

/**
 * `testConfig` with an `office` calendar (New York, Mon–Fri `hours`) and its `standard` policy replaced by `standard`
 * (parsed); `extra` sections (notifiers, …) replace the test config's own.
 */
export function officeConfig(
  psaUrl: string,
  hours: string,
  standard: unknown,
  extra: Partial<AppConfig> = {},
): AppConfig {
  const base = testConfig({ psaUrl });
  return {
    ...base,
    calendars: {
      ...base.calendars,
      office: CalendarSchema.parse({ timezone: 'America/New_York', hours: { 'mon-fri': hours } }),
    },
    ...extra,
    policies: { standard: PolicySchema.parse(standard) },
  };
}

/** An AppConfig as the loader would produce it, for the test connector (registered under kind `connectwise`). */
export function testConfig(o: TestConfigOptions): AppConfig {
  const instance = (id: string) => ({
    info: {
      id,
      kind: 'connectwise' as const,
      policy: 'standard',
      mode: o.mode ?? 'enforce',
      mapping: MappingSchema.parse({
        tiers: { T1: { queue: '1' }, T2: { queue: '2' }, T3: { queue: '3' } },
        groups: { tier2: { queue: '2' } },
        priorities: { P1: [1], P2: [2], P3: [3], P4: [4] },
      }),
      rateLimit: o.rateLimit ?? { requests: 600, per: 60_000 },
    },
    settings: TestSettingsSchema.parse({ baseUrl: o.psaUrl, secret: TEST_SECRET }),
    reconcileEveryMs: o.reconcileEveryMs ?? 300_000,
  });
  return {
    source: 'test',
    tiers: ['T1', 'T2', 'T3'],
    calendars: { always: CalendarSchema.parse({ timezone: 'UTC', hours: { 'mon-sun': '00:00-24:00' } }) },
    notifiers: { managers: { kind: 'webhook', url: `${o.psaUrl}/notify/managers` } },
    groups: { tier2: GroupSchema.parse({ assign: 'round-robin', members: ['t2.a', 't2.b'] }) },
    policies: {
      standard: PolicySchema.parse({ ...testPolicy, rules: [...testPolicy.rules, ...(o.extraRules ?? [])] }),
    },
    templates: {},
    instances: [instance(INSTANCE), ...(o.moreInstances ?? []).map(instance)],
    retention: { auditMs: 90 * 86_400_000, deadLettersMs: 30 * 86_400_000, ticketsMs: 30 * 86_400_000, ...o.retention },
    dedupeTtlMs: o.dedupeTtlMs ?? 72 * 3_600_000,
  };
}

export const testConnectors = { connectwise: testConnector };

export const quietLog = (): Logger => pino({ level: process.env.TEST_LOG ?? 'silent' }) as unknown as Logger;

/**
 * Worker timings for tests: short locks, stall checks and heartbeats, so that a killed or stalled worker's jobs come
 * back within seconds and a close never hangs.
 */
export const FAST_TUNING = {
  lockDurationMs: 2_000,
  stalledIntervalMs: 1_000,
  heartbeatMs: 200,
  heartbeatStaleMs: 3_000,
  pollMs: 100,
  closeTimeoutMs: 5_000,
} satisfies PipelineOptions['tuning'];

export interface StartOptions extends Partial<Omit<PipelineOptions, 'config' | 'redisUrl'>> {
  redisUrl: string;
  config: AppConfig;
}

/** Starts the real pipeline with test-friendly tuning (short BullMQ locks, fast polls, fast heartbeats). */
export async function startTestPipeline(o: StartOptions): Promise<RunningPipeline & { metrics: Metrics }> {
  const metrics = o.metrics ?? createMetrics();
  const engine: PolicyEngine = o.engine ?? createPolicyEngine(o.config, testConnectors);
  const running = await startPipeline({
    connectors: testConnectors,
    log: quietLog(),
    debounceMs: 150,
    ...o,
    engine,
    metrics,
    tuning: { ...FAST_TUNING, backoffMs: 100, ...o.tuning },
    http: { minDelayMs: 5, maxDelayMs: 20, ...o.http },
  });
  return { ...running, metrics };
}

/** A real Redis, the scriptable fake PSA and the test pipeline against it: the usual set-up of a pipeline test file. */
export interface FakePsaPipeline {
  redis: TestRedis;
  fake: FakePsa;
  p: RunningPipeline & { metrics: Metrics };
  close(): Promise<void>;
}

export async function startFakePsaPipeline(
  o: Partial<Omit<StartOptions, 'redisUrl' | 'config'>> = {},
): Promise<FakePsaPipeline> {
  const redis = await startRedis();
  const fake = new FakePsa();
  await fake.start();
  const p = await startTestPipeline({ ...o, redisUrl: redis.url, config: testConfig({ psaUrl: fake.url }) });
  return {
    redis,
    fake,
    p,
    close: async () => {
      await p.close();
      await fake.stop();
      await redis.close();
    },
  };
}

/**
 * A webhook event for ticket `ticketId` of the test instance, straight into `p`'s pipeline as the HTTP layer hands it
 * over (received now; `requestId` defaults to `r-<eventId>`).
 */
export function ingestEvent(
  p: Pick<RunningPipeline, 'pipeline'>,
  event: WebhookEvent,
  requestId = `r-${event.eventId}`,
): Promise<IngestResult> {
  return p.pipeline.ingest({ instanceId: INSTANCE, event, receivedAt: Date.now(), requestId });
}

// The one waitFor (with its diagnostic message) lives in wait.ts; re-exported for the files that import it from here.
export { sleep, waitFor, waitForDrained } from './wait.js';
