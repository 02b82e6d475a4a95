/**
 * Idle RSS of a real `serve` process (SPEC §8: < 150 MB per process): `src/cli/index.ts serve --role all` on the
 * example config against a private redis-server, read from /proc once it has served for a while with no traffic.
 * It runs through tsx, whose loader and transpiled-source cache the built `bin/psa-escalator.js` does not carry, so
 * the figure is an upper bound.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { startRedis } from '../test/helpers/redis.js';

import { exampleEnv } from './example-env.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** VmRSS of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) / 1024;
}

/** Starts `serve`, waits until it logs that it is serving, idles `idleMs`, returns its RSS in MB and stops it. */
export async function measureIdleRss(idleMs = 5_000): Promise<number> {
  const redis = await startRedis();
  const env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...exampleEnv('bench-webhook-secret-0123456789abcdef'),
    REDIS_URL: redis.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_TOKEN: 'b'.repeat(40),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--config', 'examples/escalator.yaml'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out.slice(-2_000)}`)), 60_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes('psa-escalator is serving')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out.slice(-2_000)}`)));
    });
    await new Promise((r) => setTimeout(r, idleMs));
    return rssMb(child.pid!);
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
    await redis.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`idle RSS of serve: ${(await measureIdleRss()).toFixed(0)} MB`);
