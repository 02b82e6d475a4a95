import { Writable } from 'node:stream';

import type { FastifyInstance } from 'fastify';
import pino from 'pino';

import { MappingSchema } from '../../src/contract/index.js';
import type { AnyConnector, ConnectorContext, PsaKind } from '../../src/contract/index.js';
import type { AppConfig, EnvConfig, LoadedInstance } from '../../src/config/types.js';
import { buildApp, type BuildAppOptions } from '../../src/http/app.js';
import type { AppDeps } from '../../src/http/deps.js';
import { createHttpClient } from '../../src/pipeline/outbound/psa-http.js';
import type { AppLogger } from '../../src/lib/logger.js';
import { redactPaths } from '../../src/lib/logger.js';
import { MemoryCache } from '../../src/lib/memory-cache.js';
import { createMetrics } from '../../src/pipeline/metrics/prometheus.js';
import type { Pipeline, ReadModels } from '../../src/pipeline/types.js';

import { FakePipeline, FakeReadModels, hmacConnector, signBody, SIGNATURE_HEADER } from './http-fakes.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789abcdef';
export const WEBHOOK_SECRET = 'whsec-test-0123456789';

/** An instance served by the HMAC test connector. */
export function hmacInstance(id: string, settings: Record<string, unknown> = {}): LoadedInstance {
  return {
    info: {
      id,
      kind: 'connectwise',
      policy: 'standard',
      mode: 'enforce',
      mapping: MappingSchema.parse({}),
      rateLimit: hmacConnector.rateLimitDefaults,
    },
    settings: hmacConnector.settingsSchema.parse({ secret: WEBHOOK_SECRET, ...settings }),
    reconcileEveryMs: 300_000,
  };
}

/** A minimal valid config: two HMAC instances, `acme` and `globex`. */
export function testConfig(instances: LoadedInstance[] = [hmacInstance('acme'), hmacInstance('globex')]): AppConfig {
  return {
    source: 'test',
    tiers: ['T1', 'T2', 'T3'],
    calendars: {},
    notifiers: {},
    groups: {},
    policies: {},
    templates: {},
    instances,
    retention: { auditMs: 90 * 86_400_000, deadLettersMs: 30 * 86_400_000 },
    dedupeTtlMs: 72 * 3_600_000,
  };
}

export function testEnv(overrides: Partial<EnvConfig> = {}): EnvConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: '/tmp/psa-escalator-test',
    logLevel: 'info',
    adminToken: ADMIN_TOKEN,
    publicUrl: 'https://escalator.example.com/',
    workerConcurrency: 1,
    webhookMaxBytes: 1_048_576,
    debounceMs: 250,
    ...overrides,
  };
}

export interface BuildOptions {
  env?: Partial<EnvConfig>;
  config?: AppConfig;
  /** @defaultValue the HMAC test connector for every kind */
  connectors?: Record<PsaKind, AnyConnector>;
  pipeline?: Pipeline;
  read?: ReadModels;
  now?: () => Date;
  app?: BuildAppOptions;
  deps?: Partial<AppDeps>;
}

export interface Built {
  app: FastifyInstance;
  deps: AppDeps;
  pipeline: FakePipeline;
  read: FakeReadModels;
  /** Every log line written so far, parsed (level info and up). */
  logs(): Record<string, unknown>[];
  /** Every route the app registered (method list flattened), e.g. to prove all of /api/* needs auth. */
  routes: { method: string; url: string }[];
  /** The raw log text, to search for secrets. */
  logText(): string;
  /** Headers for a body signed with the instance secret. */
  signed(body: string | Buffer, secret?: string): Record<string, string>;
}

function captureLogger(lines: string[]): AppLogger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return pino({ level: 'info', redact: { paths: redactPaths, censor: '[redacted]' } }, stream);
}

/** Boots the real app (not listening) over fakes; close it with `app.close()`. */
export async function build(options: BuildOptions = {}): Promise<Built> {
  const lines: string[] = [];
  const log = captureLogger(lines);
  const config = options.config ?? testConfig();
  const connectors = options.connectors ?? { connectwise: hmacConnector, autotask: hmacConnector, halo: hmacConnector };
  const now = options.now ?? (() => new Date());
  const pipeline = (options.pipeline as FakePipeline | undefined) ?? new FakePipeline();
  const read = (options.read as FakeReadModels | undefined) ?? new FakeReadModels();
  const contextFor = (instanceId: string): ConnectorContext => {
    const loaded = config.instances.find((i) => i.info.id === instanceId);
    if (!loaded) throw new Error(`no instance ${instanceId}`);
    return {
      instance: loaded.info,
      settings: loaded.settings,
      http: createHttpClient({ log, minDelayMs: 1, maxDelayMs: 5 }),
      log,
      clock: { now },
      cache: new MemoryCache(() => now().getTime()),
    };
  };
  const deps: AppDeps = {
    config,
    env: testEnv(options.env),
    connectors,
    contextFor,
    pipeline,
    read,
    metrics: createMetrics(),
    log,
    role: 'all',
    clock: { now },
    ...options.deps,
  };
  const app = buildApp(deps, options.app);
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  await app.ready();
  return {
    app,
    deps,
    pipeline,
    read,
    routes,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => lines.join(''),
    signed: (body, secret = WEBHOOK_SECRET) => ({
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(secret, body),
    }),
  };
}
