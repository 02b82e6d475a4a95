import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { createGzip } from 'node:zlib';

import type { AnyConnector, ConnectorContext, HistoryWindow, Ticket } from '../contract/index.js';

import type { LineSource } from './run.js';
import { fileSource } from './sources.js';

/**
 * `--from-psa` (docs/backtest.md "--from-psa"): the connector's `readHistory` lists the tickets changed in the window
 * and rebuilds their raw snapshots from the PSA's own history; each snapshot is normalized by the connector's own
 * `normalize` (a rebuilt ticket reads exactly like a live one) and written as one timeline line to the cache file
 * (gzip JSONL, replaced atomically once complete). A rerun with the cache present reads the file: no PSA call.
 */

export interface PsaReadStats {
  /** True when the timelines came from the cache file (no PSA call). */
  cached: boolean;
  tickets: number;
  snapshots: number;
  /** History entries the connector could not use (unparseable text, unresolvable names). */
  unreadable: number;
  /** PSA calls this read made (0 from the cache). */
  calls: number;
  window: HistoryWindow;
}

export interface PsaSourceOptions {
  connector: AnyConnector;
  ctx: ConnectorContext;
  window: HistoryWindow;
  cachePath: string;
  /** Ignore an existing cache file and read the PSA again. */
  refresh?: boolean;
  /** PSA calls made so far (the budget's counter). */
  calls: () => number;
  onTicket?: (tickets: number) => void;
}

export class PsaSourceError extends Error {}

const metaPath = (cachePath: string) => `${cachePath}.meta.json`;

function readMeta(cachePath: string): Omit<PsaReadStats, 'cached' | 'calls'> | undefined {
  try {
    return JSON.parse(readFileSync(metaPath(cachePath), 'utf8')) as Omit<PsaReadStats, 'cached' | 'calls'>;
  } catch {
    return undefined;
  }
}

export async function psaSource(opts: PsaSourceOptions): Promise<{ lines: LineSource; stats: PsaReadStats }> {
  const { connector, ctx, window, cachePath } = opts;
  const meta = readMeta(cachePath);
  if (!opts.refresh && existsSync(cachePath) && meta) {
    return { lines: await fileSource(cachePath), stats: { ...meta, cached: true, calls: 0 } };
  }
  if (!connector.readHistory)
    throw new PsaSourceError(`${connector.displayName}: reading ticket history is not supported by this connector`);
  mkdirSync(dirname(cachePath), { recursive: true });
  const partial = `${cachePath}.partial`;
  const file = createWriteStream(partial, { mode: 0o600 });
  const gz = createGzip();
  gz.pipe(file);
  const stats: PsaReadStats = { cached: false, tickets: 0, snapshots: 0, unreadable: 0, calls: 0, window };
  let page: string | undefined;
  try {
    for (let pages = 0; pages < 10_000; pages++) {
      const res = await connector.readHistory(ctx, window, page);
      if (!res.ok)
        throw new PsaSourceError(
          `${ctx.instance.id}: reading the PSA's history failed: ${res.error.code}: ${res.error.message}`,
        );
      for (const t of res.value.tickets) {
        const snapshots: { at: string; ticket: Ticket }[] = t.snapshots.map((s) => ({
          at: s.at,
          ticket: connector.normalize(s.fetched, ctx.instance, ctx.settings),
        }));
        stats.unreadable += t.unreadable;
        if (snapshots.length === 0) continue;
        stats.tickets++;
        stats.snapshots += snapshots.length;
        if (!gz.write(`${JSON.stringify({ instance: ctx.instance.id, snapshots })}\n`)) await once(gz, 'drain');
        opts.onTicket?.(stats.tickets);
      }
      page = res.value.nextPage;
      if (page === undefined) break;
    }
  } catch (e) {
    // A failed read leaves nothing behind: the next run starts over.
    const closed = once(file, 'close');
    gz.end();
    await closed;
    rmSync(partial, { force: true });
    throw e;
  }
  const closed = once(file, 'close');
  gz.end();
  await closed;
  stats.calls = opts.calls();
  renameSync(partial, cachePath);
  const { cached: _c, calls: _n, ...keep } = stats;
  writeFileSync(metaPath(cachePath), `${JSON.stringify(keep)}\n`, { mode: 0o600 });
  return { lines: await fileSource(cachePath), stats };
}

/**
 * The same read, started on the first pass over the source instead of up front (`POST /api/backtests` answers 202
 * before the PSA is read). `run` wraps the read (e.g. in the sweep lane of the shared budget).
 */
export function lazyPsaSource(
  opts: PsaSourceOptions,
  run: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): LineSource {
  let ready: Promise<LineSource> | undefined;
  return async function* () {
    ready ??= run(() => psaSource(opts)).then((r) => r.lines);
    yield* (await ready)();
  };
}
