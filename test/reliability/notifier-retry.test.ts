import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { FakePsa } from '../helpers/test-psa.js';
import { ingestEvent, INSTANCE, startFakePsaPipeline, type FakePsaPipeline } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

/**
 * A notifier that failed after the ticket moved: its dead letter, retried, re-sends the recorded notification.
 * (Re-evaluating, as a PSA-write dead letter does, would send nothing: the rule no longer matches in the new tier.)
 */
let h: FakePsaPipeline;
let fake: FakePsa;
let p: FakePsaPipeline['p'];

beforeAll(async () => {
  h = await startFakePsaPipeline({ debounceMs: 20 });
  ({ fake, p } = h);
});
afterAll(async () => h?.close());

describe('notifier dead letters', () => {
  it('a retried notifier dead letter re-sends the notification once, after the ticket moved', async () => {
    fake.addTicket({ id: 'nr1', queue: '1', title: 'Ransomware on a laptop' });
    fake.fail({ method: 'POST', path: '/notify/managers', status: 500, times: 1e9 });
    await ingestEvent(p, { eventId: 'nr-1', ticketId: 'nr1', action: 'updated' }, 'nr');
    const letter = await waitFor(async () => (await p.read.deadLetters()).items[0]);
    expect(letter).toMatchObject({
      ticketId: 'nr1',
      actions: [{ type: 'notify', notifier: 'managers', rule: 'emergency' }],
    });
    expect(fake.tickets.get('nr1')).toMatchObject({ queue: '3', priority: 1 });
    expect(fake.notifications).toHaveLength(0);

    fake.failures.splice(0);
    expect(await p.read.retryDeadLetter(letter.id)).toBe(true);
    await waitFor(() => fake.notifications.length === 1, 30_000, 50, 'the retried notification');
    await waitForDrained(p, 30_000, 'the dead-letter retry to finish');
    expect(fake.notifications).toHaveLength(1);
    expect(fake.notifications[0]!.body).toMatchObject({
      event: 'escalation',
      instance: INSTANCE,
      rule: 'emergency',
      ticket: { ref: { id: 'nr1' } },
    });
    expect((await p.read.deadLetters()).items).toHaveLength(0);
    // The PSA writes were not repeated.
    expect(fake.count('PATCH', '/tickets/nr1')).toBe(1);
    expect(fake.tickets.get('nr1')!.notes).toHaveLength(1);
  }, 30_000);
});
