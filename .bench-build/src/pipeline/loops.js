/**
 * Background loops of a worker-role process: due scheduled checks → ticket jobs (trigger `scheduled`), and one
 * reconciliation sweep per instance per `reconcileEvery` (jittered ±10 %), claimed cluster-wide with `SET NX PX`.
 */
export function startLoops(options) {
    const pollMs = options.pollMs ?? 500;
    const leaseMs = options.leaseMs ?? 60_000;
    const startedAt = Date.now();
    const startDelay = options.reconcileStartDelayMs ?? 60_000;
    const random = options.random ?? Math.random;
    let running = false;
    async function dueChecks() {
        const due = await options.schedule.claimDue(options.now(), leaseMs);
        for (const c of due)
            await options.kick({ ...c, trigger: 'scheduled', now: options.now() });
    }
    async function dueSweeps() {
        if (Date.now() - startedAt < startDelay)
            return;
        for (const rt of options.runtimes.all()) {
            const every = rt.loaded.reconcileEveryMs;
            const ttl = Math.max(1_000, Math.round(every * (0.9 + 0.2 * random())));
            const claimed = await options.redis.set(options.keys.reconcileDue(rt.loaded.info.id), String(Date.now()), 'PX', ttl, 'NX');
            if (claimed === 'OK')
                await options.control.add('reconcile', { kind: 'reconcile', instanceId: rt.loaded.info.id, requestedAt: Date.now() }, { removeOnComplete: 100, removeOnFail: 100 });
        }
    }
    const timer = setInterval(() => {
        if (running)
            return;
        running = true;
        Promise.all([dueChecks(), dueSweeps()])
            .catch((e) => options.log.debug({ err: { message: e.message } }, 'background loop skipped a beat'))
            .finally(() => {
            running = false;
        });
    }, pollMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
}
/** Queue depth and lag gauges for `/metrics` (every process, any role). */
export function startQueueMetrics(queues, metrics, everyMs = 5_000) {
    const timer = setInterval(() => {
        for (const q of queues) {
            q.getJobCounts('waiting', 'delayed', 'active', 'failed')
                .then((counts) => {
                for (const [state, n] of Object.entries(counts))
                    metrics.queueDepth.set({ queue: q.name, state }, n);
                return q.getWaiting(0, 0);
            })
                .then(([oldest]) => metrics.queueLag.set({ queue: q.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1_000) : 0))
                .catch(() => undefined);
        }
    }, everyMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
}
//# sourceMappingURL=loops.js.map