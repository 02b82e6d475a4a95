import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';

import type { BacktestSpec } from '../backtest/engine-core.js';
import { renderHtml } from '../backtest/html.js';
import type { BacktestResult } from '../backtest/report.js';
import { BacktestInputError, runBacktest } from '../backtest/run.js';
import type { Progress } from '../backtest/run.js';
import { backtestSpec } from '../backtest/setup.js';
import type { Candidate } from '../backtest/setup.js';
import { loadConfigFile } from '../config/index.js';
import { formatProblem } from '../config/problems.js';
import { connectors } from '../connectors.js';

import { UsageError, parseFlags, writeLines } from './args.js';
import type { CliIo } from './args.js';
import { openSource, sourceFlagOptions } from './backtest-input.js';
import type { OpenedSource } from './backtest-input.js';
import { loadCliConfig } from './load-config.js';

export const usage = `Usage: psa-escalator backtest --instance ID (--input FILE|- | --from-history [--since 30d] | --from-psa --since 30d)
                            [--policy FILE] [--compare FILE] [--out report.html|report.json] [--json] [--config FILE]

Replays ticket history through a policy in simulated business time and reports what it would have done: decisions,
rules that fire, time to escalate, breaches caught before they happened, over-escalation, load, notes. Writes nothing
to any PSA. Format and limits: docs/backtest.md.

  --instance ID     the instance whose mapping (and, without --policy, policy) applies
  --input FILE|-    timelines JSONL (gzip accepted; - = stdin)
  --from-history    the service's own observed snapshots in Redis ($REDIS_URL), changed within --since (default 30d)
  --from-psa        rebuild the timelines from the PSA's own history (audit trail / TicketHistory / actions) of the
                    tickets changed within --since (default 30d); cached, a rerun makes no PSA call
  --budget-share F  --from-psa: share of the instance's request budget the read may use (default 0.2)
  --cache FILE      --from-psa: cache file (default .psa-escalator/backtest-cache/<instance>-<since>.jsonl.gz)
  --refresh         --from-psa: read the PSA again even if the cache file exists
  --policy FILE     an escalator.yaml whose policy to try instead of the configured one
  --compare FILE    a second escalator.yaml: report the difference (rules firing more/less, moves added/removed)
  --out FILE        write the report: .html = self-contained HTML with charts, else JSON
  --json            print the JSON report on stdout (default: a short summary)
  --workers N       worker threads (default: one per core; 0 = this thread)
  --batch-size N    timelines per batch handed to a worker (default 256)
  --keep-decisions N  decisions listed in the report (default 10000; all are counted)
  --config FILE     configuration (default: $CONFIG_FILE, else ./escalator.yaml, else the built-in config)

Progress goes to stderr.
`;

function candidate(io: CliIo, path: string | undefined): Candidate | undefined {
  if (path === undefined) return undefined;
  const loaded = loadConfigFile(path, io.env, connectors);
  if (!loaded.ok)
    throw new InputError(loaded.error.filter((p) => p.severity === 'error').map((p) => `${path}: ${formatProblem(p)}`));
  return { label: basename(path), config: loaded.value };
}

class InputError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** A progress line on stderr: redrawn in place on a terminal, every 10 % otherwise. */
export function progressPrinter(stderr: CliIo['stderr'] & { isTTY?: boolean }): {
  update: (p: Progress) => void;
  done: () => void;
} {
  let last = 0;
  let lastDecile = -1;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      const pct = p.total ? Math.floor((p.lines / p.total) * 100) : undefined;
      const text = `backtest: ${p.phase === 'index' ? 'indexing' : 'simulating'} ${p.lines.toLocaleString('en-US')}${p.total ? `/${p.total.toLocaleString('en-US')} (${pct} %)` : ''} lines`;
      if (stderr.isTTY) {
        if (now - last < 100 && pct !== 100) return;
        last = now;
        const bar = pct === undefined ? '' : `[${'#'.repeat(Math.floor(pct / 5)).padEnd(20, '.')}] `;
        stderr.write(`\r${bar}${text}\x1b[K`);
        drawn = true;
      } else if (pct !== undefined && Math.floor(pct / 10) !== lastDecile) {
        lastDecile = Math.floor(pct / 10);
        stderr.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) stderr.write('\n');
    },
  };
}

function summary(result: BacktestResult, source: string): string[] {
  const r = result.report;
  const lines = [
    `Backtest of ${r.policy} on ${r.instanceId}: ${r.tickets} tickets from ${source}, ${r.evaluations} evaluations`,
    `  decisions ${r.decisionsTotal}, moves ${Object.values(r.perTier).reduce((a, b) => a + b, 0)} (${
      Object.entries(r.perTier)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'none'
    })`,
    `  rules: ${
      Object.entries(r.perRule)
        .map(([k, v]) => `${k} ${v.fired}`)
        .join(', ') || 'none fired'
    }`,
    `  time to escalate: median ${r.timeToEscalate.p50Minutes ?? '—'} min, p90 ${r.timeToEscalate.p90Minutes ?? '—'} min`,
    `  SLA breaches in history ${r.breaches.tickets}: escalated before ${r.breaches.escalatedBefore}, flagged before ${r.breaches.flaggedBefore}, missed ${r.breaches.missed}`,
    `  over-escalation estimate ${r.overEscalation.resolvedInStartTierWithoutBreach}/${r.overEscalation.escalatedTickets}; notes ${r.notes.total}; human reassignments after its moves ${r.humanReassignments}`,
  ];
  const c = result.compare?.comparison;
  if (c) {
    lines.push(
      `Compared with ${c.candidate}: moves ${c.escalations.baseline} → ${c.escalations.candidate} (+${c.escalations.added} / -${c.escalations.removed}), ${c.ticketsAffected} tickets affected`,
    );
    for (const r2 of c.rules.filter((x) => x.delta !== 0))
      lines.push(`  ${r2.rule}: ${r2.baseline} → ${r2.candidate} (${r2.delta > 0 ? '+' : ''}${r2.delta})`);
  }
  return lines;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, {
    instance: { type: 'string' },
    ...sourceFlagOptions,
    policy: { type: 'string' },
    compare: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    workers: { type: 'string' },
    config: { type: 'string' },
    'keep-decisions': { type: 'string' },
    'batch-size': { type: 'string' },
  });
  if (values.instance === undefined) throw new UsageError('--instance ID is required');
  const { workers, keep, batchSize } = numericFlags(values);
  try {
    const loaded = loadCliConfig(io, values.config);
    if (!loaded.ok) throw new InputError(loaded.error);
    const spec = backtestSpec({
      config: loaded.value.config,
      instanceId: values.instance,
      keepDecisions: keep,
      ...(values.policy ? { policy: candidate(io, values.policy)! } : {}),
      ...(values.compare ? { compare: candidate(io, values.compare)! } : {}),
    });
    if (!spec.ok) throw new InputError([spec.error]);
    const source = await openSource(values, {
      io,
      env: loaded.value.env,
      instanceId: values.instance,
      config: loaded.value.config,
    });
    const result = await runWithProgress(io, source, spec.value, { workers, batchSize });
    writeResult(io, values, result, source.label);
    return 0;
  } catch (error) {
    return inputErrorExit(io, error);
  }
}

/** `--workers`, `--keep-decisions` and `--batch-size`, checked before anything is read. */
function numericFlags(values: { workers?: string; 'keep-decisions'?: string; 'batch-size'?: string }): {
  workers: number;
  keep: number;
  batchSize: number;
} {
  const workers = values.workers === undefined ? Math.min(availableParallelism(), 8) : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64)
    throw new UsageError(`--workers: expected 0–64, got ${JSON.stringify(values.workers)}`);
  const keep = values['keep-decisions'] === undefined ? 10_000 : Number(values['keep-decisions']);
  if (!Number.isInteger(keep) || keep < 0)
    throw new UsageError(`--keep-decisions: expected a whole number, got ${JSON.stringify(values['keep-decisions'])}`);
  const batchSize = values['batch-size'] === undefined ? 256 : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
    throw new UsageError(`--batch-size: expected 1–100000, got ${JSON.stringify(values['batch-size'])}`);
  return { workers, keep, batchSize };
}

/** Runs the backtest over the opened source with a progress line on stderr; the source is closed in any case. */
async function runWithProgress(
  io: CliIo,
  source: OpenedSource,
  spec: BacktestSpec,
  options: { workers: number; batchSize: number },
): Promise<BacktestResult> {
  const progress = progressPrinter(io.stderr);
  try {
    return await runBacktest(
      source.lines,
      { ...spec, ...(source.until !== undefined ? { until: source.until } : {}) },
      { ...options, onProgress: progress.update },
    );
  } finally {
    progress.done();
    await source.close();
  }
}

/** `--out` gets the report file (HTML or JSON); stdout the JSON report with `--json`, else the short summary. */
function writeResult(
  io: CliIo,
  values: { out?: string; json?: boolean },
  result: BacktestResult,
  sourceLabel: string,
): void {
  if (values.out !== undefined) {
    const text =
      values.out.endsWith('.html') || values.out.endsWith('.htm')
        ? renderHtml(result, { generatedAt: io.now().toISOString(), source: sourceLabel })
        : `${JSON.stringify(result, null, 2)}\n`;
    writeFileSync(values.out, text);
    io.stderr.write(`backtest: report written to ${values.out}\n`);
  }
  if (values.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else writeLines(io.stdout, summary(result, sourceLabel));
}

/** Bad configuration or input: its lines on stderr and exit code 1; anything else is rethrown. */
function inputErrorExit(io: CliIo, error: unknown): number {
  if (error instanceof InputError) {
    writeLines(io.stderr, error.lines);
    return 1;
  }
  if (error instanceof BacktestInputError) {
    writeLines(io.stderr, [error.message]);
    return 1;
  }
  throw error;
}
