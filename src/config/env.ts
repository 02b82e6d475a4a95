import { z } from 'zod';

import { err, ok } from '../contract/index.js';
import type { Result } from '../contract/index.js';
import { clusterTargetString, parseRedisTarget, sentinelTargetString, withTlsFiles } from '../lib/redis-target.js';

import type { EnvConfig } from './types.js';

/**
 * Environment variables (docs/spec.md §7). `src/config/` is the only reader of `process.env` (STYLE rule 5): everything
 * else receives an `EnvConfig`. Empty values count as unset (a blank line in an env file must not become port 0).
 */

/** Every variable the service reads, with its default, for `.env.example`, `--help` and docs. */
export const envVariables = {
  PORT: { default: '8080', doc: 'HTTP port' },
  HOST: { default: '0.0.0.0', doc: 'HTTP bind address' },
  REDIS_URL: {
    default: undefined,
    doc: 'redis://, rediss:// (TLS), redis+sentinel://host:port,host:port/master or redis+cluster://host:port,host:port; unset = embedded redis-server',
  },
  REDIS_SENTINELS: {
    default: undefined,
    doc: 'Redis Sentinel: host:port,host:port (with REDIS_SENTINEL_NAME; instead of REDIS_URL)',
  },
  REDIS_SENTINEL_NAME: { default: undefined, doc: 'Redis Sentinel: the master name' },
  REDIS_CLUSTER_NODES: {
    default: undefined,
    doc: 'Redis Cluster: seed nodes host:port,host:port (instead of REDIS_URL; docs/redis.md)',
  },
  REDIS_PASSWORD: { default: undefined, doc: 'Redis Sentinel / Cluster: the password of the data nodes' },
  REDIS_SENTINEL_PASSWORD: { default: undefined, doc: 'Redis Sentinel: the password of the sentinels' },
  REDIS_TLS_CA_FILE: { default: undefined, doc: 'rediss://: PEM file of the CA to trust (else the system CAs)' },
  REDIS_TLS_CERT_FILE: { default: undefined, doc: 'rediss://: PEM client certificate (mutual TLS)' },
  REDIS_TLS_KEY_FILE: { default: undefined, doc: 'rediss://: PEM client key (mutual TLS)' },
  REDIS_WAIT_REPLICAS: {
    default: undefined,
    doc: 'replicas that must hold a webhook before its 202 (Redis WAIT); default 1 with Sentinel, else 0 (Cluster: set 1 with replicas)',
  },
  REDIS_UNSAFE_OK: {
    default: undefined,
    doc: '1 = start even when REDIS_URL evicts keys or persists nothing (serve --allow-unsafe-redis)',
  },
  DATA_DIR: { default: './data', doc: 'embedded Redis data (AOF) directory' },
  LOG_LEVEL: { default: 'info', doc: 'fatal | error | warn | info | debug | trace | silent' },
  ADMIN_TOKEN: { default: undefined, doc: 'bearer token for /api/*; unset = /api/* answers 401' },
  METRICS_TOKEN: {
    default: undefined,
    doc: 'bearer token for /metrics; unset = /metrics is open (its labels list every instance id)',
  },
  PUBLIC_URL: { default: undefined, doc: 'public base URL of this service, for webhook registration' },
  WORKER_CONCURRENCY: { default: '4', doc: 'jobs processed in parallel per worker process' },
  WEBHOOK_MAX_BYTES: { default: '1048576', doc: 'largest accepted webhook body (413 above)' },
  DEBOUNCE_MS: { default: '250', doc: 'events for one ticket within this window collapse into one evaluation' },
  CONFIG_FILE: {
    default: undefined,
    doc: 'path of escalator.yaml; unset = ./escalator.yaml, else the built-in config',
  },
} as const;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected ${what}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `expected ${what}` });

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' });

const EnvSchema = z.object({
  PORT: int(0, 65_535, 'a port number 0-65535').default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z
    .string()
    .superRefine((v, ctx) => {
      const parsed = parseRedisTarget(v);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
    })
    .optional(),
  REDIS_SENTINELS: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, { message: 'expected host:port[,host:port…]' })
    .optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, { message: 'expected host:port[,host:port…]' })
    .optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[\w.-]+$/, { message: 'expected a master name' })
    .optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  REDIS_TLS_CA_FILE: z.string().optional(),
  REDIS_TLS_CERT_FILE: z.string().optional(),
  REDIS_TLS_KEY_FILE: z.string().optional(),
  REDIS_WAIT_REPLICAS: int(0, 16, 'a replica count 0-16').optional(),
  REDIS_UNSAFE_OK: z.enum(['0', '1', 'true', 'false'], { message: 'expected 1 or 0' }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(logLevels, { message: `expected one of ${logLevels.join(', ')}` }).default('info'),
  ADMIN_TOKEN: z.string().optional(),
  METRICS_TOKEN: z.string().optional(),
  // Without a trailing slash, so `${PUBLIC_URL}/webhooks/…` never doubles it.
  PUBLIC_URL: httpUrl.transform((u) => u.replace(/\/+$/, '')).optional(),
  WORKER_CONCURRENCY: int(1, 1_000, 'an integer 1-1000').default(4),
  WEBHOOK_MAX_BYTES: int(1_024, 104_857_600, 'a byte count 1024-104857600').default(1_048_576),
  DEBOUNCE_MS: int(0, 60_000, 'milliseconds 0-60000').default(250),
  CONFIG_FILE: z.string().min(1).optional(),
});

function blanksRemoved(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(envVariables)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') out[name] = value.trim();
  }
  return out;
}

/** Never echoed in a problem line: they are secrets, or may carry one (a Redis URL's password). */
const secretVariables = new Set([
  'ADMIN_TOKEN',
  'METRICS_TOKEN',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
]);

type ParsedEnv = z.infer<typeof EnvSchema>;

/** `REDIS_URL`, or the Sentinel or Cluster variables, as one target string (docs/redis.md); TLS files appended. */
function redisTargetOf(e: ParsedEnv): Result<string | undefined, string[]> {
  if (
    e.REDIS_CLUSTER_NODES !== undefined &&
    (e.REDIS_URL !== undefined || e.REDIS_SENTINELS !== undefined || e.REDIS_SENTINEL_NAME !== undefined)
  ) {
    return err(['REDIS_CLUSTER_NODES: set either REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, not several']);
  }
  if (e.REDIS_SENTINELS !== undefined || e.REDIS_SENTINEL_NAME !== undefined) {
    if (e.REDIS_URL !== undefined)
      return err(['REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS + REDIS_SENTINEL_NAME, not both']);
    if (e.REDIS_SENTINELS === undefined || e.REDIS_SENTINEL_NAME === undefined) {
      return err(['REDIS_SENTINELS: REDIS_SENTINELS and REDIS_SENTINEL_NAME go together']);
    }
  }
  const tls = e.REDIS_TLS_CA_FILE !== undefined || e.REDIS_TLS_CERT_FILE !== undefined;
  const base =
    e.REDIS_CLUSTER_NODES !== undefined
      ? clusterTargetString({
          nodes: e.REDIS_CLUSTER_NODES,
          ...(e.REDIS_PASSWORD !== undefined ? { password: e.REDIS_PASSWORD } : {}),
          tls,
        })
      : e.REDIS_SENTINELS !== undefined && e.REDIS_SENTINEL_NAME !== undefined
        ? sentinelTargetString({
            sentinels: e.REDIS_SENTINELS,
            masterName: e.REDIS_SENTINEL_NAME,
            ...(e.REDIS_PASSWORD !== undefined ? { password: e.REDIS_PASSWORD } : {}),
            ...(e.REDIS_SENTINEL_PASSWORD !== undefined ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
            tls,
          })
        : e.REDIS_URL;
  if (base === undefined) return ok(undefined);
  const files = {
    ...(e.REDIS_TLS_CA_FILE !== undefined ? { caFile: e.REDIS_TLS_CA_FILE } : {}),
    ...(e.REDIS_TLS_CERT_FILE !== undefined ? { certFile: e.REDIS_TLS_CERT_FILE } : {}),
    ...(e.REDIS_TLS_KEY_FILE !== undefined ? { keyFile: e.REDIS_TLS_KEY_FILE } : {}),
  };
  const target = withTlsFiles(base, files);
  if (Object.keys(files).length > 0 && !/^rediss/.test(target)) {
    return err(['REDIS_TLS_CA_FILE: TLS files need a rediss:// (or rediss+sentinel://) target']);
  }
  return ok(target);
}

/** Parses the environment; problems are one line each: `NAME: <problem>, got "<value>"` (secrets never echoed). */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): Result<EnvConfig, string[]> {
  const input = blanksRemoved(env);
  const result = EnvSchema.safeParse(input);
  if (!result.success) {
    return err(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const shown = secretVariables.has(name) ? '' : `, got ${JSON.stringify(input[name] ?? '')}`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = result.data;
  const config: EnvConfig = {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    workerConcurrency: e.WORKER_CONCURRENCY,
    webhookMaxBytes: e.WEBHOOK_MAX_BYTES,
    debounceMs: e.DEBOUNCE_MS,
  };
  const redis = redisTargetOf(e);
  if (!redis.ok) return err(redis.error);
  if (redis.value !== undefined) config.redisUrl = redis.value;
  if (e.REDIS_WAIT_REPLICAS !== undefined) config.redisWaitReplicas = e.REDIS_WAIT_REPLICAS;
  if (e.REDIS_UNSAFE_OK === '1' || e.REDIS_UNSAFE_OK === 'true') config.redisUnsafeOk = true;
  if (e.ADMIN_TOKEN !== undefined) config.adminToken = e.ADMIN_TOKEN;
  if (e.METRICS_TOKEN !== undefined) config.metricsToken = e.METRICS_TOKEN;
  if (e.PUBLIC_URL !== undefined) config.publicUrl = e.PUBLIC_URL;
  if (e.CONFIG_FILE !== undefined) config.configFile = e.CONFIG_FILE;
  return ok(config);
}

/** Thrown by `loadEnv`; `problems` holds one line per bad variable. */
export class EnvError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'EnvError';
  }
}

/** Like `parseEnv`, but throws `EnvError` (for process entry points that stop on a bad environment). */
export function loadEnv(env: NodeJS.ProcessEnv): EnvConfig {
  const result = parseEnv(env);
  if (!result.ok) throw new EnvError(result.error);
  return result.value;
}

/**
 * Advice that should not stop the service (docs/reliability.md §4 #20: the admin token should carry ≥ 32 random bytes).
 */
export function envWarnings(config: EnvConfig): string[] {
  const warnings: string[] = [];
  if (config.adminToken !== undefined && config.adminToken.length < 32) {
    warnings.push('ADMIN_TOKEN: shorter than 32 characters; use a long random value (e.g. `openssl rand -hex 32`)');
  }
  if (config.metricsToken !== undefined && config.metricsToken.length < 32) {
    warnings.push('METRICS_TOKEN: shorter than 32 characters; use a long random value (e.g. `openssl rand -hex 32`)');
  }
  return warnings;
}

/** The process environment. The one place outside tests that touches `process.env` (entry points call it). */
export function processEnv(): NodeJS.ProcessEnv {
  return process.env;
}
