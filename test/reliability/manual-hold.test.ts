import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { FakePsa } from '../helpers/test-psa.js';
import { INSTANCE, startFakePsaPipeline, type FakePsaPipeline } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

/**
 * A human takes a ticket back after we escalated it (a manual change → `respectManualChangesFor` hold). The engine
 * keeps re-proposing the suppressed rule's `notify` on every evaluation (suppressed rules are not recorded as
 * fired); the pipeline must page the managers once for that visit, not on every webhook that follows.
 */
let h: FakePsaPipeline;
let fake: FakePsa;
let p: FakePsaPipeline['p'];
let seq = 0;

const event = (ticketId: string) => ({
  instanceId: INSTANCE,
  event: { eventId: `mh-${++seq}`, ticketId, action: 'updated' as const },
  receivedAt: Date.now(),
  requestId: `mh-${seq}`,
});

beforeAll(async () => {
  h = await startFakePsaPipeline({ debounceMs: 20 });
  ({ fake, p } = h);
});
afterAll(async () => h?.close());

describe('manual hold', () => {
  it('a held ticket pages the managers once, not on every webhook', async () => {
    fake.addTicket({ id: 'mh1', queue: '1', title: 'Ransomware on the file server' });
    await p.pipeline.ingest(event('mh1'));
    await waitFor(() => fake.tickets.get('mh1')!.queue === '3' && fake.notifications.length === 1);

    // The engineer moves it back to T1 and takes it: a manual change, the emergency rule is held.
    fake.update('mh1', { queue: '1', owner: 'alice' });
    await p.pipeline.ingest(event('mh1'));
    const held = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, 'mh1');
      return r?.manualChange && r.lastDecision?.reasons.some((x) => x.suppressed === 'manual_hold') ? r : undefined;
    });
    expect(held.lastDecision!.actions.map((a) => a.type)).toEqual(['notify']);
    await waitFor(() => fake.notifications.length === 2);

    // The engineer keeps working the ticket: every update brings a webhook and an evaluation, and no page.
    for (let i = 0; i < 5; i++) {
      const evaluatedBefore = (await p.stores.tickets.get(INSTANCE, 'mh1'))!.lastEvaluatedAt;
      fake.update('mh1', { description: `worklog ${i}` });
      await p.pipeline.ingest(event('mh1'));
      await waitFor(async () => (await p.stores.tickets.get(INSTANCE, 'mh1'))!.lastEvaluatedAt !== evaluatedBefore);
    }
    await waitForDrained(p, 30_000, 'the worklog updates to be evaluated');
    expect(fake.notifications).toHaveLength(2);
    expect(fake.tickets.get('mh1')).toMatchObject({ queue: '1', owner: 'alice' });
    expect(fake.count('PATCH', '/tickets/mh1')).toBe(1);
  }, 30_000);
});
