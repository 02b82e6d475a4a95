import type { AppConfig } from '../../config/types.js';
import { compilePolicy, evaluate } from '../../engine/index.js';
import type { CompiledPolicy } from '../../engine/index.js';

import type { ConnectorLookup } from '../outbound/instance-runtime.js';
import type { PolicyEngine } from './engine.js';
import { buildCompileInput } from './compile-input.js';

/**
 * The real engine for the workers: every instance's policy compiled once at start-up (calendars precomputed), so a
 * policy the engine rejects stops `serve` before it takes traffic rather than failing jobs later.
 */
export function createPolicyEngine(config: AppConfig, connectors: ConnectorLookup): PolicyEngine {
  const compiled = new Map<string, CompiledPolicy>();
  for (const loaded of config.instances) {
    const connector = connectors[loaded.info.kind];
    if (!connector) throw new Error(`instance ${loaded.info.id}: no connector for kind "${loaded.info.kind}"`);
    compiled.set(loaded.info.id, compilePolicy(buildCompileInput(config, loaded, connector)));
  }
  return {
    evaluate(instanceId, ticket, state, now) {
      const policy = compiled.get(instanceId);
      if (!policy) throw new Error(`unknown instance "${instanceId}"`);
      return evaluate({ ticket, state, policy, now });
    },
  };
}
