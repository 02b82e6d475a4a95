import type { ConnectorContext } from '../contract/index.js';
import { connectors } from '../connectors.js';
import { createHttpClient } from '../pipeline/outbound/psa-http.js';
import { createLogger } from '../lib/logger.js';
import { MemoryCache } from '../lib/memory-cache.js';

import { UsageError, parseFlags, writeLines } from './args.js';
import type { CliIo } from './args.js';
import { findCliInstance, loadCliConfigOrReport } from './load-config.js';

export const usage = `Usage: psa-escalator webhooks register --instance ID [--config FILE]

Creates or repairs the PSA's webhook registration for instance ID so that it points at
$PUBLIC_URL/webhooks/<ID> (ConnectWise: one ticket/owner callback; Autotask: a TicketWebhooks entry with its
fields and excluded resource; Halo: a webhook with Basic auth, or the exact manual steps when the API user lacks
the permission). Idempotent: running it twice changes nothing the second time. Prints
{"created","updated","unchanged","removed"} on stdout.
`;

/**
 * A one-shot context: this verb makes a handful of calls, so it uses a process-local cache and no shared rate
 * limiter (the service's workers keep their Redis-backed budget; a registration is far below any PSA limit).
 */
function cliContext(base: Omit<ConnectorContext, 'http' | 'cache' | 'clock'>): ConnectorContext {
  return {
    ...base,
    http: createHttpClient({ log: base.log }),
    cache: new MemoryCache(),
    clock: { now: () => new Date() },
  };
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { instance: { type: 'string' }, config: { type: 'string' } }, 1);
  if (positionals[0] !== 'register') throw new UsageError('expected `webhooks register --instance ID`');
  if (!values.instance) throw new UsageError('--instance ID is required');
  const loaded = loadCliConfigOrReport(io, values.config);
  if (!loaded) return 1;
  const { env, config } = loaded;
  if (!env.publicUrl) {
    writeLines(io.stderr, ['PUBLIC_URL is not set: set it to the address the PSA can reach this service at']);
    return 1;
  }
  const instance = findCliInstance(io, config, values.instance);
  if (!instance) return 1;
  const connector = connectors[instance.info.kind];
  const log = createLogger({ level: env.logLevel === 'info' ? 'warn' : env.logLevel }).child({
    instance: instance.info.id,
  });
  const ctx = cliContext({ instance: instance.info, settings: instance.settings, log });
  const callbackUrl = `${env.publicUrl.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(instance.info.id)}`;
  const result = await connector.registerWebhooks(ctx, callbackUrl);
  if (!result.ok) {
    writeLines(io.stderr, [`${instance.info.id}: registration failed: ${result.error.code}: ${result.error.message}`]);
    return 1;
  }
  const { manualSteps, ...counts } = result.value;
  io.stdout.write(`${JSON.stringify(counts)}\n`);
  if (manualSteps?.length)
    writeLines(io.stderr, ['Finish in the PSA by hand:', ...manualSteps.map((s, i) => `  ${i + 1}. ${s}`)]);
  return 0;
}
