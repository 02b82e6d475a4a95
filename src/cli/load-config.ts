import { loadFromSource, resolveConfigSource } from '../config/builtin.js';
import { parseEnv } from '../config/env.js';
import { formatProblem } from '../config/problems.js';
import type { AppConfig, EnvConfig } from '../config/types.js';
import { connectors } from '../connectors.js';
import type { Result } from '../contract/index.js';

import { writeLines } from './args.js';
import type { CliIo } from './args.js';

/**
 * Environment + configuration as every long-running or PSA-calling verb loads them: `--config FILE`, else
 * `CONFIG_FILE`, else `./escalator.yaml`, else the built-in config. Failures are the lines to print (exit 1).
 */
export function loadCliConfig(
  io: CliIo,
  explicit: string | undefined,
): Result<{ env: EnvConfig; config: AppConfig }, string[]> {
  const env = parseEnv(io.env);
  if (!env.ok) return env;
  const source = resolveConfigSource(env.value, { ...(explicit ? { explicit } : {}), cwd: io.cwd });
  const loaded = loadFromSource(source, io.env, connectors);
  if (!loaded.ok) return { ok: false, error: loaded.error.filter((p) => p.severity === 'error').map(formatProblem) };
  return { ok: true, value: { env: env.value, config: loaded.value } };
}

/** `loadCliConfig` for a verb that exits 1 on a bad config: the failure lines go to stderr, the answer is undefined. */
export function loadCliConfigOrReport(
  io: CliIo,
  explicit: string | undefined,
): { env: EnvConfig; config: AppConfig } | undefined {
  const loaded = loadCliConfig(io, explicit);
  if (loaded.ok) return loaded.value;
  writeLines(io.stderr, loaded.error);
  return undefined;
}

/** The configured instance `id`; else the line naming the configured ones goes to stderr (exit 1) and undefined. */
export function findCliInstance(io: CliIo, config: AppConfig, id: string): AppConfig['instances'][number] | undefined {
  const instance = config.instances.find((i) => i.info.id === id);
  if (!instance)
    writeLines(io.stderr, [
      `unknown instance "${id}" (configured: ${config.instances.map((i) => i.info.id).join(', ')})`,
    ]);
  return instance;
}
