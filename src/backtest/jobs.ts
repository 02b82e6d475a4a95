import { randomBytes } from 'node:crypto';

import type { BacktestSpec } from './engine-core.js';
import type { BacktestResult } from './report.js';
import { runBacktest } from './run.js';
import type { LineSource, Progress } from './run.js';

/**
 * Asynchronous backtests for `POST /api/backtests` (docs/backtest.md "API"): each job runs on worker threads of the
 * API process and is kept in memory — at most `maxJobs` (the oldest finished ones are dropped first) for `keepMs`
 * after it ends. Not shared between API replicas: `GET /api/backtests/:id` must reach the process that started it.
 */

export type JobStatus = 'running' | 'done' | 'failed';

export interface BacktestJob {
  id: string;
  instanceId: string;
  status: JobStatus;
  createdAt: string;
  finishedAt?: string;
  progress: Progress;
  result?: BacktestResult;
  error?: string;
}

export interface JobsOptions {
  /** @defaultValue 20 */
  maxJobs?: number;
  /** @defaultValue 1 hour */
  keepMs?: number;
  /** Worker threads per job. @defaultValue 1 (keeps the API's own event loop free) */
  workers?: number;
  now?: () => number;
}

export class TooManyBacktests extends Error {}

export class BacktestJobs {
  private readonly jobs = new Map<string, BacktestJob>();
  private readonly maxJobs: number;
  private readonly keepMs: number;
  private readonly workers: number;
  private readonly now: () => number;

  constructor(options: JobsOptions = {}) {
    this.maxJobs = options.maxJobs ?? 20;
    this.keepMs = options.keepMs ?? 3_600_000;
    this.workers = options.workers ?? 1;
    this.now = options.now ?? Date.now;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, j] of this.jobs)
      if (j.finishedAt && now - Date.parse(j.finishedAt) > this.keepMs) this.jobs.delete(id);
    while (this.jobs.size >= this.maxJobs) {
      const oldest = [...this.jobs.values()].find((j) => j.status !== 'running');
      if (!oldest) throw new TooManyBacktests(`${this.maxJobs} backtests are running; try again when one has finished`);
      this.jobs.delete(oldest.id);
    }
  }

  /** Starts a job; `done` resolves when it has finished (tests, shutdown). */
  start(
    spec: BacktestSpec,
    source: LineSource,
    cleanup?: () => Promise<void>,
  ): { job: BacktestJob; done: Promise<void> } {
    this.prune();
    const job: BacktestJob = {
      id: randomBytes(8).toString('hex'),
      instanceId: spec.instanceId,
      status: 'running',
      createdAt: new Date(this.now()).toISOString(),
      progress: { phase: 'index', lines: 0 },
    };
    this.jobs.set(job.id, job);
    const done = runBacktest(source, spec, { workers: this.workers, onProgress: (p) => (job.progress = p) })
      .then((result) => {
        job.result = result;
        job.status = 'done';
      })
      .catch((e: unknown) => {
        job.status = 'failed';
        job.error = e instanceof Error ? e.message : String(e);
      })
      .finally(async () => {
        job.finishedAt = new Date(this.now()).toISOString();
        await cleanup?.().catch(() => {});
      });
    return { job, done };
  }

  get(id: string): BacktestJob | undefined {
    return this.jobs.get(id);
  }
}
