import { describe, expect, it } from 'vitest';

import { loadBuiltinConfig } from '../config/builtin.js';
import { connectors } from '../connectors.js';

import { compileProblems, run, summarize } from './check-config.js';

describe('check-config helpers', () => {
  const result = loadBuiltinConfig(connectors);
  if (!result.ok) throw new Error('built-in config must load');
  const config = result.value;

  it('every instance of a loaded config compiles with the engine', () => {
    expect(compileProblems(config)).toEqual([]);
  });

  it('reports what the engine refuses (a config altered after validation), per instance', () => {
    const policy = config.policies['standard']!;
    const broken = {
      ...config,
      instances: config.instances.slice(0, 1),
      policies: {
        standard: { ...policy, rules: [{ ...policy.rules[0]!, then: { ...policy.rules[0]!.then, group: 'ghosts' } }] },
      },
    };
    const lines = compileProblems(broken);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^instances\[0\] \(acme-cw\): .*group.*"ghosts"/);
  });

  it('summarizes a config in one line', () => {
    expect(summarize(config)).toBe(
      'built-in: OK · 3 instances [acme-cw (connectwise, observe), globex-at (autotask, observe), initech-halo (halo, observe)] · 1 policy [standard: 12 rules] · 4 tiers, 4 groups, 2 notifiers, 2 calendars',
    );
  });

  it('names a Redis Cluster from REDIS_CLUSTER_NODES in its summary line, never the password', async () => {
    let out = '';
    let errText = '';
    const io = {
      env: { REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379,redis-2:6379', REDIS_PASSWORD: 'topsecret' },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (errText += t) },
      cwd: process.cwd(),
      now: () => new Date(0),
    };
    expect(await run(['check-config', '--builtin'], io)).toBe(0);
    expect(errText).toBe('');
    expect(out).toMatch(/ · redis: cluster via 3 seed node\(s\) redis-0:6379,redis-1:6379,redis-2:6379\n$/);
    expect(out).not.toContain('topsecret');
  });
});
