import { compilePolicy } from '../engine/index.js';
import { CrossTicketBuilder } from './cross-ticket.js';
import { addDiff, addOutcome, newAccumulator, newDiff } from './report.js';
import { simPolicy, simulateTimeline } from './simulate.js';
import { parseTimelineLine } from './timeline.js';
export class BatchError extends Error {
}
export class BacktestCore {
    spec;
    sim;
    other;
    constructor(spec) {
        this.spec = spec;
        this.sim = simPolicy(spec.instanceId, compilePolicy(spec.policy.input));
        if (spec.compare)
            this.other = simPolicy(spec.instanceId, compilePolicy(spec.compare.input));
    }
    *timelines(batch) {
        for (let k = 0; k < batch.lines.length; k++) {
            const line = batch.lines[k];
            if (line.trim() === '')
                continue;
            const parsed = parseTimelineLine(line, batch.firstLine + k);
            if (!parsed.ok)
                throw new BatchError(parsed.error);
            // Timelines of other instances in a shared export are skipped (the policy and mapping are per instance).
            if (parsed.value.instance === this.spec.instanceId)
                yield parsed.value;
        }
    }
    /** Pass 1: the cross-ticket index of this batch (the candidate policy's recurring windows and groups). */
    index(batch) {
        const a = new CrossTicketBuilder(this.sim.facts, this.sim.compiled.instance.members);
        const b = this.other ? new CrossTicketBuilder(this.other.facts, this.other.compiled.instance.members) : undefined;
        for (const t of this.timelines(batch)) {
            a.add(t);
            b?.add(t);
        }
        return { main: a.build(), ...(b ? { other: b.build() } : {}) };
    }
    /** Pass 2: simulate every ticket of the batch. */
    simulate(batch, cross) {
        const main = newAccumulator();
        const other = this.other ? newAccumulator() : undefined;
        const diff = this.other ? newDiff() : undefined;
        for (const t of this.timelines(batch)) {
            const o = simulateTimeline(t, this.sim, cross.main);
            addOutcome(main, o, this.spec.keepDecisions);
            if (this.other && other && diff && cross.other) {
                const p = simulateTimeline(t, this.other, cross.other);
                addOutcome(other, p, this.spec.keepDecisions);
                addDiff(diff, o, p);
            }
        }
        return { main, ...(other ? { other } : {}), ...(diff ? { diff } : {}) };
    }
}
//# sourceMappingURL=engine-core.js.map