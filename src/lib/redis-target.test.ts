import { describe, expect, it } from 'vitest';

import {
  clusterTargetString,
  describeRedisTarget,
  parseRedisTarget,
  redisTopology,
  sentinelTargetString,
  withTlsFiles,
} from './redis-target.js';

const parsed = (s: string) => {
  const r = parseRedisTarget(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('Redis targets', () => {
  it('reads standalone URLs with credentials, database and TLS', () => {
    expect(parsed('redis://127.0.0.1:6380')).toEqual({ kind: 'standalone', host: '127.0.0.1', port: 6380 });
    expect(parsed('redis://cache')).toEqual({ kind: 'standalone', host: 'cache', port: 6379 });
    expect(parsed('redis://:s%40cret@cache:6379/2')).toEqual({
      kind: 'standalone',
      host: 'cache',
      port: 6379,
      password: 's@cret',
      db: 2,
    });
    expect(parsed('rediss://app:pw@cache.example.com:6380?tlsCa=/etc/ca.pem')).toEqual({
      kind: 'standalone',
      host: 'cache.example.com',
      port: 6380,
      username: 'app',
      password: 'pw',
      tls: { caFile: '/etc/ca.pem' },
    });
    expect(parsed('redis://[::1]:6379')).toMatchObject({ host: '::1', port: 6379 });
  });

  it('reads Sentinel targets: several sentinels, the master name, passwords, db', () => {
    expect(parsed('redis+sentinel://:pw@s1:26379,s2:26380,s3/mymaster?db=1&sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: 's3', port: 26379 },
      ],
      masterName: 'mymaster',
      password: 'pw',
      sentinelPassword: 'sp',
      db: 1,
    });
    expect(parsed('rediss+sentinel://s1:26379/m')).toMatchObject({ kind: 'sentinel', tls: {} });
  });

  it('reads Cluster targets: seed nodes, password, TLS files; no database number', () => {
    expect(parsed('redis+cluster://:pw@n1:7000,n2:7001,[::1]')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: '::1', port: 6379 },
      ],
      password: 'pw',
    });
    expect(parsed('rediss+cluster://n1:7000?tlsCa=/ca.pem')).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'n1', port: 7000 }],
      tls: { caFile: '/ca.pem' },
    });
    for (const bad of [
      'redis+cluster://',
      'redis+cluster://n1:7000/1',
      'redis+cluster://n1:7000?db=1',
      'redis+cluster://n1:7000,,n2',
      'redis+cluster://n1:70000',
    ]) {
      expect(parseRedisTarget(bad).ok, bad).toBe(false);
    }
  });

  it('builds the Cluster target from REDIS_CLUSTER_NODES and REDIS_PASSWORD', () => {
    const t = clusterTargetString({ nodes: ' n1:7000, n2:7001 ', password: 'p@ss:w' });
    expect(t).toBe('redis+cluster://:p%40ss%3Aw@n1:7000,n2:7001');
    expect(parsed(t)).toMatchObject({
      kind: 'cluster',
      password: 'p@ss:w',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
    });
    expect(
      parsed(withTlsFiles(clusterTargetString({ nodes: 'n1:7000', tls: true }), { caFile: '/ca.pem' })),
    ).toMatchObject({ kind: 'cluster', tls: { caFile: '/ca.pem' } });
  });

  it('refuses what it cannot connect to, in one line without the password', () => {
    for (const bad of [
      'http://cache:6379',
      'redis://a:1,b:2',
      'redis+sentinel://s1:26379',
      'redis+sentinel://s1:99999/m',
      'redis://cache/abc',
      'cache:6379',
    ]) {
      const r = parseRedisTarget(bad);
      expect(r.ok, bad).toBe(false);
    }
    const r = parseRedisTarget('redis://:topsecret@a:1,b:2');
    expect(r.ok ? '' : r.error).not.toContain('topsecret');
  });

  it('builds the Sentinel target from REDIS_SENTINELS and REDIS_SENTINEL_NAME, and appends TLS files', () => {
    const t = sentinelTargetString({
      sentinels: 's1:26379, s2:26379',
      masterName: 'mymaster',
      password: 'p@ss',
      sentinelPassword: 'x y',
    });
    expect(parsed(t)).toMatchObject({
      kind: 'sentinel',
      masterName: 'mymaster',
      password: 'p@ss',
      sentinelPassword: 'x y',
      sentinels: [{ host: 's1' }, { host: 's2' }],
    });
    expect(
      parsed(withTlsFiles('rediss://c:6380', { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' })).tls,
    ).toEqual({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
  });

  it('names the topology in words, never the password', () => {
    expect(describeRedisTarget(parsed('redis+sentinel://:pw@s1:26379,s2:26379/mymaster'))).toBe(
      'sentinel master "mymaster" via 2 sentinel(s) s1:26379,s2:26379',
    );
    expect(redisTopology('rediss://:pw@cache:6380/3')).toBe('standalone cache:6380, db 3, TLS');
    expect(redisTopology(undefined)).toMatch(/embedded/);
    expect(redisTopology('rediss+cluster://:pw@n1:7000,n2:7001')).toBe(
      'cluster via 2 seed node(s) n1:7000,n2:7001, TLS',
    );
    expect(redisTopology('redis+cluster://:pw@n1:7000')).not.toContain('pw');
  });
});
