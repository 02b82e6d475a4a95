import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { fileSource, historySource, parseSince, spool } from '../backtest/sources.js';
import type { LineSource } from '../backtest/run.js';
import type { EnvConfig } from '../config/types.js';
import { createKeys } from '../store/keys.js';
import { createRedis } from '../store/redis.js';
import { TimelineStore } from '../store/timeline-store.js';

import { UsageError } from './args.js';
import type { CliIo } from './args.js';

/**
 * The timeline source of `backtest` and `export`: `--input FILE` (gzip accepted) or `-` (stdin, spooled to a private
 * temporary file: the backtest reads its input twice), or `--from-history [--since 30d]` (the service's observed
 * snapshots in Redis at $REDIS_URL). `--from-psa` is described in docs/backtest.md and not available in this build.
 */

export interface SourceFlags {
  input?: string | undefined;
  'from-history'?: boolean | undefined;
  'from-psa'?: boolean | undefined;
  since?: string | undefined;
}

export interface OpenedSource {
  lines: LineSource;
  label: string;
  /** End of the window for scheduled checks (history: now); undefined → the input's last snapshot. */
  until?: number;
  close(): Promise<void>;
}

export async function openSource(flags: SourceFlags, ctx: { io: CliIo; env: EnvConfig; instanceId: string; stdin?: Readable }): Promise<OpenedSource> {
  const chosen = [flags.input !== undefined, flags['from-history'] === true, flags['from-psa'] === true].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('give exactly one source: --input FILE|-, --from-history or --from-psa');
  if (flags['from-psa']) {
    throw new UsageError('--from-psa is not available in this build; export the history with `psa-escalator export --from-history` or write timelines from a PSA export (docs/backtest.md)');
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
  if (since === undefined) throw new UsageError(`--since: expected a duration like 30d, 12h or an RFC 3339 instant, got ${JSON.stringify(flags.since)}`);
  if (!ctx.env.redisUrl) throw new UsageError('--from-history reads the service\'s Redis: set REDIS_URL');
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
