import { parentPort, workerData } from 'node:worker_threads';
import { BacktestCore } from './engine-core.js';
const core = new BacktestCore(workerData);
let cross;
parentPort.on('message', (m) => {
    try {
        if (m.kind === 'cross') {
            cross = m.cross;
            parentPort.postMessage({ id: m.id, ok: true, value: null });
        }
        else if (m.kind === 'index') {
            parentPort.postMessage({ id: m.id, ok: true, value: core.index(m.batch) });
        }
        else {
            if (!cross)
                throw new Error('simulate before the cross-ticket index');
            parentPort.postMessage({ id: m.id, ok: true, value: core.simulate(m.batch, cross) });
        }
    }
    catch (e) {
        parentPort.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
});
//# sourceMappingURL=worker.js.map