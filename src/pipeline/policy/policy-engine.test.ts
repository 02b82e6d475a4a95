import { describe, expect, it } from 'vitest';

import { exampleEnv } from '../../../test/fixtures/config/example-env.js';
import { loadConfigFile } from '../../config/load.js';
import { connectors } from '../../connectors.js';
import { cwTicket } from '../../engine/__fixtures__/example-policy.js';

import { UnknownInstanceError, createPolicyEngine } from './policy-engine.js';

const examplePath = new URL('../../../examples/escalator.yaml', import.meta.url).pathname;

describe('the policy engine (workers and POST /api/evaluate)', () => {
  const result = loadConfigFile(examplePath, exampleEnv, connectors);
  if (!result.ok) throw new Error('example config must load');
  const config = result.value;
  const instanceId = config.instances[0]!.info.id;
  const ticket = cwTicket({ ref: { psa: 'connectwise', instance: instanceId, id: '1' } });
  const now = Date.parse('2026-03-02T15:00:00Z');

  it('gives the same decision compiled eagerly (workers) or lazily (an API-only app)', () => {
    const eager = createPolicyEngine(config, connectors).evaluate(instanceId, ticket, undefined, now);
    const lazy = createPolicyEngine(config, connectors, { compile: 'lazy' }).evaluate(
      instanceId,
      ticket,
      {},
      new Date(now),
    );
    expect(lazy).toEqual(eager);
    expect(eager.clocks).toBeDefined();
  });

  it('names an unknown instance with UnknownInstanceError', () => {
    const engine = createPolicyEngine(config, connectors, { compile: 'lazy' });
    expect(() => engine.evaluate('nope', ticket, undefined, now)).toThrow(UnknownInstanceError);
  });
});
