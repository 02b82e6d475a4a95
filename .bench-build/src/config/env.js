import { z } from 'zod';
import { err, ok } from '../contract/index.js';
/**
 * Environment variables (SPEC §7). `src/config/` is the only reader of `process.env` (STYLE rule 5): everything
 * else receives an `EnvConfig`. Empty values count as unset (a blank line in an env file must not become port 0).
 */
/** Every variable the service reads, with its default, for `.env.example`, `--help` and docs. */
export const envVariables = {
    PORT: { default: '8080', doc: 'HTTP port' },
    HOST: { default: '0.0.0.0', doc: 'HTTP bind address' },
    REDIS_URL: { default: undefined, doc: 'redis:// or rediss:// URL; unset = embedded redis-server' },
    DATA_DIR: { default: './data', doc: 'embedded Redis data (AOF) directory' },
    LOG_LEVEL: { default: 'info', doc: 'fatal | error | warn | info | debug | trace | silent' },
    ADMIN_TOKEN: { default: undefined, doc: 'bearer token for /api/*; unset = /api/* answers 401' },
    PUBLIC_URL: { default: undefined, doc: 'public base URL of this service, for webhook registration' },
    WORKER_CONCURRENCY: { default: '4', doc: 'jobs processed in parallel per worker process' },
    WEBHOOK_MAX_BYTES: { default: '1048576', doc: 'largest accepted webhook body (413 above)' },
    DEBOUNCE_MS: { default: '250', doc: 'events for one ticket within this window collapse into one evaluation' },
    CONFIG_FILE: { default: undefined, doc: 'path of escalator.yaml; unset = ./escalator.yaml, else the built-in config' },
};
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const int = (min, max, what) => z
    .string()
    .regex(/^\d+$/, { message: `expected ${what}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `expected ${what}` });
const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' });
const EnvSchema = z.object({
    PORT: int(0, 65_535, 'a port number 0-65535').default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'expected a redis:// or rediss:// URL' }).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(logLevels, { message: `expected one of ${logLevels.join(', ')}` }).default('info'),
    ADMIN_TOKEN: z.string().optional(),
    // Without a trailing slash, so `${PUBLIC_URL}/webhooks/…` never doubles it.
    PUBLIC_URL: httpUrl.transform((u) => u.replace(/\/+$/, '')).optional(),
    WORKER_CONCURRENCY: int(1, 1_000, 'an integer 1-1000').default(4),
    WEBHOOK_MAX_BYTES: int(1_024, 104_857_600, 'a byte count 1024-104857600').default(1_048_576),
    DEBOUNCE_MS: int(0, 60_000, 'milliseconds 0-60000').default(250),
    CONFIG_FILE: z.string().min(1).optional(),
});
function blanksRemoved(env) {
    const out = {};
    for (const name of Object.keys(envVariables)) {
        const value = env[name];
        if (value !== undefined && value.trim() !== '')
            out[name] = value.trim();
    }
    return out;
}
/** Parses the environment; problems are one line each: `NAME: <problem>, got "<value>"` (secrets never echoed). */
export function parseEnv(env) {
    const input = blanksRemoved(env);
    const result = EnvSchema.safeParse(input);
    if (!result.success) {
        return err(result.error.issues.map((issue) => {
            const name = String(issue.path[0]);
            const shown = name === 'ADMIN_TOKEN' ? '' : `, got ${JSON.stringify(input[name] ?? '')}`;
            return `${name}: ${issue.message}${shown}`;
        }));
    }
    const e = result.data;
    const config = {
        port: e.PORT,
        host: e.HOST,
        dataDir: e.DATA_DIR,
        logLevel: e.LOG_LEVEL,
        workerConcurrency: e.WORKER_CONCURRENCY,
        webhookMaxBytes: e.WEBHOOK_MAX_BYTES,
        debounceMs: e.DEBOUNCE_MS,
    };
    if (e.REDIS_URL !== undefined)
        config.redisUrl = e.REDIS_URL;
    if (e.ADMIN_TOKEN !== undefined)
        config.adminToken = e.ADMIN_TOKEN;
    if (e.PUBLIC_URL !== undefined)
        config.publicUrl = e.PUBLIC_URL;
    if (e.CONFIG_FILE !== undefined)
        config.configFile = e.CONFIG_FILE;
    return ok(config);
}
/** Thrown by `loadEnv`; `problems` holds one line per bad variable. */
export class EnvError extends Error {
    problems;
    constructor(problems) {
        super(problems.join('\n'));
        this.problems = problems;
        this.name = 'EnvError';
    }
}
/** Like `parseEnv`, but throws `EnvError` (for process entry points that stop on a bad environment). */
export function loadEnv(env) {
    const result = parseEnv(env);
    if (!result.ok)
        throw new EnvError(result.error);
    return result.value;
}
/**
 * Advice that should not stop the service (RELIABILITY §4 #20: the admin token should carry ≥ 32 random bytes).
 */
export function envWarnings(config) {
    const warnings = [];
    if (config.adminToken !== undefined && config.adminToken.length < 32) {
        warnings.push('ADMIN_TOKEN: shorter than 32 characters; use a long random value (e.g. `openssl rand -hex 32`)');
    }
    return warnings;
}
/** The process environment. The one place outside tests that touches `process.env` (entry points call it). */
export function processEnv() {
    return process.env;
}
//# sourceMappingURL=env.js.map