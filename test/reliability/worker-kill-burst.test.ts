import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { INSTANCE } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrainedAt } from '../helpers/wait.js';
import { addOverdueTickets } from '../helpers/test-psa.js';

import { terminate } from './fixtures/child.js';
import { useChildSuite } from './fixtures/child-suite.js';
import { PsaProxy } from './fixtures/psa-proxy.js';
import { readyz, sendWebhook } from './fixtures/service.js';

/**
 * Must-show 1 (issue 8), the burst variant: webhooks over real HTTP into a real service process; the PSA applies
 * the reassignments but its answers are held back, and the process is killed with SIGKILL while several write-backs
 * are in that ambiguous state. A second service process (a fresh `serve`) recovers: every acknowledged event is
 * processed and the PSA ends up with exactly one reassignment and one note per decision.
 */
const suite = useChildSuite();
let proxy: PsaProxy;
const TICKETS = Array.from({ length: 6 }, (_, i) => `kb${i}`);

beforeAll(async () => {
  proxy = new PsaProxy(suite.fake.url);
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop();
});

describe('kill -9 of a service process with several write-backs in flight', () => {
  it('a restarted process completes every recorded decision: one PATCH and one note per ticket', async () => {
    const { fake, redis } = suite;
    addOverdueTickets(fake, TICKETS);
    proxy.hold = { method: 'PATCH', path: '/tickets/', holdMs: 60_000 };
    const first = await suite.startChild('all', { psaUrl: proxy.url });
    await waitFor(async () => (await readyz(first.url)) === 200, 20_000, 100);
    for (const [i, id] of TICKETS.entries())
      expect(await sendWebhook(first.url, INSTANCE, { id: `kb-ev-${i}`, ticketId: id })).toBe(202);

    // The PSA has applied some reassignments; the process is waiting for the answers.
    await waitFor(() => fake.count('PATCH', '/tickets/kb') >= 3, 20_000, 10);
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    const landed = TICKETS.filter((id) => fake.tickets.get(id)!.queue === '2');
    expect(landed.length).toBeGreaterThanOrEqual(3);
    for (const id of TICKETS) expect(fake.tickets.get(id)!.notes, id).toHaveLength(0);

    proxy.hold = undefined;
    const second = await suite.startChild('all', { psaUrl: proxy.url });
    await waitFor(
      () => TICKETS.every((id) => fake.tickets.get(id)!.queue === '2' && fake.tickets.get(id)!.notes.length === 1),
      40_000,
      100,
    );
    await waitForDrainedAt(redis.url, 30_000, 'the second worker to finish every ticket (retries included)');
    for (const id of TICKETS) {
      expect(fake.count('PATCH', `/tickets/${id}`), id).toBe(1);
      expect(fake.count('POST', `/tickets/${id}/notes`), id).toBe(1);
      expect(fake.tickets.get(id)!.notes, id).toHaveLength(1);
    }
    expect((await terminate(second)).code).toBe(0);
  }, 90_000);
});
