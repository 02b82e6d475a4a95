import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

import { startEmbeddedRedis } from '../../src/store/embedded-redis.js';
import type { EmbeddedRedis } from '../../src/store/embedded-redis.js';
import { quietLog, waitFor } from '../helpers/test-pipeline.js';

/**
 * Another local process (any user on the host) connecting to the embedded Redis on loopback could read ticket state
 * or inject jobs. The embedded redis-server runs with a random `requirepass`, known only to this process (passed on
 * stdin, never on the command line where `ps` shows it), and survives a restart of the child.
 */
const dirs: string[] = [];
const started: EmbeddedRedis[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function embedded(): Promise<EmbeddedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'psa-esc-auth-'));
  dirs.push(dir);
  const r = await startEmbeddedRedis({ dataDir: dir, log: quietLog() });
  started.push(r);
  return r;
}

/** What a client without the password gets for `GET anything` (raw RESP, as any local process could send it). */
function tryUnauthenticated(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve(`timeout: ${answer}`);
    });
    socket.on('error', (e) => resolve(`error: ${e.message}`));
    socket.on('connect', () => socket.write('GET anything\r\n'));
    socket.on('data', (b: Buffer) => {
      answer += b.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.trim());
      }
    });
  });
}

describe('embedded Redis authentication', () => {
  it('a local process without the password gets NOAUTH; the service URL carries a random password', async () => {
    const a = await embedded();
    expect(await tryUnauthenticated(a.port)).toMatch(/NOAUTH/);
    const c = new Redis(a.url);
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');
    c.disconnect();
    const b = await embedded();
    const pass = (u: string) => new URL(u).password;
    expect(pass(a.url).length).toBeGreaterThanOrEqual(32);
    expect(pass(a.url)).not.toBe(pass(b.url));
  }, 30_000);

  it('the password is not on the redis-server command line (ps)', async () => {
    const a = await embedded();
    const { readFileSync } = await import('node:fs');
    const cmdline = readFileSync(`/proc/${a.pid()}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(new URL(a.url).password);
  }, 30_000);

  it('a restarted child keeps the same password (clients reconnect)', async () => {
    const a = await embedded();
    const c = new Redis(a.url, { maxRetriesPerRequest: null });
    c.on('error', () => undefined);
    await c.set('before', '1');
    process.kill(a.pid()!, 'SIGKILL');
    await waitFor(() => a.restarts() === 1, 15_000);
    await waitFor(async () => (await c.set('after', '1')) === 'OK', 15_000);
    expect(await tryUnauthenticated(a.port)).toMatch(/NOAUTH/);
    c.disconnect();
  }, 45_000);
});
