/**
 * Idle RSS of a real `serve` process (docs/spec.md §8: < 150 MB per process): `serve --role all` on the example config
 * against a private redis-server, read from /proc once it has served for a while with no traffic. Measured as
 * shipped (compiled with tsconfig.build.json into node_modules/.cache, run by plain `node`, as `bin/psa-escalator.js`
 * runs dist/) and, for comparison, through tsx (`npm run dev`), whose loader and transpiled sources add their own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { startRedis } from '../test/helpers/redis.js';

import { exampleEnv } from './example-env.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Inside node_modules so the compiled files resolve packages as dist/ does, and git never sees them. */
const buildDir = 'node_modules/.cache/psa-escalator-bench';

export type ServeBuild = 'compiled' | 'tsx';

/** Compiles src/ + connectors/ as `npm run build` does (≈ 15 s), into a private folder (dist/ is left alone). */
export function compileForBench(): void {
  execFileSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', buildDir],
    { cwd: root, stdio: 'inherit' },
  );
  // As `npm run build` does (scripts/copy-console-assets.mjs): the console (served by role all) reads its static files.
  cpSync(`${root}src/http/console/assets`, `${root}${buildDir}/src/http/console/assets`, { recursive: true });
}

/** VmRSS of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) / 1024;
}

/**
 * Starts `serve` (compiled: call `compileForBench()` first), waits until it logs that it is serving, idles `idleMs`,
 * returns its RSS in MB and stops it.
 */
export async function measureIdleRss(build: ServeBuild, idleMs = 5_000): Promise<number> {
  const redis = await startRedis();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...exampleEnv('bench-webhook-secret-0123456789abcdef'),
    REDIS_URL: redis.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ADMIN_TOKEN: 'b'.repeat(40),
  };
  const entry = build === 'tsx' ? ['--import', 'tsx', 'src/cli/index.ts'] : [`${buildDir}/src/cli/index.js`];
  const child = spawn(process.execPath, [...entry, 'serve', '--config', 'examples/escalator.yaml'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  compileForBench();
  console.log(
    `idle RSS of serve: ${(await measureIdleRss('compiled')).toFixed(0)} MB compiled, ${(await measureIdleRss('tsx')).toFixed(0)} MB through tsx`,
  );
}
