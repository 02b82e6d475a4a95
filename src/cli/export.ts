import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';

import { parseTimelineLine } from '../backtest/timeline.js';

import { UsageError, parseFlags, writeLines } from './args.js';
import type { CliIo } from './args.js';
import { openSource, sourceFlagOptions } from './backtest-input.js';
import { loadCliConfigOrReport } from './load-config.js';

export const usage = `Usage: psa-escalator export --instance ID (--input FILE|- | --from-history [--since 30d] | --from-psa --since 30d
                          [--budget-share 0.2] [--cache FILE] [--refresh]) [--out FILE]

Writes the timelines of a source as JSONL (docs/backtest.md): one ticket per line, validated and normalized, only
the lines of instance ID. --out FILE.gz compresses; without --out, stdout. --from-psa rebuilds them from the PSA's
own history within a share of the instance's request budget and caches them (a rerun makes no PSA call).
`;

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, {
    instance: { type: 'string' },
    ...sourceFlagOptions,
    out: { type: 'string' },
    config: { type: 'string' },
  });
  if (values.instance === undefined) throw new UsageError('--instance ID is required');
  const loaded = loadCliConfigOrReport(io, values.config);
  if (!loaded) return 1;
  const source = await openSource(values, {
    io,
    env: loaded.env,
    instanceId: values.instance,
    config: loaded.config,
  });
  let out: Writable | undefined;
  let file: Writable | undefined;
  if (values.out !== undefined) {
    file = createWriteStream(values.out);
    out = values.out.endsWith('.gz') ? createGzip() : file;
    if (out !== file) out.pipe(file);
  }
  let n = 0;
  let lineNo = 0;
  try {
    for await (const line of source.lines()) {
      lineNo++;
      if (line.trim() === '') continue;
      const parsed = parseTimelineLine(line, lineNo);
      if (!parsed.ok) {
        writeLines(io.stderr, [parsed.error]);
        return 1;
      }
      if (parsed.value.instance !== values.instance) continue;
      const text = `${JSON.stringify(parsed.value)}\n`;
      if (out) await write(out, text);
      else io.stdout.write(text);
      n++;
    }
  } finally {
    await source.close();
    if (out && file) {
      const closed = once(file, 'close');
      out.end();
      await closed;
    }
  }
  io.stderr.write(`export: ${n} timelines${values.out ? ` written to ${values.out}` : ''}\n`);
  return 0;
}
