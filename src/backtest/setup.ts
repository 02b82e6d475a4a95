import type { AppConfig, LoadedInstance } from '../config/types.js';
import { connectors } from '../connectors.js';
import type { Result } from '../contract/index.js';
import { buildCompileInput } from '../pipeline/policy/compile-input.js';

import type { BacktestSpec } from './engine-core.js';

/**
 * The backtest's policies from validated configs: the instance's mapping and connector from the service config; the
 * policy (with its calendars, groups and templates) from the candidate file when one is given (`--policy`,
 * `--compare`: an escalator.yaml — the instance of the same id, else the instance's policy name, else its only
 * policy). The same `buildCompileInput` as the live service, so a backtest compiles exactly what `serve` would.
 */

export interface Candidate {
  /** Shown in the report (file name). */
  label: string;
  config: AppConfig;
}

function candidateInput(
  base: AppConfig,
  instance: LoadedInstance,
  candidate: Candidate | undefined,
): Result<{ name: string; input: BacktestSpec['policy']['input'] }, string> {
  const connector = connectors[instance.info.kind];
  if (!candidate)
    return { ok: true, value: { name: instance.info.policy, input: buildCompileInput(base, instance, connector) } };
  const { config, label } = candidate;
  const same = config.instances.find((i) => i.info.id === instance.info.id);
  if (same)
    return {
      ok: true,
      value: {
        name: `${label}:${same.info.policy}`,
        input: buildCompileInput(config, same, connectors[same.info.kind]),
      },
    };
  const names = Object.keys(config.policies);
  const name = Object.hasOwn(config.policies, instance.info.policy)
    ? instance.info.policy
    : names.length === 1
      ? names[0]!
      : undefined;
  if (name === undefined)
    return {
      ok: false,
      error: `${label}: no instance "${instance.info.id}" and no single policy to use (policies: ${names.join(', ')})`,
    };
  const merged: AppConfig = {
    ...base,
    policies: { ...base.policies, [instance.info.policy]: config.policies[name]! },
    calendars: config.calendars,
    groups: config.groups,
    templates: config.templates,
    tiers: config.tiers,
  };
  return { ok: true, value: { name: `${label}:${name}`, input: buildCompileInput(merged, instance, connector) } };
}

export function backtestSpec(args: {
  config: AppConfig;
  instanceId: string;
  policy?: Candidate;
  compare?: Candidate;
  keepDecisions: number;
}): Result<BacktestSpec, string> {
  const instance = args.config.instances.find((i) => i.info.id === args.instanceId);
  if (!instance)
    return {
      ok: false,
      error: `unknown instance "${args.instanceId}" (known: ${args.config.instances.map((i) => i.info.id).join(', ')})`,
    };
  const policy = candidateInput(args.config, instance, args.policy);
  if (!policy.ok) return policy;
  const spec: BacktestSpec = { instanceId: args.instanceId, policy: policy.value, keepDecisions: args.keepDecisions };
  if (args.compare) {
    const other = candidateInput(args.config, instance, args.compare);
    if (!other.ok) return other;
    spec.compare = other.value;
  }
  return { ok: true, value: spec };
}
