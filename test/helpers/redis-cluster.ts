import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Redis } from 'ioredis';

import { freePort } from './redis.js';
import { dataArgs, killAll, startOnFreePort } from './redis-sentinel.js';

const run = promisify(execFile);

/**
 * A real Redis Cluster on loopback for one test file: `masters` data nodes of Debian's `redis-server` with
 * `--cluster-enabled yes` (each on a free port, its cluster bus on another free port via `cluster-port`), joined by
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`, and ready once every node says `cluster_state:ok`.
 */
export interface TestCluster {
  /** The data ports (masters first, then replicas, as `--cluster create` assigns them). */
  ports: number[];
  /** `REDIS_CLUSTER_NODES`: `127.0.0.1:p1,127.0.0.1:p2,…` */
  nodes: string;
  /** `redis+cluster://127.0.0.1:p1,…` */
  url: string;
  /** The port of the master that holds `key`'s slot (CLUSTER KEYSLOT + CLUSTER SLOTS). */
  ownerOf(key: string): Promise<number>;
  /** SIGSTOP of the replica(s) of the master that holds `key`'s slot (replication to them stalls); resolves a resume. */
  freezeReplicasOf(key: string): Promise<() => void>;
  close(): Promise<void>;
}

async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** `replicas`: replicas per master (`--cluster-replicas`). */
export async function startCluster(options: { masters?: number; replicas?: number } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'psa-esc-cluster-'));
  const procs: Awaited<ReturnType<typeof startOnFreePort>>[] = [];
  const close = async () => {
    for (const p of procs) p.child.kill('SIGCONT');
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const replicas = options.replicas ?? 0;
    for (let i = 0; i < (options.masters ?? 3) * (1 + replicas); i++) {
      const bus = await freePort();
      procs.push(
        await startOnFreePort((port) => [
          ...dataArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-port',
          String(bus),
          '--cluster-node-timeout',
          '2000',
          '--repl-diskless-sync-delay',
          '0',
        ]),
      );
    }
    const ports = procs.map((p) => p.port);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    // `--cluster create` returns when the slots are assigned; the nodes agree a moment later (gossip).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(
        ports.map((p) => onNode(p, async (r) => /cluster_state:(\w+)/.exec(await r.cluster('INFO'))?.[1])),
      );
      // With replicas, WAIT needs each replica in sync with its master: count the replicas the masters report online.
      const linked =
        replicas === 0
          ? 0
          : (
              await Promise.all(
                ports.map((p) =>
                  onNode(p, async (r) => (await r.info('replication')).match(/state=online/g)?.length ?? 0),
                ),
              )
            ).reduce((a, b) => a + b, 0);
      if (states.every((s) => s === 'ok') && linked === (options.masters ?? 3) * replicas) break;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not ok after 30 s: ${states.join(',')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const api: TestCluster = {
      ports,
      nodes,
      url: `redis+cluster://${nodes}`,
      ownerOf: (key) =>
        onNode(ports[0]!, async (r) => {
          const slot = await r.cluster('KEYSLOT', key);
          const range = (await r.cluster('SLOTS')).find(([lo, hi]) => slot >= lo && slot <= hi);
          const master = range?.[2];
          if (!master) throw new Error(`no master holds slot ${slot}`);
          return master[1];
        }),
      async freezeReplicasOf(key) {
        const master = await api.ownerOf(key);
        const info = await onNode(master, (r) => r.info('replication'));
        const replicaPorts = [...info.matchAll(/slave\d+:ip=[^,]+,port=(\d+)/g)].map((m) => Number(m[1]));
        const frozen = procs.filter((p) => replicaPorts.includes(p.port));
        if (frozen.length === 0) throw new Error(`master ${master} has no replica`);
        for (const p of frozen) p.child.kill('SIGSTOP');
        return () => {
          for (const p of frozen) p.child.kill('SIGCONT');
        };
      },
      close,
    };
    return api;
  } catch (e) {
    await close();
    throw e;
  }
}
