import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { PsaBudget } from '../backtest/psa-budget.js';
import { psaSource } from '../backtest/psa-source.js';
import type { PsaReadStats } from '../backtest/psa-source.js';
import { fileSource, historySource, parseSince, spool } from '../backtest/sources.js';
import type { LineSource } from '../backtest/run.js';
import type { AppConfig, EnvConfig } from '../config/types.js';
import { connectors } from '../connectors.js';
import type { ConnectorContext, Logger } from '../contract/index.js';
import { createHttpClient } from '../pipeline/outbound/psa-http.js';
import { createLogger } from '../lib/logger.js';
import { MemoryCache } from '../lib/memory-cache.js';
import { createKeys } from '../store/keys.js';
import { createRedis } from '../store/redis.js';
import { TimelineStore } from '../store/timeline-store.js';

import { UsageError } from './args.js';
import type { CliIo } from './args.js';

/**
 * The timeline source of `backtest` and `export`: `--input FILE` (gzip accepted) or `-` (stdin, spooled to a private
 * temporary file: the backtest reads its input twice), or `--from-history [--since 30d]` (the service's observed
 * snapshots in Redis at $REDIS_URL), or `--from-psa --since 30d [--budget-share 0.2] [--cache FILE] [--refresh]` (the
 * PSA's own history, rebuilt by the instance's connector, cached in a local file: docs/backtest.md "--from-psa").
 */

export interface SourceFlags {
  input?: string | undefined;
  'from-history'?: boolean | undefined;
  'from-psa'?: boolean | undefined;
  since?: string | undefined;
  'budget-share'?: string | undefined;
  cache?: string | undefined;
  refresh?: boolean | undefined;
}

/** The flags `backtest` and `export` take for their source (parseFlags options). */
export const sourceFlagOptions = {
  input: { type: 'string' },
  'from-history': { type: 'boolean' },
  'from-psa': { type: 'boolean' },
  since: { type: 'string' },
  'budget-share': { type: 'string' },
  cache: { type: 'string' },
  refresh: { type: 'boolean' },
} as const;

export interface OpenedSource {
  lines: LineSource;
  label: string;
  /** End of the window for scheduled checks (history: now); undefined → the input's last snapshot. */
  until?: number;
  /** `--from-psa`: what the read cost and found. */
  psa?: PsaReadStats;
  close(): Promise<void>;
}

/** The default cache file of a `--from-psa` read: one per instance and `--since` value, under the working directory. */
export function defaultCachePath(cwd: string, instanceId: string, since: string): string {
  return join(
    cwd,
    '.psa-escalator',
    'backtest-cache',
    `${instanceId}-${since.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl.gz`,
  );
}

async function openPsa(
  flags: SourceFlags,
  ctx: { io: CliIo; env: EnvConfig; instanceId: string; config?: AppConfig },
  since: number,
  now: number,
): Promise<OpenedSource> {
  const loaded = ctx.config?.instances.find((i) => i.info.id === ctx.instanceId);
  if (!loaded) throw new UsageError(`--from-psa: unknown instance "${ctx.instanceId}"`);
  const connector = connectors[loaded.info.kind];
  if (!connector?.readHistory)
    throw new UsageError(`--from-psa: the ${loaded.info.kind} connector cannot read ticket history`);
  const share = flags['budget-share'] === undefined ? 0.2 : Number(flags['budget-share']);
  if (!(share > 0 && share <= 1))
    throw new UsageError(`--budget-share: expected a fraction in (0, 1], got ${JSON.stringify(flags['budget-share'])}`);
  const cachePath = flags.cache ?? defaultCachePath(ctx.io.cwd, ctx.instanceId, flags.since ?? '30d');
  const budget = new PsaBudget(loaded.info.rateLimit, share);
  const log = createLogger({ level: ctx.env.logLevel === 'info' ? 'warn' : ctx.env.logLevel }) as unknown as Logger;
  const connectorCtx: ConnectorContext = {
    instance: loaded.info,
    settings: loaded.settings,
    http: createHttpClient({ log, acquire: budget.acquire }),
    log,
    clock: { now: () => ctx.io.now() },
    cache: new MemoryCache(),
  };
  const window = { from: new Date(since).toISOString(), to: new Date(now).toISOString() };
  const read = await psaSource({
    connector,
    ctx: connectorCtx,
    window,
    cachePath,
    refresh: flags.refresh === true,
    calls: () => budget.used,
  });
  const s = read.stats;
  ctx.io.stderr.write(
    s.cached
      ? `from-psa: ${s.tickets} tickets from the cache ${cachePath} (read ${s.window.from} – ${s.window.to}), 0 PSA calls\n`
      : `from-psa: ${s.tickets} tickets, ${s.snapshots} snapshots, ${s.unreadable} unreadable history entries; ${s.calls} PSA calls (budget ${budget.cap} per ${loaded.info.rateLimit.per / 1000} s = ${Math.round(share * 1000) / 10} % of the instance's); cached in ${cachePath}\n`,
  );
  return {
    lines: read.lines,
    label: `${loaded.info.kind} history since ${s.window.from}`,
    until: Date.parse(s.window.to),
    psa: s,
    close: async () => {},
  };
}

export async function openSource(
  flags: SourceFlags,
  ctx: { io: CliIo; env: EnvConfig; instanceId: string; stdin?: Readable; config?: AppConfig },
): Promise<OpenedSource> {
  const chosen = [flags.input !== undefined, flags['from-history'] === true, flags['from-psa'] === true].filter(
    Boolean,
  ).length;
  if (chosen !== 1) throw new UsageError('give exactly one source: --input FILE|-, --from-history or --from-psa');
  if (!flags['from-psa'] && (flags['budget-share'] !== undefined || flags.cache !== undefined || flags.refresh)) {
    throw new UsageError('--budget-share, --cache and --refresh apply to --from-psa only');
  }
  if (flags.input !== undefined) {
    if (flags.since !== undefined) throw new UsageError('--since applies to --from-history and --from-psa only');
    if (flags.input !== '-') return { lines: await fileSource(flags.input), label: flags.input, close: async () => {} };
    const dir = await mkdtemp(join(tmpdir(), 'psa-escalator-backtest-'));
    const path = join(dir, 'stdin.jsonl');
    await spool(ctx.stdin ?? process.stdin, path);
    return { lines: await fileSource(path), label: 'stdin', close: () => rm(dir, { recursive: true, force: true }) };
  }
  const now = ctx.io.now().getTime();
  const since = parseSince(flags.since ?? '30d', now);
  if (since === undefined)
    throw new UsageError(
      `--since: expected a duration like 30d, 12h or an RFC 3339 instant, got ${JSON.stringify(flags.since)}`,
    );
  if (flags['from-psa']) return openPsa(flags, ctx, since, now);
  if (!ctx.env.redisUrl) throw new UsageError("--from-history reads the service's Redis: set REDIS_URL");
  const redis = createRedis({ url: ctx.env.redisUrl, role: 'client', name: 'psa-escalator-backtest' });
  const store = new TimelineStore(redis, createKeys());
  return {
    lines: historySource(store, ctx.instanceId, { fromMs: since, toMs: now }),
    label: `the service's history since ${new Date(since).toISOString()}`,
    until: now,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
