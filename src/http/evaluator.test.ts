import { describe, expect, it } from 'vitest';

import { exampleEnv } from '../../test/fixtures/config/example-env.js';
import { loadConfigFile } from '../config/load.js';
import { connectors } from '../connectors.js';
import { cwTicket } from '../engine/__fixtures__/example-policy.js';
import { createPolicyEngine } from '../pipeline/policy/policy-engine.js';
import type { PolicyEngine } from '../pipeline/policy/policy-engine.js';

import { HttpError } from './errors.js';
import { createEngineEvaluator } from './evaluator.js';

const examplePath = new URL('../../examples/escalator.yaml', import.meta.url).pathname;

describe("POST /api/evaluate runs the workers' policy engine", () => {
  const result = loadConfigFile(examplePath, exampleEnv, connectors);
  if (!result.ok) throw new Error('example config must load');
  const config = result.value;
  const instanceId = config.instances[0]!.info.id;
  const ticket = cwTicket({ ref: { psa: 'connectwise', instance: instanceId, id: '1' } });
  const now = new Date('2026-03-02T15:00:00Z');

  it('evaluates through the engine it is given, and answers 404 for an instance not in the config', () => {
    const calls: string[] = [];
    const real = createPolicyEngine(config, connectors);
    const spy: PolicyEngine = {
      evaluate(id, t, s, n) {
        calls.push(id);
        return real.evaluate(id, t, s, n);
      },
    };
    const evaluate = createEngineEvaluator(spy);
    expect(evaluate({ instanceId, ticket, now })).toEqual(real.evaluate(instanceId, ticket, undefined, now));
    expect(calls).toEqual([instanceId]);
    let thrown: unknown;
    try {
      evaluate({ instanceId: 'nope', ticket, now });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).status).toBe(404);
  });
});
