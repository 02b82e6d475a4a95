import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { waitFor } from '../helpers/test-pipeline.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');
const cli = join(root, 'src/cli/index.ts');
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'psa-esc-serve-'));
  dirs.push(d);
  return d;
}

const spawned: ChildProcess[] = [];

/**
 * `tsx src/cli/index.ts serve …` in its own process group, so that a test failing before it stops the service can
 * still take the whole group down (wrapper, service, esbuild) instead of leaving a server running.
 */
function serve(args: string[], options: SpawnOptions) {
  const child = spawn(tsx, [cli, 'serve', ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  spawned.push(child);
  return child as ChildProcess & {
    stdout: NonNullable<ChildProcess['stdout']>;
    stderr: NonNullable<ChildProcess['stderr']>;
  };
}

afterAll(() => {
  for (const c of spawned) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Environment without REDIS_URL / CONFIG_FILE from the developer's shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const drop = new Set(['REDIS_URL', 'CONFIG_FILE', 'PORT', 'HOST', 'DATA_DIR', 'ADMIN_TOKEN', 'PUBLIC_URL']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.has(k)));
  return { ...env, LOG_LEVEL: 'info', ...extra };
}

describe('psa-escalator serve (child process)', () => {
  it('starts with no Redis configured (embedded) and the built-in config, is ready, and stops cleanly on SIGTERM', async () => {
    const cwd = tempDir();
    const child = serve([], { cwd, env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(cwd, 'data') }) });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const url = await waitFor(
      () => {
        const line = out.split('\n').find((l) => l.includes('"psa-escalator is serving"'));
        return line ? (JSON.parse(line) as { url: string }).url : undefined;
      },
      45_000,
      100,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\nstderr: ${err}`);
    });
    const ready = await waitFor(
      async () => {
        const res = await fetch(`${url}/readyz`);
        return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
      },
      15_000,
      200,
    );
    expect(ready).toMatchObject({ ready: true, checks: { redis: true, config: true, workers: true } });
    expect(readdirSync(join(cwd, 'data', 'redis')).some((f) => f.startsWith('appendonly'))).toBe(true);
    const redisPid = Number(/"component":"embedded-redis".*?"pid":(\d+)/.exec(out)?.[1]);
    expect(redisPid).toBeGreaterThan(0);
    // The service process itself (its `pid` in the serving line), as a process manager signals node: signalling the tsx wrapper races
    // its relay, which SIGKILLs a service slow to confirm the signal (test/reliability/fixtures/child.ts `terminate`).
    const servePid = Number(/"pid":(\d+)[^\n]*"psa-escalator is serving"/.exec(out)?.[1]);
    expect(servePid).toBeGreaterThan(0);
    process.kill(servePid, 'SIGTERM');
    expect(await exited).toBe(0);
    // The embedded redis-server went with it.
    expect(() => process.kill(redisPid, 0)).toThrow();
  }, 90_000);

  it('without a redis-server binary: one clear line and exit 1', async () => {
    const bin = tempDir();
    symlinkSync(process.execPath, join(bin, 'node'));
    const cwd = tempDir();
    const child = serve([], { cwd, env: cleanEnv({ PATH: bin, PORT: '0', DATA_DIR: join(cwd, 'data') }) });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    const lines = err.split('\n').filter((l) => l.trim() !== '' && !l.includes('npm warn'));
    expect(lines).toEqual([
      expect.stringMatching(/^psa-escalator serve: redis-server not found: install Redis .* or set REDIS_URL/),
    ]);
  }, 60_000);

  it('a bad --role is a usage error', async () => {
    const child = serve(['--role', 'both'], { cwd: tempDir(), env: cleanEnv({}) });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('--role must be one of all, api, worker');
  }, 60_000);
});
