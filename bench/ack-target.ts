/**
 * One server under test for bench/ack.ts, run in its own process so the load generator (autocannon) and the server
 * never share an event loop. Prints `READY <url>` on stdout once listening; stops on SIGTERM.
 *
 *   node --import tsx bench/ack-target.ts bare
 *   node --import tsx bench/ack-target.ts durable <redisUrl> <webhookSecret> [logLevel]
 *
 * bench/ack.ts runs it compiled by default (bench/tsconfig.ack.json: src/, connectors/ and this file, as
 * `npm run build` compiles them, into a cache folder; plain `node`, as `bin/psa-escalator.js` runs dist/), so every
 * row, reference and real route alike, runs the code as shipped. Run it from the repo root.
 *
 * `bare`: a plain Fastify route that parses JSON and answers 202 (no logger, no hooks): the ceiling.
 * `bare-redis <redisUrl>`: the bare route plus ONE Redis command per request (`SET key 1 PX … NX`, a dedupe key and
 *   nothing else): what any design that stores each delivery before answering pays for the round trip alone.
 * `bare-bullmq <redisUrl>`: the bare route plus one BullMQ `add` with deduplication (our enqueue, without
 *   authentication, parsing, logging or metrics).
 * `durable`: the real service (`startService`: `buildApp` over `startPipeline`) with the example config, role `api`
 * (no workers, so only the acknowledgement is measured), info-level JSON logs written synchronously to /dev/null, as
 * `serve` writes them to stdout (the log work is real, the terminal is not), and the external Redis given (AOF everysec).
 */
import { resolve } from 'node:path';

import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';

import { parseEnv } from '../src/config/env.js';
import { loadConfigFile } from '../src/config/index.js';
import { connectors } from '../src/connectors.js';
import { createLogger } from '../src/lib/logger.js';
import { startService } from '../src/main.js';

import { exampleEnv } from './example-env.js';

async function bare(): Promise<() => Promise<void>> {
  const app = Fastify({ logger: false });
  app.post('/webhooks/:instanceId', async (req, reply) => {
    const body = req.body as { Id?: unknown } | null;
    return reply.code(202).send({ accepted: true, id: body?.Id ?? null });
  });
  console.log(`READY ${await app.listen({ port: 0, host: '127.0.0.1' })}`);
  return () => app.close();
}

/** The reference routes: the bare route plus one Redis write (`bare-redis`) or one BullMQ add (`bare-bullmq`). */
async function reference(kind: 'bare-redis' | 'bare-bullmq', redisUrl: string): Promise<() => Promise<void>> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue('bench-reference', { connection: redis });
  const app = Fastify({ logger: false });
  let n = 0;
  app.post('/webhooks/:instanceId', async (req, reply) => {
    const body = req.body as { Id?: unknown; SequenceNumber?: unknown } | null;
    const id = String(body?.SequenceNumber ?? ++n);
    if (kind === 'bare-redis') await redis.set(`bench:dedupe:${id}`, '1', 'PX', 60_000, 'NX');
    else
      await queue.add(
        'event',
        { id: body?.Id ?? null },
        { jobId: `r-${++n}`, deduplication: { id, ttl: 60_000 }, removeOnComplete: true },
      );
    return reply.code(202).send({ accepted: true, id: body?.Id ?? null });
  });
  console.log(`READY ${await app.listen({ port: 0, host: '127.0.0.1' })}`);
  return async () => {
    await app.close();
    await queue.close();
    redis.disconnect();
  };
}

async function durable(redisUrl: string, secret: string, level: string): Promise<() => Promise<void>> {
  const vars = exampleEnv(secret);
  // Relative to the working directory (the repo root): this file also runs compiled from a cache folder.
  const configPath = resolve('examples/escalator.yaml');
  const loaded = loadConfigFile(configPath, vars, connectors);
  if (!loaded.ok) throw new Error(`example config did not load: ${JSON.stringify(loaded.error)}`);
  const env = parseEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    ADMIN_TOKEN: 'b'.repeat(40),
    LOG_LEVEL: level,
    PUBLIC_URL: 'https://esc.example.test/',
  });
  if (!env.ok) throw new Error(env.error.join('; '));
  // Synchronous writes, as pino's default stdout destination (what `serve` uses) makes them.
  const log = createLogger({
    level,
    base: { role: 'api' },
    destination: pino.destination({ dest: '/dev/null', sync: true }),
  });
  const service = await startService({ env: env.value, config: loaded.value, role: 'api', log });
  console.log(`READY ${service.url}`);
  return () => service.close();
}

const [mode, redisUrl, secret, level = 'info'] = process.argv.slice(2);
const stop =
  mode === 'bare'
    ? await bare()
    : (mode === 'bare-redis' || mode === 'bare-bullmq') && redisUrl
      ? await reference(mode, redisUrl)
      : mode === 'durable' && redisUrl && secret
        ? await durable(redisUrl, secret, level)
        : undefined;
if (!stop) {
  console.error(
    'usage: ack-target.ts bare | bare-redis <redisUrl> | bare-bullmq <redisUrl> | durable <redisUrl> <secret> [logLevel]',
  );
  process.exit(2);
}
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
