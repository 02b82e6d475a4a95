export class DemoClock {
    anchorReal;
    anchorSim;
    speed;
    real;
    start;
    constructor(options) {
        this.real = options.real ?? Date.now;
        this.start = options.start;
        this.anchorReal = this.real();
        this.anchorSim = options.start;
        this.speed = options.scale ?? 600;
    }
    get scale() {
        return this.speed;
    }
    /** Simulated epoch ms. Bound, so it can be handed around as `now`. */
    now = () => this.anchorSim + (this.real() - this.anchorReal) * this.speed;
    date() {
        return new Date(this.now());
    }
    /** The simulated instant `minutes` after the start. */
    at(minutes) {
        return this.start + minutes * 60_000;
    }
    /** Simulated minutes since the start (for log prefixes). */
    elapsedMinutes() {
        return (this.now() - this.start) / 60_000;
    }
    /** Real milliseconds until the simulated instant `simMs` (0 when it has passed). */
    realDelayUntil(simMs) {
        return Math.max(0, Math.ceil((simMs - this.now()) / this.speed));
    }
    /** Resolves once the simulated clock has reached `simMs`. */
    async waitUntil(simMs) {
        for (;;) {
            const ms = this.realDelayUntil(simMs);
            if (ms <= 0)
                return;
            await new Promise((r) => setTimeout(r, Math.min(ms, 1_000)));
        }
    }
    /** Continues at `scale` from the current simulated instant (no jump): the demo settles to real time at the end. */
    setScale(scale) {
        this.anchorSim = this.now();
        this.anchorReal = this.real();
        this.speed = scale;
    }
}
//# sourceMappingURL=clock.js.map