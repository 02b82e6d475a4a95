import { loadFromSource, resolveConfigSource } from '../config/builtin.js';
import { parseEnv } from '../config/env.js';
import { formatProblem } from '../config/problems.js';
import type { AppConfig, EnvConfig } from '../config/types.js';
import { connectors } from '../connectors.js';
import type { Result } from '../contract/index.js';

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

/** The configured instance `id`, or the line to print (exit 1) naming the configured ones. */
export function findCliInstance(config: AppConfig, id: string): Result<AppConfig['instances'][number], string[]> {
  const instance = config.instances.find((i) => i.info.id === id);
  if (instance) return { ok: true, value: instance };
  return {
    ok: false,
    error: [`unknown instance "${id}" (configured: ${config.instances.map((i) => i.info.id).join(', ')})`],
  };
}
