import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exampleEnv } from '../../bench/example-env.js';
import { signAutotaskBody } from '../../connectors/autotask/webhook.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/test-pipeline.js';

// SECURITY.md #25: the container runs as a non-root user on a read-only root filesystem with a tmpfs /tmp
// (docker-compose.yml `read_only: true`, `tmpfs: [/tmp]`, Dockerfile `USER`). No Docker engine here, so the same
// conditions are built with Linux itself: a private mount namespace where `/` is remounted read-only and /tmp is a
// fresh tmpfs, and `serve` dropped to uid/gid 65534 (nobody) — then the service must start, answer, take a webhook
// and stop cleanly without writing anywhere.

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'readonly-fs-webhook-secret-0123456789';
const NOBODY = 65_534;

let redis: TestRedis;
let child: ChildProcess;
let base: string;
let output = '';
let app: string;

/** Whether this machine lets root build a private mount namespace (a VM: yes; an unprivileged container: no). */
const canMount =
  spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /tmp'], {
    stdio: 'ignore',
  }).status === 0;
if (!canMount) console.warn('readonly-fs: mount namespaces are not available here; checking the non-root user only');

/**
 * `sh -c` script, in a private mount namespace: the checkout bind-mounted read-only at `app` (a directory under /run,
 * so nobody can reach it whatever the permissions of the directories above the checkout), `/` remounted read-only, a
 * fresh tmpfs on /tmp, then `serve` as nobody from `app`.
 */
function jail(app: string): string {
  const serve = [
    process.execPath,
    '--import',
    'tsx',
    'src/cli/index.ts',
    'serve',
    '--role',
    'all',
    '--config',
    'examples/escalator.yaml',
  ];
  if (!canMount) {
    // No mount namespaces here (a container without CAP_SYS_ADMIN): only the non-root half can be checked.
    return [
      'set -e',
      `cd '${root}'`,
      `exec setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups ${serve.map((a) => `'${a}'`).join(' ')}`,
    ].join('\n');
  }
  return [
    'set -e',
    `mount --bind '${root}' '${app}'`,
    `mount -o remount,bind,ro '${app}'`,
    'mount -o remount,bind,ro /',
    'mount -t tmpfs -o size=64m,mode=1777 tmpfs /tmp',
    // Proof that the jail holds: even root cannot write to / or the checkout here (else serve never starts).
    `for f in /.psa-escalator-rw-probe '${app}/.psa-escalator-rw-probe'; do if touch "$f" 2>/dev/null; then echo "$f is writable"; exit 3; fi; done`,
    `cd '${app}'`,
    `exec setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups ${serve.map((a) => `'${a}'`).join(' ')}`,
  ].join('\n');
}

beforeAll(async () => {
  redis = await startRedis();
  app = mkdtempSync('/run/psa-escalator-readonly-');
  chmodSync(app, 0o755);
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/tmp',
    ...exampleEnv(SECRET),
    REDIS_URL: redis.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_TOKEN: 'r'.repeat(40),
    LOG_LEVEL: 'info',
  };
  const script = jail(app);
  child = canMount
    ? spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn('sh', ['-c', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${output.slice(-2_000)}`);
      return output.includes('psa-escalator is serving') || undefined;
    },
    60_000,
    100,
  );
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  await redis?.close();
  if (app) rmdirSync(app);
});

/** `unshare` execs `sh`, which execs `setpriv`, which execs node: the child's pid IS the serve process. */
const servePid = (): number => child.pid!;

describe('read-only root filesystem, non-root user (SECURITY.md #25)', () => {
  it('serves as uid/gid 65534 on a read-only /, and takes a signed webhook', async () => {
    const status = readFileSync(`/proc/${servePid()}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(NOBODY));
    expect(/^Gid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(NOBODY));
    const ready = await waitFor(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      20_000,
    );
    expect(ready).toBe(true);

    const body = JSON.stringify({
      Action: 'Update',
      Guid: 'a1da62a4-2c49-40a8-8183-69994ce5b3eb',
      EntityType: 'Ticket',
      Id: 351181,
      Fields: { Status: '8' },
      EventTime: '2026-11-24T10:00:00Z',
      SequenceNumber: 1,
      PersonID: 30691780,
    });
    const res = await fetch(`${base}/webhooks/globex-at`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hook-signature': signAutotaskBody(body, SECRET) },
      body,
    });
    expect(res.status).toBe(202);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('stops cleanly on SIGTERM, and nothing tried to write to the read-only filesystem', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    process.kill(servePid(), 'SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/EROFS|read-only file system|EACCES/i);
  });
});
