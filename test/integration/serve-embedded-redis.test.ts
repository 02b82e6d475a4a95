import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

import { RedisBinaryMissingError, startEmbeddedRedis } from '../../src/store/embedded-redis.js';
import type { EmbeddedRedis } from '../../src/store/embedded-redis.js';
import { quietLog, waitFor } from '../helpers/test-pipeline.js';

const dirs: string[] = [];
const started: EmbeddedRedis[] = [];

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'psa-esc-embedded-'));
  dirs.push(d);
  return d;
}

/** Everything Redis wrote to its AOF files under `dir` so far (what a SIGKILL cannot take back). */
function aofText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.includes('.aof'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('');
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('embedded redis-server', () => {
  it('starts on loopback with AOF in DATA_DIR/redis and noeviction, and answers', async () => {
    const dir = dataDir();
    const r = await startEmbeddedRedis({ dataDir: dir, log: quietLog() });
    started.push(r);
    expect(r.url).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    const c = new Redis(r.url);
    expect(await c.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    await c.set('k', 'v');
    c.disconnect();
    expect(r.dir).toBe(join(dir, 'redis'));
    expect(existsSync(join(dir, 'redis'))).toBe(true);
    expect(readdirSync(join(dir, 'redis')).some((f) => f.startsWith('appendonly'))).toBe(true);
  });

  it('restarts a child that died, on the same port, with its data (AOF)', async () => {
    const r = await startEmbeddedRedis({ dataDir: dataDir(), log: quietLog() });
    started.push(r);
    const c = new Redis(r.url, { maxRetriesPerRequest: null });
    c.on('error', () => undefined);
    await c.set('survives', 'yes');
    // appendfsync everysec: wait until the write is in the AOF file (a busy disk can hold it back for > 1 s).
    await waitFor(() => aofText(r.dir).includes('survives'), 10_000);
    const first = r.pid();
    process.kill(first!, 'SIGKILL');
    await waitFor(() => r.restarts() === 1, 10_000);
    expect(r.pid()).not.toBe(first);
    expect(await c.get('survives')).toBe('yes');
    c.disconnect();
  });

  it('stops the child on stop() and does not restart it', async () => {
    const r = await startEmbeddedRedis({ dataDir: dataDir(), log: quietLog() });
    const pid = r.pid()!;
    await r.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    // Longer than a restart would take (250 ms delay + start-up), even on a slow machine.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(r.restarts()).toBe(0);
  });

  it('a missing binary is one clear error saying how to install it or set REDIS_URL', async () => {
    const error = await startEmbeddedRedis({
      dataDir: dataDir(),
      log: quietLog(),
      binary: 'redis-server-does-not-exist',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisBinaryMissingError);
    expect((error as Error).message).toMatch(
      /not found: install Redis .*apt-get install -y redis-server.* or set REDIS_URL/,
    );
    expect((error as Error).message).not.toContain('\n');
  });
});
