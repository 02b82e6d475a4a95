import { envWarnings } from '../config/env.js';
import { formatProblem } from '../config/problems.js';
import type { ServeRole } from '../http/deps.js';
import { createLogger } from '../lib/logger.js';
import { runUntilSignal, startService } from '../main.js';

import { UsageError, parseFlags, writeLines } from './args.js';
import { loadCliConfigOrReport } from './load-config.js';
import type { CliIo } from './args.js';

export const usage = `Usage: psa-escalator serve [--config FILE] [--role all|api|worker] [--allow-unsafe-redis]

Runs the service: webhooks in, escalations out.
  --config FILE   configuration (default: $CONFIG_FILE, else ./escalator.yaml, else the built-in config)
  --role ROLE     all (default): API and workers · api: webhooks and /api only · worker: queue consumers only
                  (every role serves /healthz, /readyz and /metrics)

  --allow-unsafe-redis  start even when $REDIS_URL can evict keys (maxmemory-policy not noeviction) or persists
                  nothing (AOF and RDB off); same as REDIS_UNSAFE_OK=1. Without it, serve refuses such a Redis.

Redis: $REDIS_URL, or unset for an embedded redis-server (random password, AOF in $DATA_DIR/redis).
Stops gracefully on SIGTERM/SIGINT: no new requests, in-flight jobs finish, then Redis closes.
`;

const roles: readonly ServeRole[] = ['all', 'api', 'worker'];

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string' },
    role: { type: 'string' },
    'allow-unsafe-redis': { type: 'boolean' },
  });
  const role = (values.role ?? 'all') as ServeRole;
  if (!roles.includes(role)) throw new UsageError(`--role must be one of ${roles.join(', ')}, got "${values.role}"`);
  const loaded = loadCliConfigOrReport(io, values.config);
  if (!loaded) return 1;
  const { env, config } = loaded;
  writeLines(
    io.stderr,
    [...envWarnings(env), ...(config.warnings ?? []).map(formatProblem)].map((w) => `warning: ${w}`),
  );
  const log = createLogger({ level: env.logLevel, base: { role } });
  const started = startService({
    env,
    config,
    role,
    log,
    allowUnsafeRedis: values['allow-unsafe-redis'] === true,
    onFatal: (e) => {
      log.fatal({ err: { message: e.message } }, 'embedded Redis is gone: exiting');
      process.exit(1);
    },
  });
  // Signals are handled from here on, also while the service is still starting (runUntilSignal).
  const stopping = runUntilSignal(started, { log });
  await started;
  const code = await stopping;
  // Everything is closed; should a library still hold a handle, do not hang in the orchestrator's face.
  setTimeout(() => process.exit(code), 2_000).unref();
  return code;
}
