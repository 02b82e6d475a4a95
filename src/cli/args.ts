import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/**
 * What every verb gets: its arguments and the process surroundings, injected so verbs are testable in-process and
 * never read `process.env` themselves (src/config is the only reader).
 */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd: string;
  /** The wall clock (the evaluate verb's default `--at`). */
  now(): Date;
}

/** A verb module (`src/cli/<verb>.ts`): `usage` for `--help`, `run` returns the exit code. */
export interface CliCommand {
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** One line of a verb table entry: loaded lazily so `--help` and light verbs never import the server. */
export interface VerbEntry {
  summary: string;
  load: () => Promise<CliCommand>;
}

/** A bad command line: printed as one line, exit 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with strict flags; its multi-sentence errors become one short `UsageError` line. */
export function parseFlags<O extends Options>(args: string[], options: O, maxPositionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  }
  return parsed;
}

/** Writes lines (each ending in a newline). */
export function writeLines(stream: { write(text: string): unknown }, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}
