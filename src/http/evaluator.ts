import { UnknownInstanceError } from '../pipeline/policy/policy-engine.js';
import type { PolicyEngine } from '../pipeline/policy/policy-engine.js';

import type { DryRunEvaluator } from './deps.js';
import { notFoundError } from './errors.js';

/**
 * `POST /api/evaluate` runs the workers' policy engine (src/pipeline/policy/policy-engine.ts): same compiled policies,
 * same evaluation. An instance not in the config is the API's 404.
 */
export function createEngineEvaluator(engine: PolicyEngine): DryRunEvaluator {
  return ({ instanceId, ticket, state, now }) => {
    try {
      return engine.evaluate(instanceId, ticket, state, now);
    } catch (e) {
      if (e instanceof UnknownInstanceError) throw notFoundError();
      throw e;
    }
  };
}
