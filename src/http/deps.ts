import type { AnyConnector, ConnectorContext, Decision, PsaKind, Ticket, TicketState } from '../contract/index.js';
import type { AppConfig, EnvConfig } from '../config/types.js';
import type { AppLogger } from '../lib/logger.js';
import type { Metrics } from '../pipeline/metrics/prometheus.js';
import type { PolicyEngine } from '../pipeline/policy/policy-engine.js';
import type { Pipeline, ReadModels } from '../pipeline/types.js';
import type { TimelineStore } from '../store/timeline-store.js';

/** `serve --role` (docs/spec.md §6). */
export type ServeRole = 'all' | 'api' | 'worker';

/** A dry run of the engine for `POST /api/evaluate` (the instance is known; input already validated). */
export interface DryRunInput {
  instanceId: string;
  ticket: Ticket;
  state?: TicketState;
  now: Date;
}
export type DryRunEvaluator = (input: DryRunInput) => Decision;

/**
 * Everything the HTTP layer needs, handed in by `src/main.ts` (or a test). The app depends only on these
 * interfaces: the Redis-backed pipeline and read models live in `src/pipeline` / `src/store`.
 */
export interface AppDeps {
  config: AppConfig;
  env: EnvConfig;
  /** The connector registry (`src/connectors.ts`). */
  connectors: Record<PsaKind, AnyConnector>;
  /** The ConnectorContext of one configured instance (shared rate limiter, Redis cache, PSA client). */
  contextFor(instanceId: string): ConnectorContext;
  pipeline: Pipeline;
  read: ReadModels;
  metrics: Metrics;
  /** pino logger (secrets redacted: see `redactPaths`); request logs are children of it. */
  log: AppLogger;
  /** Which process this is; `/readyz` reports it. */
  role: ServeRole;
  /** @defaultValue the system clock */
  clock?: { now(): Date };
  /** Observed ticket snapshots (`POST /api/backtests` with source `history`); absent → that source answers 503. */
  timelines?: TimelineStore;
  /**
   * Override of the engine dry run behind `POST /api/evaluate`.
   * @defaultValue the real engine, with policies compiled once per instance
   */
  evaluate?: DryRunEvaluator;
  /** The workers' policy engine, shared by `POST /api/evaluate` (absent: the app compiles the same policies lazily). */
  engine?: PolicyEngine;
}
