import { describe, expect, it } from 'vitest';

import { INSTANCE, ingestEvent } from '../helpers/test-pipeline.js';
import { sleep, waitFor, waitForDrained } from '../helpers/wait.js';
import { addOverdueTickets } from '../helpers/test-psa.js';

import { useChildSuite } from './fixtures/child-suite.js';

const suite = useChildSuite();

describe('kill -9 of a worker in the middle of a write-back', () => {
  it('the re-run completes the recorded decision: exactly one reassignment and one note', async () => {
    addOverdueTickets(suite.fake, ['w1']);
    // The note lands 1.5 s after it was posted: the worker is killed while waiting for the answer (commit-then-drop).
    suite.fake.noteDelayMs = 1_500;
    const child = await suite.startChild('all');
    const api = await suite.startLocal('api');
    await ingestEvent(api, { eventId: 'k-1', ticketId: 'w1', action: 'updated' }, 'k');
    await waitFor(() => suite.fake.count('POST', '/tickets/w1/notes') === 1, 20_000, 10);
    process.kill(child.pid, 'SIGKILL');
    await child.exited;
    expect(suite.fake.count('PATCH', '/tickets/w1')).toBe(1);
    const pending = await api.stores.tickets.get(INSTANCE, 'w1');
    expect(pending?.pending).toBeDefined();
    await sleep(1_600);
    expect(suite.fake.tickets.get('w1')!.notes).toHaveLength(1);
    // A fresh worker: the stalled job re-runs once its lock (2 s) lapses.
    suite.fake.noteDelayMs = 0;
    const worker = await suite.startLocal('worker');
    await waitFor(
      async () => {
        const r = await worker.stores.tickets.get(INSTANCE, 'w1');
        return r && !r.pending && r.lastReassign ? r : undefined;
      },
      30_000,
      100,
    );
    await waitForDrained(worker, 30_000, 'the re-run of the stalled job to finish');
    const t = suite.fake.tickets.get('w1')!;
    expect(t.queue).toBe('2');
    expect(t.notes).toHaveLength(1);
    expect(suite.fake.count('PATCH', '/tickets/w1')).toBe(1);
    expect(suite.fake.count('POST', '/tickets/w1/notes')).toBe(1);
    const [entry] = (await worker.read.escalations({ limit: 5 })).items;
    expect(entry!.results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect((await worker.read.escalations({ limit: 5 })).items).toHaveLength(1);
  }, 60_000);
});
