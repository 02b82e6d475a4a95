import type { CalendarConfig, GroupConfig, InstanceInfo, NotifierConfig, Policy } from '../contract/index.js';

/** One configured PSA instance after validation. */
export interface LoadedInstance {
  info: InstanceInfo;
  /** The connector's settings (`connection`, `webhook`, `notes`, connector-only mapping keys), parsed by its settingsSchema. */
  settings: unknown;
  /** `reconcileEvery` in ms. @defaultValue 300_000 */
  reconcileEveryMs: number;
  /** `backfill`: whether the backfill writes in enforce mode (`observe`: its decisions are proposals). @defaultValue 'observe' */
  backfill?: 'observe' | 'enforce';
  /** `slaDriftTolerance` in ms: PSA and our SLA due dates further apart count as a disagreement. @defaultValue 300_000 */
  slaDriftToleranceMs?: number;
  /** `alerts`: notifier names told about operational problems (webhook registration drift). @defaultValue [] */
  alerts?: string[];
}

/** The validated `escalator.yaml` (durations already in milliseconds). */
export interface AppConfig {
  /** Where it came from: a file path or `built-in`. */
  source: string;
  tiers: string[];
  /** Every calendar, including the built-in `always` (24×7 UTC) unless the file defines it. */
  calendars: Record<string, CalendarConfig>;
  notifiers: Record<string, NotifierConfig>;
  groups: Record<string, GroupConfig>;
  policies: Record<string, Policy>;
  templates: Record<string, string>;
  instances: LoadedInstance[];
  retention: RetentionConfig;
  /** @defaultValue 72 h */
  dedupeTtlMs: number;
  /** Non-fatal findings of the loader (e.g. group members without a PSA identity); `check-config` prints them. */
  warnings?: ConfigProblem[];
}

/** `retention:` of escalator.yaml, in milliseconds. */
export interface RetentionConfig {
  /** @defaultValue 90 days */
  auditMs: number;
  /** @defaultValue 30 days */
  deadLettersMs: number;
  /**
   * Records of resolved/closed tickets expire this long after we last saw them closed (`retention.tickets`). Optional
   * for configs built in code; the loader always sets it. @defaultValue 30 days
   */
  ticketsMs?: number;
}

/**
 * One finding of the config loader. Printed as `<yaml path>: <problem> (line N)` (docs/spec.md §6); paths use zero-based
 * indices (`policies.standard.rules[4].when.timeInTier`), env problems use the variable name as the path.
 */
export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based line in the YAML source, when the problem points at a node. */
  line?: number;
  severity: 'error' | 'warning';
}

/** Environment (docs/spec.md §7). `src/config/` is the only reader of `process.env`. */
export interface EnvConfig {
  /** @defaultValue 8080 */
  port: number;
  /** @defaultValue '0.0.0.0' */
  host: string;
  /** Unset → embedded redis-server child. */
  redisUrl?: string;
  /** `REDIS_UNSAFE_OK=1`: start even when `REDIS_URL` can evict keys or persists nothing (a warning line instead). */
  redisUnsafeOk?: boolean;
  /** @defaultValue './data' */
  dataDir: string;
  /** @defaultValue 'info' */
  logLevel: string;
  adminToken?: string;
  /** `METRICS_TOKEN`: bearer token for `/metrics`; undefined → `/metrics` is open (as Prometheus expects in a cluster). */
  metricsToken?: string;
  publicUrl?: string;
  /** @defaultValue 4 */
  workerConcurrency: number;
  /** @defaultValue 1_048_576 */
  webhookMaxBytes: number;
  /** @defaultValue 250 */
  debounceMs: number;
  /** `CONFIG_FILE`; undefined → `./escalator.yaml` when it exists, else the built-in config. */
  configFile?: string;
  /**
   * `REDIS_WAIT_REPLICAS`: replicas that must have a webhook's job before it is acknowledged (Redis `WAIT`), so a
   * failover cannot lose an acknowledged event. @defaultValue 1 with Sentinel, else 0 (docs/redis.md)
   */
  redisWaitReplicas?: number;
}
