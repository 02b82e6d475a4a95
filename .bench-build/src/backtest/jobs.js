import { randomBytes } from 'node:crypto';
import { runBacktest } from './run.js';
export class TooManyBacktests extends Error {
}
export class BacktestJobs {
    jobs = new Map();
    maxJobs;
    keepMs;
    workers;
    now;
    constructor(options = {}) {
        this.maxJobs = options.maxJobs ?? 20;
        this.keepMs = options.keepMs ?? 3_600_000;
        this.workers = options.workers ?? 1;
        this.now = options.now ?? Date.now;
    }
    prune() {
        const now = this.now();
        for (const [id, j] of this.jobs)
            if (j.finishedAt && now - Date.parse(j.finishedAt) > this.keepMs)
                this.jobs.delete(id);
        while (this.jobs.size >= this.maxJobs) {
            const oldest = [...this.jobs.values()].find((j) => j.status !== 'running');
            if (!oldest)
                throw new TooManyBacktests(`${this.maxJobs} backtests are running; try again when one has finished`);
            this.jobs.delete(oldest.id);
        }
    }
    /** Starts a job; `done` resolves when it has finished (tests, shutdown). */
    start(spec, source, cleanup) {
        this.prune();
        const job = { id: randomBytes(8).toString('hex'), instanceId: spec.instanceId, status: 'running', createdAt: new Date(this.now()).toISOString(), progress: { phase: 'index', lines: 0 } };
        this.jobs.set(job.id, job);
        const done = runBacktest(source, spec, { workers: this.workers, onProgress: (p) => (job.progress = p) })
            .then((result) => {
            job.result = result;
            job.status = 'done';
        })
            .catch((e) => {
            job.status = 'failed';
            job.error = e instanceof Error ? e.message : String(e);
        })
            .finally(async () => {
            job.finishedAt = new Date(this.now()).toISOString();
            await cleanup?.().catch(() => { });
        });
        return { job, done };
    }
    get(id) {
        return this.jobs.get(id);
    }
}
//# sourceMappingURL=jobs.js.map