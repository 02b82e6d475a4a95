import pino from 'pino';

import type { ConnectorContext, InstanceInfo, Logger, PsaConnector } from '../../src/contract/index.js';
import { createHttpClient, type HttpClientOptions } from '../../src/pipeline/outbound/psa-http.js';
import { MemoryCache } from '../../src/lib/memory-cache.js';

/** A silent logger for tests (pino with level silent). */
export const silentLogger = (): Logger => pino({ level: 'silent' }) as unknown as Logger;

export interface TestContextOptions<S> {
  connector: PsaConnector<S>;
  instance: Omit<InstanceInfo, 'rateLimit' | 'kind' | 'policy' | 'mode'> & Partial<InstanceInfo>;
  /** Raw settings object (`connection`, `webhook`, `notes`…), parsed with the connector's settingsSchema. */
  settings: unknown;
  now?: () => Date;
  http?: Partial<HttpClientOptions>;
}

/** Builds a real ConnectorContext (real HTTP client, in-memory cache) for connector tests against fake PSAs. */
export function testContext<S>(options: TestContextOptions<S>): ConnectorContext<S> {
  const log = silentLogger();
  const now = options.now ?? (() => new Date());
  return {
    instance: {
      kind: options.connector.kind,
      policy: 'standard',
      mode: 'enforce',
      rateLimit: options.connector.rateLimitDefaults,
      ...options.instance,
    },
    settings: options.connector.settingsSchema.parse(options.settings),
    http: createHttpClient({ log, minDelayMs: 5, maxDelayMs: 20, ...options.http }),
    log,
    clock: { now },
    cache: new MemoryCache(() => now().getTime()),
  };
}
