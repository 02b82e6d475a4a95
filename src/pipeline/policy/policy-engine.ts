import type { Decision, Ticket, TicketState } from '../../contract/index.js';
import type { AppConfig } from '../../config/types.js';
import { compilePolicy, evaluate } from '../../engine/index.js';
import type { CompiledPolicy } from '../../engine/index.js';
import type { ConnectorLookup } from '../outbound/instance-runtime.js';

import { buildCompileInput } from './compile-input.js';

/**
 * The one policy engine of the service: the workers evaluate tickets with it and `POST /api/evaluate` dry-runs the same
 * compiled policies (src/http/evaluator.ts adapts it). Tests may pass a small deterministic one.
 */
export interface PolicyEngine {
  /** A Decision for one instance's compiled policy; throws UnknownInstanceError for an instance not in the config. */
  evaluate(instanceId: string, ticket: Ticket, state: TicketState | undefined, now: number | string | Date): Decision;
}

/** The instance id is not in the config (the API answers 404). */
export class UnknownInstanceError extends Error {
  constructor(readonly instanceId: string) {
    super(`unknown instance "${instanceId}"`);
    this.name = 'UnknownInstanceError';
  }
}

export interface PolicyEngineOptions {
  /**
   * `eager` (the workers): every instance's policy is compiled now, so a policy the engine rejects stops `serve` before
   * it takes traffic. `lazy` (an API-only app): each policy is compiled on first use and kept (the config is immutable).
   * @defaultValue 'eager'
   */
  compile?: 'eager' | 'lazy';
}

/** Compiles each instance's policy once (calendars as UTC intervals: the expensive part) and evaluates against it. */
export function createPolicyEngine(
  config: AppConfig,
  connectors: ConnectorLookup,
  options: PolicyEngineOptions = {},
): PolicyEngine {
  const compiled = new Map<string, CompiledPolicy>();
  const compileFor = (instanceId: string): CompiledPolicy => {
    const loaded = config.instances.find((i) => i.info.id === instanceId);
    if (!loaded) throw new UnknownInstanceError(instanceId);
    const connector = connectors[loaded.info.kind];
    if (!connector) throw new Error(`instance ${instanceId}: no connector for kind "${loaded.info.kind}"`);
    const policy = compilePolicy(buildCompileInput(config, loaded, connector));
    compiled.set(instanceId, policy);
    return policy;
  };
  if ((options.compile ?? 'eager') === 'eager') for (const loaded of config.instances) compileFor(loaded.info.id);
  return {
    evaluate(instanceId, ticket, state, now) {
      const policy = compiled.get(instanceId) ?? compileFor(instanceId);
      return evaluate({ ticket, ...(state ? { state } : {}), policy, now });
    },
  };
}
