import { envWarnings } from '../config/env.js';
import { formatProblem } from '../config/problems.js';
import { createLogger } from '../lib/logger.js';
import { runUntilSignal, startService } from '../main.js';
import { UsageError, parseFlags, writeLines } from './args.js';
import { loadCliConfig } from './load-config.js';
export const usage = `Usage: psa-escalator serve [--config FILE] [--role all|api|worker]

Runs the service: webhooks in, escalations out.
  --config FILE   configuration (default: $CONFIG_FILE, else ./escalator.yaml, else the built-in config)
  --role ROLE     all (default): API and workers · api: webhooks and /api only · worker: queue consumers only
                  (every role serves /healthz, /readyz and /metrics)

Redis: $REDIS_URL, or unset for an embedded redis-server with its data in $DATA_DIR/redis.
Stops gracefully on SIGTERM/SIGINT: no new requests, in-flight jobs finish, then Redis closes.
`;
const roles = ['all', 'api', 'worker'];
export async function run(args, io) {
    const { values } = parseFlags(args, { config: { type: 'string' }, role: { type: 'string' } });
    const role = (values.role ?? 'all');
    if (!roles.includes(role))
        throw new UsageError(`--role must be one of ${roles.join(', ')}, got "${values.role}"`);
    const loaded = loadCliConfig(io, values.config);
    if (!loaded.ok) {
        writeLines(io.stderr, loaded.error);
        return 1;
    }
    const { env, config } = loaded.value;
    writeLines(io.stderr, [...envWarnings(env), ...(config.warnings ?? []).map(formatProblem)].map((w) => `warning: ${w}`));
    const log = createLogger({ level: env.logLevel, base: { role } });
    const service = await startService({
        env, config, role, log,
        onFatal: (e) => {
            log.fatal({ err: { message: e.message } }, 'embedded Redis is gone: exiting');
            process.exit(1);
        },
    });
    const code = await runUntilSignal(service, { log });
    // Everything is closed; should a library still hold a handle, do not hang in the orchestrator's face.
    setTimeout(() => process.exit(code), 2_000).unref();
    return code;
}
//# sourceMappingURL=serve.js.map