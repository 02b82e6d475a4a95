import { readFileSync } from 'node:fs';

import { z } from 'zod';

import { formatProblem, zodProblems } from '../config/problems.js';
import type { LineIndex } from '../config/problems.js';
import type { AppConfig } from '../config/types.js';
import { InstantSchema, TicketStateSchema } from '../contract/index.js';
import type { Decision, Ticket, TicketState } from '../contract/index.js';
import { connectors } from '../connectors.js';
import { EvaluateTicketSchema } from '../engine/index.js';
import { createPolicyEngine } from '../pipeline/policy/policy-engine.js';

import { UsageError, parseFlags, writeLines } from './args.js';
import type { CliIo } from './args.js';
import { loadCliConfig } from './load-config.js';

export const usage = `Usage: psa-escalator evaluate --instance ID --ticket FILE [--at ISO] [--config FILE]

Dry-runs one ticket against the policy of instance ID: prints the Decision JSON on stdout and the rendered notes
on stderr. Needs no Redis and calls no PSA. FILE holds a Ticket, or {"ticket": …, "state": …, "now": …}.

  --instance ID   the instance whose policy and mapping apply (the ticket's ref.instance is not consulted)
  --ticket FILE   JSON file with the ticket (and optional stored state)
  --at ISO        evaluate at this instant (default: the file's "now", else the current time)
  --config FILE   configuration (default: $CONFIG_FILE, else ./escalator.yaml, else the built-in config)
`;

/** An input file problem (exit 1); its lines are printed as they are. */
class InputError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

const noLines: LineIndex = { valueLine: () => undefined, keyLine: () => undefined };

const WrapperSchema = z.object({
  ticket: z.unknown(),
  state: TicketStateSchema.optional(),
  now: InstantSchema.optional(),
  instanceId: z.string().optional(),
});

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, path: string[]): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new InputError(zodProblems(result.error.issues, path, noLines).map(formatProblem));
}

function readInput(file: string): { ticket: Ticket; state?: TicketState; now?: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError([
      `${file}: ${code === 'ENOENT' ? 'file not found' : `not valid JSON (${(error as Error).message})`}`,
    ]);
  }
  const wrapped = typeof json === 'object' && json !== null && !Array.isArray(json) && 'ticket' in json;
  if (!wrapped) return { ticket: parseOrThrow(EvaluateTicketSchema, json, ['ticket']) };
  const outer = parseOrThrow(WrapperSchema, json, []);
  const ticket = parseOrThrow(EvaluateTicketSchema, outer.ticket, ['ticket']);
  return { ticket, ...(outer.state ? { state: outer.state } : {}), ...(outer.now ? { now: outer.now } : {}) };
}

function loadConfig(io: CliIo, explicit: string | undefined): AppConfig {
  const result = loadCliConfig(io, explicit);
  if (!result.ok) throw new InputError(result.error);
  return result.value.config;
}

function renderNotes(decision: Decision): string[] {
  return decision.actions.flatMap((a) =>
    a.type === 'note' ? [`--- ${a.visibility} note · rule ${a.rule} · ${a.template} ---`, a.text, ''] : [],
  );
}

/** The at-instant: `--at`, else the file's `now`, else the wall clock. */
function resolveNow(at: string | undefined, fileNow: string | undefined, io: CliIo): string {
  if (at !== undefined) {
    if (!InstantSchema.safeParse(at).success)
      throw new UsageError(`--at: expected an RFC 3339 instant like 2026-11-24T15:00:00Z, got ${JSON.stringify(at)}`);
    return at;
  }
  return fileNow ?? io.now().toISOString();
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, {
    instance: { type: 'string' },
    ticket: { type: 'string' },
    at: { type: 'string' },
    config: { type: 'string' },
  });
  if (values.instance === undefined) throw new UsageError('--instance ID is required');
  if (values.ticket === undefined) throw new UsageError('--ticket FILE is required');
  try {
    const config = loadConfig(io, values.config);
    const instance = config.instances.find((i) => i.info.id === values.instance);
    if (!instance) {
      throw new InputError([
        `--instance: unknown instance "${values.instance}" (known: ${config.instances.map((i) => i.info.id).join(', ')})`,
      ]);
    }
    const input = readInput(values.ticket);
    const now = resolveNow(values.at, input.now, io);
    const ticket: Ticket =
      input.ticket.ref.instance === ''
        ? { ...input.ticket, ref: { ...input.ticket.ref, instance: instance.info.id, psa: instance.info.kind } }
        : input.ticket;
    // The same engine the workers and `POST /api/evaluate` run.
    const engine = createPolicyEngine(config, connectors, { compile: 'lazy' });
    const decision = engine.evaluate(instance.info.id, ticket, input.state, now);
    io.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
    writeLines(io.stderr, renderNotes(decision));
    return 0;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    writeLines(io.stderr, error.lines);
    return 1;
  }
}
