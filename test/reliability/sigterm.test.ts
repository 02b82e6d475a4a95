import { describe, expect, it } from 'vitest';

import { ingestEvent } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';
import { addOverdueTickets } from '../helpers/test-psa.js';

import { terminate } from './fixtures/child.js';
import { useChildSuite } from './fixtures/child-suite.js';

const suite = useChildSuite();
const TICKETS = Array.from({ length: 8 }, (_, i) => `s${i}`);

describe('SIGTERM with jobs in flight (a real child process)', () => {
  it('finishes in-flight evaluations, exits 0, and loses no acknowledged event', async () => {
    addOverdueTickets(suite.fake, TICKETS);
    suite.fake.fetchDelayMs = 700;
    const child = await suite.startChild('worker');
    // The API half runs here; the worker half is the child.
    const api = await suite.startLocal('api');
    const acked: string[] = [];
    for (const [i, id] of TICKETS.entries()) {
      await ingestEvent(api, { eventId: `sig-${i}`, ticketId: id, action: 'updated' }, `r${i}`);
      acked.push(id);
    }
    // Wait until the child is mid-evaluation (fetches under way), then SIGTERM it.
    await waitFor(() => suite.fake.count('GET', '/tickets/s') >= 2, 20_000, 20);
    const inFlight = new Set(suite.fake.calls.filter((c) => c.method === 'GET').map((c) => c.path.split('/')[2]!));
    const t0 = Date.now();
    const { code } = await terminate(child);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    // Evaluations that had started when the signal came were finished, not abandoned.
    for (const id of inFlight) {
      expect(suite.fake.tickets.get(id)!.queue, `ticket ${id} was in flight`).toBe('2');
      expect(suite.fake.tickets.get(id)!.notes).toHaveLength(1);
    }
    // Nothing acknowledged is lost: a new worker picks up what the first did not start.
    suite.fake.fetchDelayMs = 0;
    const worker = await suite.startLocal('worker');
    await waitFor(
      () =>
        acked.every(
          (id) => suite.fake.tickets.get(id)!.queue === '2' && suite.fake.tickets.get(id)!.notes.length === 1,
        ),
      30_000,
      100,
    );
    await waitForDrained(worker, 30_000, 'every acknowledged event evaluated for good');
    for (const id of acked) {
      expect(suite.fake.tickets.get(id)!.notes, id).toHaveLength(1);
      expect(suite.fake.count('PATCH', `/tickets/${id}`), id).toBe(1);
    }
  });
});
