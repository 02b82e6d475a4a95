import { UsageError } from './args.js';
import type { CliIo, VerbEntry } from './args.js';

/**
 * The dispatcher behind `psa-escalator <verb>`: finds the verb (one or two words, e.g. `webhooks register`),
 * loads its module lazily, and turns every failure into one clear line on stderr plus a non-zero exit code
 * (docs/spec.md §6). Kept apart from `index.ts` so tests can drive it with their own verb table.
 */

export const PROGRAM = 'psa-escalator';

export function helpText(verbs: Readonly<Record<string, VerbEntry>>): string {
  const width = Math.max(...Object.keys(verbs).map((v) => v.length));
  const lines = Object.entries(verbs).map(([verb, entry]) => `  ${verb.padEnd(width)}  ${entry.summary}`);
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Escalation middleware for ConnectWise PSA, Autotask and HaloPSA.',
    '',
    'Commands:',
    ...lines,
    '',
    `Run \`${PROGRAM} <command> --help\` for a command's options. Environment variables: see .env.example.`,
    '',
  ].join('\n');
}

function findVerb(
  verbs: Readonly<Record<string, VerbEntry>>,
  argv: readonly string[],
): { name: string; rest: string[] } | undefined {
  const [first, second] = argv;
  if (first === undefined) return undefined;
  if (second !== undefined && Object.hasOwn(verbs, `${first} ${second}`))
    return { name: `${first} ${second}`, rest: argv.slice(2) };
  if (Object.hasOwn(verbs, first)) return { name: first, rest: argv.slice(1) };
  return undefined;
}

const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

function failure(io: CliIo, verb: string, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof UsageError ? ` (see ${PROGRAM} ${verb} --help)` : '';
  io.stderr.write(`${PROGRAM} ${verb}: ${message}${hint}\n`);
  const level = io.env['LOG_LEVEL'];
  if ((level === 'debug' || level === 'trace') && error instanceof Error && error.stack)
    io.stderr.write(`${error.stack}\n`);
  return 1;
}

/** Runs one command line; resolves to the exit code. */
export async function runCli(
  verbs: Readonly<Record<string, VerbEntry>>,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.stderr.write(helpText(verbs));
    return 1;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(helpText(verbs));
    return 0;
  }
  const found = findVerb(verbs, argv);
  if (!found) {
    const group = Object.keys(verbs).some((v) => v.startsWith(`${first} `));
    const shown = group && argv[1] !== undefined ? `${first} ${argv[1]}` : first;
    io.stderr.write(`${PROGRAM}: unknown command "${shown}" (run \`${PROGRAM} --help\` for the list)\n`);
    return 1;
  }
  try {
    const command = await verbs[found.name]!.load();
    if (wantsHelp(found.rest)) {
      io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(found.rest, io);
  } catch (error) {
    return failure(io, found.name, error);
  }
}
