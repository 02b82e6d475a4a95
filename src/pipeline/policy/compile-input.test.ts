import { describe, expect, it } from 'vitest';

import { exampleEnv } from '../../../test/fixtures/config/example-env.js';
import { loadConfigFile } from '../../config/load.js';
import { connectors } from '../../connectors.js';

import { buildCompileInput } from './compile-input.js';

const examplePath = new URL('../../../examples/escalator.yaml', import.meta.url).pathname;

describe('buildCompileInput', () => {
  const result = loadConfigFile(examplePath, exampleEnv, connectors);
  if (!result.ok) throw new Error('example config must load');
  const config = result.value;

  it('hands the engine the instance policy, calendars (with built-in always) and the connector location keys', () => {
    const at = config.instances[1]!;
    const input = buildCompileInput(config, at, connectors.autotask);
    expect(input.policyName).toBe('standard');
    expect(input.policy).toBe(config.policies['standard']);
    expect(input.tiers).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(Object.keys(input.calendars).sort()).toEqual(['always', 'business', 'sydney']);
    expect(input.notifiers).toEqual(['managers', 'oncall', 'managers-quiet']);
    expect(input.instance).toMatchObject({
      id: 'globex-at',
      tiers: ['T1', 'T2', 'T3', 'T4'],
      membersRequireMapping: true,
      locationKeys: connectors.autotask.locationKeys,
      priorities: { P1: [4], P2: [1], P3: [2], P4: [3] },
    });
    expect(input.instance.tierLocations['T2']).toEqual([{ queueID: 29682969 }, { queueID: 29683500 }]);
    expect(input.instance.groupLocations['security']).toEqual({ queueID: 29683501 });
    expect(input.instance.members['sec.dave']).toEqual({ resourceID: 29684006, roleID: 29683003 });
  });

  it('throws on an instance whose policy is missing (a config that skipped validation)', () => {
    const broken = { ...config.instances[0]!, info: { ...config.instances[0]!.info, policy: 'nope' } };
    expect(() => buildCompileInput(config, broken, connectors.connectwise)).toThrow(/policy "nope"/);
  });
});
