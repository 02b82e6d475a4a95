/**
 * Proves the workers actually consume (RELIABILITY §4 #26, bullmq#4585: after a Redis outage a worker can stay
 * silent while PING looks healthy). Each second, if the previous heartbeat was consumed, a new one is enqueued on
 * `events`; readiness fails while one stays unconsumed for `staleMs`, also right after an outage, since the one
 * sent before it must be consumed first.
 */
export class Heartbeat {
    options;
    timer;
    outstanding = null;
    stuckSince = null;
    ticking = false;
    intervalMs;
    staleMs;
    constructor(options) {
        this.options = options;
        this.intervalMs = options.intervalMs ?? 1_000;
        this.staleMs = options.staleMs ?? 10_000;
    }
    start() {
        this.timer = setInterval(() => void this.tick(), this.intervalMs);
        this.timer.unref();
        void this.tick();
    }
    stop() {
        clearInterval(this.timer);
    }
    /** True while the last heartbeat was consumed, or sent less than `staleMs` ago. */
    healthy(now = Date.now()) {
        return this.outstanding === null || now - this.outstanding < this.staleMs;
    }
    async tick() {
        if (this.ticking)
            return;
        this.ticking = true;
        try {
            const { redis, keys, processId, events } = this.options;
            const consumed = Number((await redis.get(keys.heartbeat(processId))) ?? 0);
            const now = Date.now();
            if (this.outstanding !== null && consumed >= this.outstanding)
                this.outstanding = null;
            if (this.outstanding === null) {
                await events.add('heartbeat', { processId, sentAt: now }, { removeOnComplete: true, removeOnFail: true });
                this.outstanding = now;
                this.stuckSince = null;
            }
            else if (!this.healthy(now)) {
                await this.maybeUnstick(now);
            }
        }
        catch {
            // Redis is down: readiness reports `redis: false`; the outstanding heartbeat stays until consumed.
        }
        finally {
            this.ticking = false;
        }
    }
    async maybeUnstick(now) {
        this.stuckSince ??= now;
        if (!this.options.onStuck || now - this.stuckSince < 2 * this.staleMs)
            return;
        this.stuckSince = now;
        this.options.log.error({ staleMs: now - (this.outstanding ?? now) }, 'workers consume nothing while Redis answers: restarting them');
        await this.options.onStuck();
    }
}
//# sourceMappingURL=heartbeat.js.map