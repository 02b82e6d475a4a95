import { parentPort, workerData } from 'node:worker_threads';

import { BacktestCore, releaseBytes } from './engine-core.js';
import type { Batch, BacktestSpec } from './engine-core.js';
import { shardBuffers } from './cross-ticket.js';
import type { CrossTicketData } from './cross-ticket.js';

/** Worker-thread entry of a backtest (run.ts starts one per core): compiles the policies once, then runs batches. */

type Message =
  | { id: number; kind: 'index'; batch: Batch }
  | { id: number; kind: 'shard' }
  | { id: number; kind: 'cross'; cross: { main: CrossTicketData; other?: CrossTicketData } }
  | { id: number; kind: 'simulate'; batch: Batch; keep: number };

const core = new BacktestCore(workerData as BacktestSpec);
let cross: { main: CrossTicketData; other?: CrossTicketData } | undefined;

parentPort!.on('message', (m: Message) => {
  try {
    if (m.kind === 'cross') {
      cross = m.cross;
      parentPort!.postMessage({ id: m.id, ok: true, value: null });
    } else if (m.kind === 'index') {
      core.index(m.batch);
      parentPort!.postMessage({ id: m.id, ok: true, value: null });
    } else if (m.kind === 'shard') {
      // Moved, not copied: this thread does not use its share again.
      const value = core.shard();
      const buffers = [...shardBuffers(value.main), ...(value.other ? shardBuffers(value.other) : [])];
      parentPort!.postMessage({ id: m.id, ok: true, value }, buffers);
    } else {
      if (!cross) throw new Error('simulate before the cross-ticket index');
      parentPort!.postMessage({ id: m.id, ok: true, value: core.simulate(m.batch, cross, m.keep) });
    }
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (m.kind === 'index' || m.kind === 'simulate') releaseBytes(m.batch);
  }
});
