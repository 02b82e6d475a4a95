import { BUILTIN_CONFIG_SOURCE, loadBuiltinConfig } from '../config/builtin.js';
import { envWarnings, parseEnv } from '../config/env.js';
import { redisTopology } from '../lib/redis-target.js';
import { loadConfigFile } from '../config/load.js';
import { problemLines } from '../config/problems.js';
import type { AppConfig } from '../config/types.js';
import { connectors } from '../connectors.js';
import { PolicyCompileError, compilePolicy } from '../engine/index.js';
import { buildCompileInput } from '../pipeline/policy/compile-input.js';

import { parseFlags, writeLines } from './args.js';
import type { CliIo } from './args.js';

export const usage = `Usage: psa-escalator check-config [FILE] [--builtin]

Validates a configuration file (default: $CONFIG_FILE, else ./escalator.yaml) and the environment.
Valid: exit 0, one summary line on stdout, warnings on stderr.
Invalid: exit 1, one line per problem on stderr: <yaml path>: <problem> (line N).

  --builtin   check the built-in configuration instead of a file
`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line describing a valid config, for humans and CI logs. */
export function summarize(config: AppConfig): string {
  const instances = config.instances.map((i) => `${i.info.id} (${i.info.kind}, ${i.info.mode})`).join(', ');
  const policies = Object.entries(config.policies).map(([name, p]) => `${name}: ${plural(p.rules.length, 'rule')}`);
  return [
    `${config.source}: OK`,
    `${plural(config.instances.length, 'instance')} [${instances}]`,
    `${plural(policies.length, 'policy').replace('policys', 'policies')} [${policies.join(', ')}]`,
    `${plural(config.tiers.length, 'tier')}, ${plural(Object.keys(config.groups).length, 'group')}, ${plural(Object.keys(config.notifiers).length, 'notifier')}, ${plural(Object.keys(config.calendars).length, 'calendar')}`,
  ].join(' · ');
}

/**
 * Belt and braces: compile every instance's policy with the engine, exactly as `serve` will, so "check-config OK"
 * always means "serve starts". The loader already checks everything the engine does; anything here is a gap.
 */
export function compileProblems(config: AppConfig): string[] {
  return config.instances.flatMap((instance) => {
    try {
      compilePolicy(buildCompileInput(config, instance, connectors[instance.info.kind]));
      return [];
    } catch (error) {
      if (error instanceof PolicyCompileError)
        return error.problems.map(
          (p) => `instances[${config.instances.indexOf(instance)}] (${instance.info.id}): ${p}`,
        );
      throw error;
    }
  });
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { builtin: { type: 'boolean' } }, 1);
  const env = parseEnv(io.env);
  const envLines = env.ok ? envWarnings(env.value).map((w) => `warning: ${w}`) : env.error;
  const file = positionals[0] ?? (env.ok ? env.value.configFile : undefined) ?? 'escalator.yaml';
  const result = values.builtin ? loadBuiltinConfig(connectors) : loadConfigFile(file, io.env, connectors);
  if (!result.ok) {
    writeLines(io.stderr, [...(env.ok ? [] : env.error), ...problemLines(result.error)]);
    return 1;
  }
  const compile = compileProblems(result.value);
  writeLines(io.stderr, [...envLines, ...compile, ...problemLines(result.value.warnings ?? [])]);
  if (!env.ok || compile.length > 0) return 1;
  const config = values.builtin ? { ...result.value, source: BUILTIN_CONFIG_SOURCE } : result.value;
  const warnings = config.warnings?.length ? ` · ${plural(config.warnings.length, 'warning')}` : '';
  io.stdout.write(`${summarize(config)}${warnings} · redis: ${redisTopology(env.value.redisUrl)}\n`);
  return 0;
}
