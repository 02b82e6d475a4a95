import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { run } from '../../src/cli/reconcile.js';
import { queueNames } from '../../src/pipeline/queue/queues.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

// `psa-escalator reconcile --instance ID --full` (issue 13): queues a backfill for the running service's workers.

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});

function io(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  // An empty directory: no ./escalator.yaml, so the built-in config (instances acme-cw, globex-at, initech-halo).
  const cwd = mkdtempSync(join(tmpdir(), 'cli-reconcile-'));
  return {
    io: {
      env,
      cwd,
      now: () => new Date(),
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
    },
    out,
    err,
  };
}

describe('psa-escalator reconcile', () => {
  it('queues a full sweep (backfill) of the instance in the service Redis', async () => {
    const { io: cli, out } = io({ REDIS_URL: redis.url });
    expect(await run(['--instance', 'globex-at', '--full'], cli)).toBe(0);
    const printed = JSON.parse(out.join('')) as { queued: boolean; jobId: string; full: boolean };
    expect(printed).toMatchObject({ queued: true, full: true });
    const client = new Redis(redis.url);
    const control = new Queue(queueNames.control, { connection: client });
    try {
      const job = await control.getJob(printed.jobId);
      expect(job?.data).toMatchObject({ kind: 'reconcile', instanceId: 'globex-at', full: true });
    } finally {
      await control.close();
      client.disconnect();
    }
  });

  it('names an unknown instance and a missing REDIS_URL in one line, exit 1', async () => {
    const unknown = io({ REDIS_URL: redis.url });
    expect(await run(['--instance', 'nope'], unknown.io)).toBe(1);
    expect(unknown.err.join('')).toMatch(/unknown instance "nope" \(configured: acme-cw, globex-at, initech-halo\)/);
    const noRedis = io({});
    expect(await run(['--instance', 'acme-cw'], noRedis.io)).toBe(1);
    expect(noRedis.err.join('')).toMatch(/REDIS_URL is not set/);
  });
});
