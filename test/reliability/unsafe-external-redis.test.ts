import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { parseEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/lib/logger.js';
import type { AppLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/main.js';
import type { RunningService } from '../../src/main.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { testConnector } from '../helpers/test-connector.js';
import { testConfig } from '../helpers/test-pipeline.js';
import { connectors } from '../../src/connectors.js';

/**
 * External Redis checked, not assumed (issue 12 item 11): with REDIS_URL, `serve` refuses to start when Redis can
 * evict keys (maxmemory-policy other than noeviction) or keeps nothing across a restart (AOF and RDB both off),
 * unless overridden; where CONFIG GET is refused (managed Redis) one warning line says what could not be checked.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const redises: TestRedis[] = [];
const services: RunningService[] = [];

afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const r of redises.splice(0)) await r.close();
});

async function redisWith(...extraArgs: string[]): Promise<TestRedis> {
  const r = await startRedis({ extraArgs });
  redises.push(r);
  return r;
}

function capture(): { log: AppLogger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger({ level: 'info', destination });
  return { log, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

async function serve(
  redisUrl: string,
  extraEnv: Record<string, string> = {},
  log?: AppLogger,
): Promise<RunningService> {
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: redisUrl, ...extraEnv });
  if (!env.ok) throw new Error(env.error.join('; '));
  const s = await startService({
    env: env.value,
    config: testConfig({ psaUrl: 'http://127.0.0.1:9' }),
    role: 'all',
    connectors: { ...connectors, connectwise: testConnector },
    ...(log ? { log } : {}),
    pipeline: { tuning: { heartbeatMs: 200, pollMs: 100, closeTimeoutMs: 2_000 } },
  });
  services.push(s);
  return s;
}

describe('external Redis safety check at start-up', () => {
  it('maxmemory-policy allkeys-lru (keys evicted under memory pressure) → refuses to start with one line', async () => {
    const r = await redisWith('--maxmemory-policy', 'allkeys-lru');
    const error = await serve(r.url).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error, 'serve started against an evicting Redis').toBeInstanceOf(Error);
    expect(error!.message).not.toContain('\n');
    expect(error!.message).toMatch(/maxmemory-policy is "allkeys-lru".*noeviction/);
    expect(error!.message).toMatch(/--allow-unsafe-redis|REDIS_UNSAFE_OK=1/);
  }, 30_000);

  it('persistence off (appendonly no, save "") → refuses to start', async () => {
    const r = await redisWith('--appendonly', 'no', '--save', '');
    const error = await serve(r.url).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error, 'serve started against a Redis that keeps nothing across a restart').toBeInstanceOf(Error);
    expect(error!.message).toMatch(/persistence is off/);
  }, 30_000);

  it('REDIS_UNSAFE_OK=1 overrides the refusal, with a warning line', async () => {
    const r = await redisWith('--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no', '--save', '');
    const { log, lines } = capture();
    const s = await serve(r.url, { REDIS_UNSAFE_OK: '1' }, log);
    expect(s.url).toMatch(/^http:/);
    const warnings = lines().filter((l) => l.level === 40 && /unsafe Redis/i.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/allkeys-lru/);
  }, 30_000);

  it('CONFIG renamed away (managed Redis) → starts, one warning line says what could not be checked', async () => {
    const r = await redisWith('--rename-command', 'CONFIG', '');
    const { log, lines } = capture();
    await serve(r.url, {}, log);
    const warnings = lines().filter((l) => l.level === 40 && /could not check/i.test(l.msg));
    expect(warnings, JSON.stringify(lines().filter((l) => l.level >= 40))).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/maxmemory-policy/);
    expect(warnings[0]!.msg).toMatch(/persistence/);
  }, 30_000);

  it('a safe Redis (noeviction, AOF on) starts without a warning about it', async () => {
    const r = await redisWith();
    const { log, lines } = capture();
    await serve(r.url, {}, log);
    expect(lines().filter((l) => l.level >= 40 && /redis/i.test(l.msg))).toEqual([]);
  }, 30_000);

  it('`psa-escalator serve` against an evicting Redis exits 1 with one stderr line; --allow-unsafe-redis is accepted', async () => {
    const r = await redisWith('--maxmemory-policy', 'volatile-lru');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string; out: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          REDIS_URL: r.url,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
        };
        delete env.CONFIG_FILE;
        delete env.REDIS_UNSAFE_OK;
        const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/cli/index.ts'), 'serve', ...args], {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        let out = '';
        child.stderr.on('data', (b: Buffer) => (err += b.toString()));
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('"psa-escalator is serving"')) child.kill('SIGTERM');
        });
        child.once('exit', (code) => resolve({ code, err, out }));
      });
    const refused = await run([]);
    expect(refused.code).toBe(1);
    const lines = refused.err.trim().split('\n');
    expect(lines, refused.err).toHaveLength(1);
    expect(lines[0]).toMatch(/^psa-escalator serve: .*maxmemory-policy is "volatile-lru"/);
    const allowed = await run(['--allow-unsafe-redis']);
    expect(allowed.out, allowed.err).toContain('"psa-escalator is serving"');
    expect(allowed.out).toMatch(
      /unsafe Redis at redis:\/\/127\.0\.0\.1:\d+: maxmemory-policy is \\"volatile-lru\\".*starting anyway/,
    );
  }, 90_000);
});
