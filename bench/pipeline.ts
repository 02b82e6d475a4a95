/**
 * Throughput of the whole pipeline: signed ConnectWise callbacks → escalations (PATCH + handoff note) per minute,
 * with 1, 2 and 4 worker processes (each WORKER_CONCURRENCY 8) behind one api process on one Redis, against a fake
 * ConnectWise that answers every request after `--latency` ms (200). Two budgets, side by side in one run:
 * ConnectWise's default rate limit (600 requests per minute per instance, shared by all workers through Redis) and an
 * effectively unlimited one, which shows what our processes alone can do — and so where the PSA's budget, not our
 * code, becomes the limit.
 *
 *   npx tsx bench/pipeline.ts [--tickets 200] [--latency 200] [--workers 1,2,4] [--json]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { cwTicket, FakeConnectWise, seedConnectWise } from '../test/helpers/fake-connectwise.js';
import { startRedis } from '../test/helpers/redis.js';

import { cwBenchVars } from './cw-service.js';
import { arg, fmt, printJson } from './util.js';

interface Node {
  proc: ChildProcess;
  url: string;
}

const node = fileURLToPath(new URL('./pipeline-node.ts', import.meta.url));

async function startNode(env: Record<string, string>): Promise<Node> {
  const proc = spawn(process.execPath, ['--import', 'tsx', node], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.once('exit', (code) => reject(new Error(`bench node exited with ${code}`)));
  });
  return { proc, url };
}

async function stopNode(n: Node): Promise<void> {
  if (n.proc.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    n.proc.once('exit', () => resolve());
    n.proc.kill('SIGTERM');
  });
}

export interface PipelineRow {
  workers: number;
  budget: string;
  tickets: number;
  seconds: number;
  escalationsPerMin: number;
  psaCallsPerMin: number;
  callsPerEscalation: number;
}

async function runOnce(
  workers: number,
  budget: { name: string; perMinute?: number },
  tickets: number,
  latencyMs: number,
): Promise<PipelineRow> {
  const redis = await startRedis({ appendfsync: 'everysec' });
  const fake = seedConnectWise(await new FakeConnectWise().start());
  fake.latencyMs = latencyMs;
  const entered = new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ids = Array.from({ length: tickets }, (_, i) => 700_000 + i);
  for (const id of ids) cwTicket(fake, id, entered);
  const env = {
    ...cwBenchVars(fake),
    REDIS_URL: redis.url,
    ...(budget.perMinute ? { RATE_REQUESTS: String(budget.perMinute) } : {}),
  };
  const nodes: Node[] = [];
  try {
    const api = await startNode({ ...env, ROLE: 'api' });
    nodes.push(api);
    nodes.push(...(await Promise.all(Array.from({ length: workers }, () => startNode({ ...env, ROLE: 'worker' })))));
    const before = fake.requests.length;
    const t0 = Date.now();
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const body = fake.callbackBody(id);
          const res = await fetch(`${api.url}/webhooks/acme-cw`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-content-signature': fake.sign(body) },
            body,
          });
          await res.arrayBuffer();
          if (res.status !== 202) throw new Error(`callback for ${id}: ${res.status}`);
        }
      }),
    );
    const done = () => ids.every((id) => (fake.notes.get(id)?.length ?? 0) >= 1);
    const deadline = Date.now() + 15 * 60_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('escalations did not finish within 15 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (Date.now() - t0) / 1_000;
    const calls = fake.requests.length - before;
    return {
      workers,
      budget: budget.name,
      tickets,
      seconds: Math.round(seconds * 10) / 10,
      escalationsPerMin: (tickets / seconds) * 60,
      psaCallsPerMin: (calls / seconds) * 60,
      callsPerEscalation: calls / tickets,
    };
  } finally {
    await Promise.all(nodes.map(stopNode));
    await fake.close();
    await redis.close();
  }
}

export async function benchPipeline(): Promise<PipelineRow[]> {
  const tickets = arg('tickets', 200);
  const latencyMs = arg('latency', 200);
  const i = process.argv.indexOf('--workers');
  const workerCounts = i > 0 ? process.argv[i + 1]!.split(',').map(Number) : [1, 2, 4];
  const budgets = [
    { name: 'ConnectWise 600/min', perMinute: 600 },
    { name: 'unlimited', perMinute: 1_000_000 },
  ];
  const rows: PipelineRow[] = [];
  console.log(
    `pipeline: ${tickets} overdue T1 tickets, one callback each, fake ConnectWise answering after ${latencyMs} ms`,
  );
  for (const budget of budgets) {
    for (const workers of workerCounts) {
      const row = await runOnce(workers, budget, tickets, latencyMs);
      rows.push(row);
      console.log(
        `  ${budget.name.padEnd(20)} ${String(workers)} worker(s): ${fmt(row.escalationsPerMin).padStart(5)} escalations/min, ` +
          `${fmt(row.psaCallsPerMin).padStart(5)} PSA calls/min (${row.callsPerEscalation.toFixed(1)} per escalation), ${row.seconds} s`,
      );
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchPipeline();
  if (process.argv.includes('--json')) printJson(rows);
  process.exit(0);
}
