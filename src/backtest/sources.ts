import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import type { TimelineStore } from '../store/timeline-store.js';

import type { LineSource } from './run.js';

/**
 * Where timelines come from (docs/backtest.md "Sources"): a JSONL file (plain or gzip, detected by its magic bytes),
 * stdin (spooled to a temporary file first: the backtest reads its input twice), or the service's own observed
 * history in Redis (`--from-history`). Every source is a re-openable stream of lines: nothing is held in memory.
 */

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function* linesOf(stream: Readable): AsyncGenerator<string> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** A JSONL file, gzip accepted. Fails with a one-line error when the file cannot be read. */
export async function fileSource(path: string): Promise<LineSource> {
  let gz: boolean;
  try {
    gz = await isGzip(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`}`);
  }
  const open = (): Readable => {
    const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
    if (!gz) return raw;
    const gunzip = createGunzip();
    raw.pipe(gunzip);
    raw.on('error', (e) => gunzip.destroy(e));
    return gunzip;
  };
  // `bytes`: the runner cuts line-aligned batches from raw chunks itself (no decoding or cloning on the main thread).
  return Object.assign(() => linesOf(open()), {
    bytes: gz ? (open as () => AsyncIterable<Uint8Array>) : () => fileChunks(path),
  });
}

/**
 * A plain file's bytes, read into one reused buffer: each chunk is valid until the next is asked for (the runner
 * copies it first). A read stream allocates a new buffer per read, which the main thread keeps — over the whole
 * input, twice — until its collector runs (external memory triggers it late, in tens of MB).
 */
async function* fileChunks(path: string, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(size);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Copies a stream (stdin) to `path` as it is (gzip stays gzip). */
export async function spool(input: Readable, path: string): Promise<void> {
  await pipeline(input, createWriteStream(path, { mode: 0o600 }));
}

export interface HistoryWindow {
  fromMs: number;
  toMs: number;
}

/** The service's observed snapshots of the tickets of `instanceId` changed in the window, one timeline per line. */
export function historySource(
  store: TimelineStore,
  instanceId: string,
  window: HistoryWindow,
  pageSize = 200,
): LineSource {
  return async function* () {
    for (let offset = 0; ; offset += pageSize) {
      // Tickets whose last change is at or after the window's start; their snapshots after its end are left out.
      const ids = await store.ticketIds(instanceId, window.fromMs, Infinity, offset, pageSize);
      for (const id of ids) {
        const snapshots = (await store.snapshots(instanceId, id)).filter((s) => Date.parse(s.at) <= window.toMs);
        if (snapshots.length > 0) yield JSON.stringify({ instance: instanceId, snapshots });
      }
      if (ids.length < pageSize) return;
    }
  };
}

/** `--since 30d` / `12h` / an RFC 3339 instant → epoch ms. */
export function parseSince(value: string, nowMs: number): number | undefined {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(value.trim());
  if (m)
    return (
      nowMs - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w']
    );
  const t = Date.parse(value);
  return /^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(t) ? t : undefined;
}
