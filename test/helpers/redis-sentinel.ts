import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePort } from './redis.js';

/**
 * A real Redis Sentinel topology on loopback for one test file: a master, replicas and three sentinels, all Debian's
 * `redis-server` (sentinel mode is the same binary). Fast failure detection (1 s) so a failover takes a few seconds.
 */
export interface TestSentinel {
  masterName: string;
  /** `redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/<masterName>` */
  url: string;
  /** The port of the data node that is master now (asks a sentinel). */
  masterPort(): Promise<number>;
  /** kill -9 of the current master. */
  killMaster(): Promise<number>;
  close(): Promise<void>;
}

interface Proc {
  port: number;
  child: ChildProcess;
}

/** Starts redis-server on a free port (another if that one was taken meanwhile); `args(port)` builds its arguments. */
export async function startOnFreePort(args: (port: number) => string[]): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startServer(args(port), port);
    } catch (e) {
      if (attempt >= 5 || !/Address already in use/i.test(String(e))) throw e;
    }
  }
}

async function startServer(args: string[], port: number): Promise<Proc> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (/Ready to accept connections|Sentinel ID is/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}: ${out}`));
    });
  });
  return { port, child };
}

/** SIGKILLs every process still running and waits until each has exited. */
export async function killAll(procs: readonly Proc[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGKILL');
        }),
    ),
  );
}

export const dataArgs = (port: number, dir: string) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--appendonly',
  'yes',
  '--appendfilename',
  `aof-${port}.aof`,
  '--appenddirname',
  `aof-${port}`,
  '--appendfsync',
  'everysec',
  '--save',
  '',
  '--maxmemory-policy',
  'noeviction',
  '--hz',
  '100',
  '--daemonize',
  'no',
];

export async function startSentinel(options: { replicas?: number } = {}): Promise<TestSentinel> {
  const masterName = 'escalator';
  const dir = mkdtempSync(join(tmpdir(), 'psa-esc-sentinel-'));
  const procs: Proc[] = [];
  const master = await startOnFreePort((port) => dataArgs(port, dir));
  const masterPort = master.port;
  procs.push(master);
  for (let i = 0; i < (options.replicas ?? 2); i++) {
    procs.push(
      await startOnFreePort((port) => [...dataArgs(port, dir), '--replicaof', '127.0.0.1', String(masterPort)]),
    );
  }
  const sentinelPorts: number[] = [];
  const sentinelConf = (port: number): string => {
    const file = join(dir, `sentinel-${port}.conf`);
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  for (let i = 0; i < 3; i++) {
    const proc = await startOnFreePort((port) => [sentinelConf(port), '--sentinel']);
    procs.push(proc);
    sentinelPorts.push(proc.port);
  }
  const askSentinel = async (): Promise<number> => {
    const s = new Redis({ port: sentinelPorts[0]!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await s.connect();
      const addr = (await s.call('SENTINEL', 'get-master-addr-by-name', masterName)) as [string, string];
      return Number(addr[1]);
    } finally {
      s.disconnect();
    }
  };
  return {
    masterName,
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}`,
    masterPort: askSentinel,
    async killMaster() {
      const port = await askSentinel();
      const proc = procs.find((p) => p.port === port);
      if (!proc) throw new Error(`no process on master port ${port}`);
      await new Promise<void>((resolve) => {
        proc.child.once('exit', () => resolve());
        proc.child.kill('SIGKILL');
      });
      return port;
    },
    async close() {
      await killAll(procs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
