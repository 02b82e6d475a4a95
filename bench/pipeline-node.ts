/**
 * One service process for bench/pipeline.ts: `startService` with the bench's ConnectWise config, the role and the
 * Redis given by the parent. Env: ROLE, REDIS_URL, CW_* (the fake's), RATE_REQUESTS (per minute; unset = the
 * ConnectWise default). Prints `{"ready":true,"url":…}` when serving; stops on SIGTERM.
 */
import pino from 'pino';

import { connectors } from '../src/connectors.js';
import { parseEnv } from '../src/config/env.js';
import { loadConfigText } from '../src/config/index.js';
import { createLogger } from '../src/lib/logger.js';
import { runUntilSignal, startService } from '../src/main.js';

import { cwBenchConfig } from './cw-service.js';

const rate = process.env.RATE_REQUESTS ? { requests: Number(process.env.RATE_REQUESTS), per: '1m' } : undefined;
const loaded = loadConfigText(cwBenchConfig(rate), 'bench.yaml', process.env, connectors);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
const env = parseEnv({
  PORT: '0',
  HOST: '127.0.0.1',
  REDIS_URL: process.env.REDIS_URL,
  ADMIN_TOKEN: 'b'.repeat(40),
  LOG_LEVEL: 'info',
  WORKER_CONCURRENCY: '8',
});
if (!env.ok) throw new Error(env.error.join('; '));
const log = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
const role = (process.env.ROLE ?? 'all') as 'all' | 'api' | 'worker';
const service = await startService({ env: env.value, config: loaded.value, role, log });
process.stdout.write(`${JSON.stringify({ ready: true, url: service.url })}\n`);
process.exit(await runUntilSignal(service, { log }));
