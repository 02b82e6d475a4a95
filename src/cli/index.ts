#!/usr/bin/env node
/**
 * The `psa-escalator` entry point (`bin/psa-escalator.js` imports the compiled copy; in development run
 * `npx tsx src/cli/index.ts <command>`). Adding a command = one line in `verbs` plus its module in this folder.
 */
import { processEnv } from '../config/env.js';

import type { VerbEntry } from './args.js';
import { runCli } from './dispatch.js';

const verbs: Record<string, VerbEntry> = {
  'check-config': {
    summary: 'validate escalator.yaml: one line per problem, exit 1 on errors',
    load: () => import('./check-config.js'),
  },
  demo: {
    summary:
      'play a scripted morning against built-in ConnectWise, Autotask and Halo sandboxes (--exit to stop after the summary)',
    load: () => import('./demo.js'),
  },
  serve: { summary: 'run the service (--role all|api|worker, --config FILE)', load: () => import('./serve.js') },
  webhooks: {
    summary: 'webhooks register --instance ID: create or repair the PSA webhook registration',
    load: () => import('./webhooks.js'),
  },
  report: {
    summary: 'report --month YYYY-MM: the monthly escalation review (JSON + HTML) from the data in Redis',
    load: () => import('./report.js'),
  },
  reconcile: {
    summary: 'reconcile --instance ID [--full]: queue a sweep now (--full: evaluate every open ticket once)',
    load: () => import('./reconcile.js'),
  },
  evaluate: {
    summary: 'dry-run one ticket against an instance policy and print the Decision',
    load: () => import('./evaluate.js'),
  },
  backtest: {
    summary: 'replay ticket history through a policy: what would it have done? (--input FILE | --from-history)',
    load: () => import('./backtest.js'),
  },
  export: {
    summary: 'write the timelines of a source (--input, --from-history) as backtest JSONL',
    load: () => import('./export.js'),
  },
};

const code = await runCli(verbs, process.argv.slice(2), {
  env: processEnv(),
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  now: () => new Date(),
});
process.exitCode = code;
