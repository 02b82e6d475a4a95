import { Queue } from 'bullmq';

import { queueNames } from '../pipeline/queue/queues.js';
import { closeRedis, createRedis, waitReady } from '../store/redis.js';
import { createLogger } from '../lib/logger.js';

import { UsageError, parseFlags, writeLines } from './args.js';
import type { CliIo } from './args.js';
import { findCliInstance, loadCliConfigOrReport } from './load-config.js';

export const usage = `Usage: psa-escalator reconcile --instance ID [--full] [--config FILE]

Queues a reconciliation sweep of instance ID for the running service's workers (through REDIS_URL), as
POST /api/instances/:id/reconcile does. With --full the sweep starts a backfill: every open ticket of the PSA is
listed (its open-only listing, paged) and evaluated once, within the sweep's share of the instance's request
budget, resumably across restarts. Progress: GET /api/instances (\`backfill\`) and the service log. In enforce mode
the backfill only proposes unless the instance sets \`backfill: enforce\`. Prints {"queued":true,"jobId"} on stdout.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    args,
    { instance: { type: 'string' }, full: { type: 'boolean' }, config: { type: 'string' } },
    0,
  );
  if (!values.instance) throw new UsageError('--instance ID is required');
  const loaded = loadCliConfigOrReport(io, values.config);
  if (!loaded) return 1;
  const { env, config } = loaded;
  const instance = findCliInstance(io, config, values.instance);
  if (!instance) return 1;
  if (!env.redisUrl) {
    writeLines(io.stderr, [
      'REDIS_URL is not set: the sweep is queued in the Redis of the running service (an embedded Redis cannot be reached from here)',
    ]);
    return 1;
  }
  const log = createLogger({ level: env.logLevel === 'info' ? 'warn' : env.logLevel });
  const redis = createRedis({ url: env.redisUrl, role: 'client', name: 'psa-escalator:cli', log });
  try {
    await waitReady(redis);
    const control = new Queue(queueNames.control, { connection: redis });
    const job = await control.add(
      'reconcile',
      {
        kind: 'reconcile',
        instanceId: instance.info.id,
        requestedAt: Date.now(),
        ...(values.full ? { full: true } : {}),
      },
      { removeOnComplete: 100, removeOnFail: 100 },
    );
    await control.close();
    io.stdout.write(`${JSON.stringify({ queued: true, jobId: String(job.id), full: values.full === true })}\n`);
    return 0;
  } finally {
    await closeRedis(redis);
  }
}
