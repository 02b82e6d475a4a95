import { describe, expect, it } from 'vitest';

import { connectors } from '../connectors.js';

import { BUILTIN_CONFIG_SOURCE, loadBuiltinConfig, loadFromSource, resolveConfigSource } from './builtin.js';
import { formatProblem } from './problems.js';

describe('built-in config', () => {
  const result = loadBuiltinConfig(connectors);
  if (!result.ok) throw new Error(result.error.map(formatProblem).join('\n'));
  const config = result.value;

  it('loads with an EMPTY environment and no warnings', () => {
    expect(loadFromSource({ kind: 'builtin' }, {}, connectors).ok).toBe(true);
    expect(config.source).toBe(BUILTIN_CONFIG_SOURCE);
    expect(config.warnings).toEqual([]);
  });

  it('has one observe-mode instance per PSA, pointed only at loopback', () => {
    expect(config.instances.map((i) => [i.info.id, i.info.kind, i.info.mode])).toEqual([
      ['acme-cw', 'connectwise', 'observe'],
      ['globex-at', 'autotask', 'observe'],
      ['initech-halo', 'halo', 'observe'],
    ]);
    const urls = JSON.stringify(config.instances.map((i) => i.settings)).match(/https?:\/\/[^"]+/g) ?? [];
    expect(urls.length).toBeGreaterThanOrEqual(5);
    for (const url of [...urls, ...Object.values(config.notifiers).map((n) => n.url)]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }
  });

  it('uses the example policy', () => {
    expect(config.policies['standard']!.rules.map((r) => r.id)).toEqual([
      'emergency-security',
      'emergency-outage',
      'functional-network',
      'complexity-multi-user',
      't1-timeout',
      't2-timeout',
      'sla-risk',
      'sla-breach',
      'vip-fast-lane',
      'recurring-incident',
      'orphan',
      'after-hours-p1',
    ]);
  });

  it('generates webhook secrets per load instead of publishing constants', () => {
    const again = loadBuiltinConfig(connectors);
    if (!again.ok) throw new Error('unreachable');
    const secret = (c: typeof config) =>
      (c.instances[1]!.settings as { webhook: { secretKey: string } }).webhook.secretKey;
    expect(secret(config)).toMatch(/^[\w-]{32}$/);
    expect(secret(again.value)).not.toBe(secret(config));
  });
});

describe('resolveConfigSource', () => {
  const none = () => false;
  it('prefers --config, then CONFIG_FILE, then ./escalator.yaml, else built-in', () => {
    expect(resolveConfigSource({ configFile: 'env.yaml' }, { explicit: 'flag.yaml', exists: none })).toEqual({
      kind: 'file',
      path: 'flag.yaml',
    });
    expect(resolveConfigSource({ configFile: 'env.yaml' }, { exists: none })).toEqual({
      kind: 'file',
      path: 'env.yaml',
    });
    expect(resolveConfigSource({}, { cwd: '/srv', exists: (p) => p === '/srv/escalator.yaml' })).toEqual({
      kind: 'file',
      path: '/srv/escalator.yaml',
    });
    expect(resolveConfigSource({}, { cwd: '/srv', exists: none })).toEqual({ kind: 'builtin' });
  });
});
