import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { EnvError, envVariables, envWarnings, loadEnv, parseEnv } from './env.js';

describe('loadEnv', () => {
  it('applies the docs/spec.md §7 defaults to an empty environment', () => {
    expect(loadEnv({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: './data',
      logLevel: 'info',
      workerConcurrency: 4,
      webhookMaxBytes: 1_048_576,
      debounceMs: 250,
    });
  });

  it('reads every variable', () => {
    expect(
      loadEnv({
        PORT: '9000',
        HOST: '127.0.0.1',
        REDIS_URL: 'redis://redis:6379/0',
        DATA_DIR: '/var/lib/esc',
        LOG_LEVEL: 'debug',
        ADMIN_TOKEN: 'x'.repeat(40),
        PUBLIC_URL: 'https://esc.example.com/',
        WORKER_CONCURRENCY: '8',
        WEBHOOK_MAX_BYTES: '2048',
        DEBOUNCE_MS: '0',
        CONFIG_FILE: '/etc/escalator.yaml',
        UNRELATED: 'ignored',
      }),
    ).toEqual({
      port: 9000,
      host: '127.0.0.1',
      redisUrl: 'redis://redis:6379/0',
      dataDir: '/var/lib/esc',
      logLevel: 'debug',
      adminToken: 'x'.repeat(40),
      publicUrl: 'https://esc.example.com',
      workerConcurrency: 8,
      webhookMaxBytes: 2048,
      debounceMs: 0,
      configFile: '/etc/escalator.yaml',
    });
  });

  it('treats blank values as unset', () => {
    expect(loadEnv({ PORT: '', REDIS_URL: '  ', ADMIN_TOKEN: '' })).toMatchObject({ port: 8080 });
    expect(loadEnv({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('throws one line per bad variable, never echoing the admin token', () => {
    let error: unknown;
    try {
      loadEnv({
        PORT: 'eighty',
        REDIS_URL: 'http://redis',
        LOG_LEVEL: 'loud',
        WORKER_CONCURRENCY: '0',
        DEBOUNCE_MS: '-5',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    expect((error as EnvError).problems).toEqual([
      'PORT: expected a port number 0-65535, got "eighty"',
      // A Redis URL may carry a password: never echoed.
      'REDIS_URL: expected redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster:// (host:port[,host:port]/…)',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'WORKER_CONCURRENCY: expected an integer 1-1000, got "0"',
      'DEBOUNCE_MS: expected milliseconds 0-60000, got "-5"',
    ]);
    expect((error as Error).message.split('\n')).toHaveLength(5);
  });

  it('builds a Sentinel target from REDIS_SENTINELS + REDIS_SENTINEL_NAME, with passwords and TLS files', () => {
    expect(
      loadEnv({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_PASSWORD: 'pw' }).redisUrl,
    ).toBe('redis+sentinel://:pw@s1:26379,s2:26379/mymaster');
    expect(loadEnv({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: '/ca.pem' }).redisUrl).toBe(
      'rediss://cache:6380?tlsCa=%2Fca.pem',
    );
    expect(loadEnv({ REDIS_URL: 'redis+sentinel://s1:26379,s2:26379/mymaster' }).redisUrl).toBe(
      'redis+sentinel://s1:26379,s2:26379/mymaster',
    );
  });

  it('builds a Cluster target from REDIS_CLUSTER_NODES, with REDIS_PASSWORD and TLS files', () => {
    expect(loadEnv({ REDIS_CLUSTER_NODES: 'n1:7000, n2:7001', REDIS_PASSWORD: 'pw' }).redisUrl).toBe(
      'redis+cluster://:pw@n1:7000,n2:7001',
    );
    expect(loadEnv({ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS_CA_FILE: '/ca.pem' }).redisUrl).toBe(
      'rediss+cluster://n1:7000?tlsCa=%2Fca.pem',
    );
    expect(loadEnv({ REDIS_URL: 'redis+cluster://n1:7000,n2:7001' }).redisUrl).toBe('redis+cluster://n1:7000,n2:7001');
  });

  it('refuses conflicting Cluster settings in one line each', () => {
    expect(parseEnv({ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_URL: 'redis://x' })).toEqual({
      ok: false,
      error: ['REDIS_CLUSTER_NODES: set either REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, not several'],
    });
    expect(parseEnv({ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm' }).ok).toBe(
      false,
    );
    expect(parseEnv({ REDIS_CLUSTER_NODES: 'n1' })).toEqual({
      ok: false,
      error: ['REDIS_CLUSTER_NODES: expected host:port[,host:port…], got "n1"'],
    });
    expect(loadEnv({ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_WAIT_REPLICAS: '1' }).redisWaitReplicas).toBe(1);
  });

  it('refuses half or conflicting Redis settings in one line each', () => {
    expect(parseEnv({ REDIS_SENTINELS: 's1:26379' })).toEqual({
      ok: false,
      error: ['REDIS_SENTINELS: REDIS_SENTINELS and REDIS_SENTINEL_NAME go together'],
    });
    expect(parseEnv({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://x' }).ok).toBe(false);
    expect(parseEnv({ REDIS_URL: 'redis://x', REDIS_TLS_CA_FILE: '/ca.pem' })).toEqual({
      ok: false,
      error: ['REDIS_TLS_CA_FILE: TLS files need a rediss:// (or rediss+sentinel://) target'],
    });
    expect(parseEnv({ REDIS_SENTINELS: 'nope', REDIS_SENTINEL_NAME: 'm' })).toEqual({
      ok: false,
      error: ['REDIS_SENTINELS: expected host:port[,host:port…], got "nope"'],
    });
  });

  it('parseEnv returns the same problems as a value', () => {
    expect(parseEnv({ PUBLIC_URL: 'ftp://x' })).toEqual({
      ok: false,
      error: ['PUBLIC_URL: expected an http(s) URL, got "ftp://x"'],
    });
  });

  it('warns about a short admin token', () => {
    expect(envWarnings(loadEnv({ ADMIN_TOKEN: 'secret' }))).toHaveLength(1);
    expect(envWarnings(loadEnv({ ADMIN_TOKEN: 'a'.repeat(32) }))).toEqual([]);
  });
});

describe('.env.example', () => {
  it('lists every variable the service reads, with its default', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const [name, spec] of Object.entries(envVariables)) {
      const line =
        spec.default === undefined ? new RegExp(`^# ${name}=`, 'm') : new RegExp(`^${name}=${spec.default}$`, 'm');
      expect(text, name).toMatch(line);
    }
  });

  it('parses with its defaults exactly as an empty environment does', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const env = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(loadEnv(env)).toEqual(loadEnv({}));
  });
});
