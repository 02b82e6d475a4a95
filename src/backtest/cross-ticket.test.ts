import { describe, expect, it } from 'vitest';

import { timelineLine } from '../../bench/backtest-data.js';
import { loadExample } from '../engine/__fixtures__/example-policy.js';

import { CrossTicketBuilder } from './cross-ticket.js';
import type { CrossTicketData } from './cross-ticket.js';
import { simPolicy } from './simulate.js';
import { parseTimelineLine } from './timeline.js';
import type { Timeline } from './timeline.js';

// The cross-ticket index of pass 1 (bench/README.md "Backtest"): each worker keeps its share and hands it over once;
// the main thread builds one index in a SharedArrayBuffer that every worker reads (one copy, not one per worker).

const sim = simPolicy('acme-cw', loadExample().compile('acme-cw'));
const timelines: Timeline[] = Array.from({ length: 300 }, (_, i) => {
  const parsed = parseTimelineLine(timelineLine(i), i + 1);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
});
const builder = () => new CrossTicketBuilder(sim.facts, sim.compiled.instance.members);

/** The index as plain data (to compare builds). */
const plain = (c: CrossTicketData) => ({
  recurring: Object.fromEntries(
    Object.entries(c.recurring).map(([k, bySig]) => [
      k,
      Object.fromEntries(Object.entries(bySig).map(([sig, pairs]) => [sig, [...pairs]])),
    ]),
  ),
  loads: Object.entries(c.loads).map(([m, l]) => [m, [...l.starts], [...l.ends]]),
  horizon: c.horizon,
});

describe('cross-ticket index', () => {
  it('is built into one SharedArrayBuffer, so worker threads share it instead of each holding a copy', () => {
    const b = builder();
    for (const t of timelines) b.add(t);
    const cross = b.build();
    const arrays = [
      ...Object.values(cross.recurring).flatMap((bySig) => Object.values(bySig)),
      ...Object.values(cross.loads).flatMap((l) => [l.starts, l.ends]),
    ];
    expect(arrays.length).toBeGreaterThan(3);
    const memory = arrays[0]!.buffer;
    expect(memory).toBeInstanceOf(SharedArrayBuffer);
    for (const a of arrays) expect(a.buffer).toBe(memory);
    // A structured clone (postMessage to a worker) shares the memory rather than copying it.
    const clone = structuredClone(cross);
    const first = Object.values(clone.loads)[0]!.starts;
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    const original = Object.values(cross.loads)[0]!.starts;
    original[0] = -1;
    expect(first[0]).toBe(-1);
  });

  it('is the same whatever the shares its tickets were gathered in (workers, batches, merge order)', () => {
    const whole = builder();
    for (const t of timelines) whole.add(t);
    const want = plain(whole.build());
    expect(Object.keys(want.loads).length).toBeGreaterThan(0);
    for (const split of [[300], [1, 299], [100, 100, 100], [7, 250, 43]]) {
      const main = builder();
      const shares = [];
      let at = 0;
      for (const n of split) {
        const w = builder();
        // A worker adds batch after batch; each batch ends with a flush.
        for (let k = at; k < at + n; k++) {
          w.add(timelines[k]!);
          if (k % 16 === 15) w.flush();
        }
        shares.push(w.shard());
        at += n;
      }
      for (const s of shares.reverse()) main.merge(structuredClone(s));
      expect(plain(main.build()), `split ${split.join('+')}`).toEqual(want);
    }
  });
});
