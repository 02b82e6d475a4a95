import type { AnyConnector, PsaKind } from '../contract/index.js';
import type { AppConfig } from '../config/types.js';
import { compilePolicy, evaluate } from '../engine/index.js';
import type { CompiledPolicy } from '../engine/index.js';
import { buildCompileInput } from '../pipeline/policy/compile-input.js';

import type { DryRunEvaluator } from './deps.js';
import { notFoundError } from './errors.js';

/**
 * The real engine behind `POST /api/evaluate`. Each instance's policy is compiled on first use and kept: the config
 * is immutable for the life of the app, and compiling (calendars as UTC intervals) is the expensive part.
 */
export function createEngineEvaluator(config: AppConfig, connectors: Record<PsaKind, AnyConnector>): DryRunEvaluator {
  const compiled = new Map<string, CompiledPolicy>();
  const policyFor = (instanceId: string): CompiledPolicy => {
    const cached = compiled.get(instanceId);
    if (cached) return cached;
    const loaded = config.instances.find((i) => i.info.id === instanceId);
    if (!loaded) throw notFoundError();
    const policy = compilePolicy(buildCompileInput(config, loaded, connectors[loaded.info.kind]));
    compiled.set(instanceId, policy);
    return policy;
  };
  return ({ instanceId, ticket, state, now }) => evaluate({ ticket, state, policy: policyFor(instanceId), now });
}
