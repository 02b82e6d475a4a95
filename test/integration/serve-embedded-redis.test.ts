import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Pids of every descendant of `root` (from /proc: children lists), depth first. */
function descendants(root: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${root}/task/${root}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** Starts an embedded Redis as `serve` does, with PATH set to `path` (unset when undefined) meanwhile; it must answer. */
async function startWithPath(path: string | undefined): Promise<void> {
  const saved = process.env.PATH;
  if (path === undefined) delete process.env.PATH;
  else process.env.PATH = path;
  try {
    const r = await startEmbeddedRedis({ dataDir: dataDir(), log: quietLog() });
    started.push(r);
    const client = new Redis(r.url);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  } finally {
    process.env.PATH = saved;
  }
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

  it.runIf(process.platform === 'linux')(
    'a SIGKILLed owner takes its redis-server with it (no orphan left on the data directory)',
    async () => {
      const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
      const owner = spawn(
        tsx,
        [fileURLToPath(new URL('./fixtures/embedded-redis-owner.ts', import.meta.url)), dataDir()],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      owner.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const { pid } = await waitFor(
        () => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]!) as { pid: number }) : undefined),
        40_000,
        50,
        () => `the owner's redis-server pid (stdout so far: ${JSON.stringify(out)})`,
      );
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(alive()).toBe(true);
      // The owner is tsx's child: SIGKILL every process of the owner's tree except redis-server itself.
      const ownerExited = new Promise((r) => owner.once('exit', r));
      for (const p of descendants(owner.pid!).filter((p) => p !== pid)) process.kill(p, 'SIGKILL');
      owner.kill('SIGKILL');
      await ownerExited;
      try {
        await waitFor(() => !alive(), 10_000, 50, `redis-server ${pid} to die with its owner`);
      } finally {
        if (alive()) process.kill(pid, 'SIGKILL');
      }
    },
    60_000,
  );

  it('a setpriv without --pdeathsig (util-linux < 2.33) on PATH: redis-server is started directly and answers', async () => {
    const bin = dataDir();
    // Like util-linux 2.32's setpriv: any --pdeathsig is an unrecognized option (exit 1); it would run nothing else.
    writeFileSync(join(bin, 'setpriv'), '#!/bin/sh\necho "setpriv: unrecognized option \'--pdeathsig\'" >&2\nexit 1\n');
    chmodSync(join(bin, 'setpriv'), 0o755);
    await startWithPath(`${bin}:${process.env.PATH ?? ''}`);
  });

  it.runIf(process.platform === 'linux')(
    'a setpriv probe that ignores SIGTERM is killed at its timeout: start goes on without it and redis answers',
    async () => {
      const bin = dataDir();
      // Hangs past the probe's 5 s timeout and ignores the SIGTERM spawnSync sends by default: a probe that only
      // sends SIGTERM waits for it (here 12 s, then it leaves `survived`; a real one could hang `serve` for good).
      writeFileSync(
        join(bin, 'setpriv'),
        `#!/bin/sh\ntrap '' TERM\ni=0\nwhile [ $i -lt 12 ]; do sleep 1; i=$((i+1)); done\necho survived > '${join(bin, 'survived')}'\nexit 1\n`,
      );
      chmodSync(join(bin, 'setpriv'), 0o755);
      await startWithPath(`${bin}:${process.env.PATH ?? ''}`);
      expect(existsSync(join(bin, 'survived')), 'the probe waited for a setpriv that ignored SIGTERM').toBe(false);
    },
    60_000,
  );

  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/redis-server'))(
    'without PATH (env -i, a bare supervisor) redis-server is found where spawn looks then: /usr/bin, /bin',
    async () => {
      await startWithPath(undefined);
    },
  );

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
