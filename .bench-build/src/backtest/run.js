import { Worker } from 'node:worker_threads';
import { CrossTicketBuilder } from './cross-ticket.js';
import { BacktestCore, BatchError } from './engine-core.js';
import { finishComparison, finishReport, mergeAccumulators, mergeDiff, newAccumulator, newDiff } from './report.js';
import { simPolicy } from './simulate.js';
import { compilePolicy } from '../engine/index.js';
export class BacktestInputError extends Error {
}
function inThread(spec) {
    const core = new BacktestCore(spec);
    let cross;
    // Yield between batches so a backtest in the API process never starves the event loop.
    const tick = () => new Promise((r) => setImmediate(r));
    return {
        capacity: 1,
        index: async (b) => {
            await tick();
            return core.index(b);
        },
        setCross: async (c) => {
            cross = c;
        },
        simulate: async (b) => {
            await tick();
            return core.simulate(b, cross);
        },
        close: async () => { },
    };
}
/**
 * A worker thread running worker.ts: the compiled .js next to this file, or — when this module runs from its .ts
 * source (tsx in development and tests) — the .ts through tsx's loader, registered inside the worker.
 */
function startWorker(spec) {
    // A worker holds one batch and the cross-ticket index at a time: a small heap keeps the process RSS bounded.
    const resourceLimits = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 };
    if (!import.meta.url.endsWith('.ts'))
        return new Worker(new URL('./worker.js', import.meta.url), { workerData: spec, resourceLimits });
    const tsx = import.meta.resolve('tsx/esm/api');
    const script = new URL('./worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
    return new Worker(boot, { eval: true, workerData: spec, resourceLimits });
}
function workerPool(spec, n) {
    const workers = Array.from({ length: n }, () => startWorker(spec));
    const busy = workers.map(() => 0);
    const waiting = new Map();
    let next = 0;
    let failed;
    for (const w of workers) {
        w.on('message', (m) => {
            const p = waiting.get(m.id);
            waiting.delete(m.id);
            if (m.ok)
                p?.resolve(m.value);
            else
                p?.reject(new BatchError(m.error));
        });
        w.on('error', (e) => {
            failed = e;
            for (const p of waiting.values())
                p.reject(e);
            waiting.clear();
        });
    }
    const send = (k, msg) => {
        if (failed)
            return Promise.reject(failed);
        const id = next++;
        busy[k]++;
        return new Promise((resolve, reject) => {
            waiting.set(id, { resolve: resolve, reject });
            workers[k].postMessage({ id, ...msg });
        }).finally(() => busy[k]--);
    };
    const idlest = () => busy.indexOf(Math.min(...busy));
    return {
        capacity: n,
        index: (batch) => send(idlest(), { kind: 'index', batch }),
        setCross: async (cross) => {
            await Promise.all(workers.map((_, k) => send(k, { kind: 'cross', cross })));
        },
        simulate: (batch) => send(idlest(), { kind: 'simulate', batch }),
        close: async () => {
            await Promise.all(workers.map((w) => w.terminate()));
        },
    };
}
/** Reads batches and runs `work` on each with at most `limit` in flight; `take` gets the results in input order. */
async function pipeline(source, batchSize, limit, work, take) {
    const inflight = [];
    let lineNo = 0;
    let lines = [];
    let first = 1;
    const drainOne = async () => {
        const head = inflight.shift();
        take(await head.p, head.lines);
    };
    const flush = async () => {
        if (lines.length === 0)
            return;
        const batch = { firstLine: first, lines };
        const p = work(batch);
        p.catch(() => { }); // awaited in order below; avoid an unhandled rejection meanwhile
        inflight.push({ p, lines: lines.length });
        lines = [];
        first = lineNo + 1;
        while (inflight.length >= limit)
            await drainOne();
    };
    try {
        for await (const line of source()) {
            lineNo++;
            lines.push(line);
            if (lines.length >= batchSize)
                await flush();
        }
        await flush();
        while (inflight.length > 0)
            await drainOne();
    }
    catch (e) {
        // Let the batches already sent settle before the workers are closed.
        await Promise.allSettled(inflight.map((x) => x.p));
        throw e;
    }
    return lineNo;
}
function crossBuilder(spec, which) {
    const sim = simPolicy(spec.instanceId, compilePolicy(which === 'policy' ? spec.policy.input : spec.compare.input));
    return new CrossTicketBuilder(sim.facts, sim.compiled.instance.members);
}
export async function runBacktest(source, spec, options) {
    const batchSize = options.batchSize ?? 256;
    const runner = options.workers > 0 ? workerPool(spec, options.workers) : inThread(spec);
    const limit = runner.capacity * 2 + 1;
    try {
        const mainIx = crossBuilder(spec, 'policy');
        const otherIx = spec.compare ? crossBuilder(spec, 'compare') : undefined;
        let done = 0;
        const total = await pipeline(source, batchSize, limit, (b) => runner.index(b), (r, n) => {
            mainIx.merge(r.main);
            if (r.other)
                otherIx?.merge(r.other);
            done += n;
            options.onProgress?.({ phase: 'index', lines: done });
        }).catch(rethrowInput);
        const until = spec.until ?? -Infinity;
        const widen = (c) => ({ ...c, horizon: Math.max(c.horizon, until) });
        const cross = { main: widen(mainIx.build()), ...(otherIx ? { other: widen(otherIx.build()) } : {}) };
        await runner.setCross(cross);
        const main = newAccumulator();
        const other = spec.compare ? newAccumulator() : undefined;
        const diff = spec.compare ? newDiff() : undefined;
        done = 0;
        await pipeline(source, batchSize, limit, (b) => runner.simulate(b), (r, n) => {
            mergeAccumulators(main, r.main, spec.keepDecisions);
            if (other && r.other)
                mergeAccumulators(other, r.other, spec.keepDecisions);
            if (diff && r.diff)
                mergeDiff(diff, r.diff);
            done += n;
            options.onProgress?.({ phase: 'simulate', lines: done, total });
        }).catch(rethrowInput);
        const report = finishReport(main, { instanceId: spec.instanceId, policy: spec.policy.name, keepDecisions: spec.keepDecisions });
        if (!spec.compare || !other || !diff)
            return { report };
        const candidate = finishReport(other, { instanceId: spec.instanceId, policy: spec.compare.name, keepDecisions: spec.keepDecisions });
        return { report, compare: { report: candidate, comparison: finishComparison(report, candidate, diff) } };
    }
    finally {
        await runner.close();
    }
}
function rethrowInput(e) {
    if (e instanceof BatchError)
        throw new BacktestInputError(e.message);
    throw e;
}
//# sourceMappingURL=run.js.map