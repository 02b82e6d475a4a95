import { describe, expect, it } from 'vitest';

import { NotifierSchema } from '../../src/contract/index.js';
import type { AppConfig } from '../../src/config/types.js';
import { useClockedPsaSuite } from '../helpers/psa-suite.js';
import { ingestEvent, officeConfig } from '../helpers/test-pipeline.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 17, notifier quiet hours (real Redis, real workers, fake PSA, injected clock): a manager notification at
 * 23:00 New York is held and delivered in the 08:00 digest — across a restart of the process — while a ransomware
 * page at the same time goes out at once. Calendar `office`: New York, Mon–Fri 08:00–18:00.
 */
const MONDAY_11PM = Date.parse('2026-11-24T04:00:00Z'); // Monday 2026-11-23 23:00 New York
const TUESDAY_8AM = Date.parse('2026-11-24T13:00:00Z');

function quietConfig(psaUrl: string): AppConfig {
  return officeConfig(
    psaUrl,
    '08:00-18:00',
    {
      calendar: 'always',
      handoff: { required: [], onMissing: 'flag' },
      rules: [
        { id: 'ransomware', kind: 'emergency', when: { text: ['ransomware'] }, then: { notify: ['managers'] } },
        { id: 'invoices', kind: 'hierarchical', when: { text: ['invoice'] }, then: { notify: ['managers'] } },
      ],
    },
    {
      notifiers: {
        managers: NotifierSchema.parse({
          kind: 'webhook',
          url: `${psaUrl}/notify/managers`,
          quietHours: { calendar: 'office' },
        }),
      },
    },
  );
}

let clock = MONDAY_11PM;
const suite = useClockedPsaSuite(() => clock, ['flush'], quietConfig);
const { watched, start } = suite;

const bodies = () =>
  suite.fake.notifications.filter((n) => n.name === 'managers').map((n) => n.body as Record<string, unknown>);

describe('notifier quiet hours (injected clock)', () => {
  it('holds the 23:00 manager notification for the 08:00 digest, across a restart, while the ransomware page goes at once', async () => {
    const first = await start();
    suite.fake.addTicket({ id: 'q1', queue: '1', title: 'Invoice run failed overnight' });
    suite.fake.addTicket({ id: 'q2', queue: '1', title: 'Ransomware note on the file server' });
    await ingestEvent(first, { eventId: 'q1', ticketId: 'q1', action: 'created' });
    await ingestEvent(first, { eventId: 'q2', ticketId: 'q2', action: 'created' });

    // The page goes out at once; the other is held in Redis (both evaluations done).
    await waitFor(() => bodies().some((b) => b.rule === 'ransomware'), 10_000);
    const held = await waitFor(
      async () => (await first.redis.llen(first.stores.keys.quietHeld('managers'))) === 1,
      10_000,
    );
    expect(held).toBe(true);
    expect(bodies().map((b) => b.rule)).toEqual(['ransomware']);

    // A restart while it is held: the new process delivers it.
    await first.close();
    suite.pipelines.splice(suite.pipelines.indexOf(first), 1);
    const second = await start();

    clock = TUESDAY_8AM - 1_000;
    await watched.waitTicks('flush', 'the calendar still closed at 07:59:59');
    expect(bodies().map((b) => b.event)).toEqual(['escalation']);

    clock = TUESDAY_8AM;
    const digest = await waitFor(() => bodies().find((b) => b.event === 'digest'), 10_000);
    expect(digest).toMatchObject({ event: 'digest', notifier: 'managers', count: 1 });
    expect(digest.items as { rule: string; ticket: { id: string }; at: string }[]).toEqual([
      expect.objectContaining({
        rule: 'invoices',
        kind: 'hierarchical',
        at: '2026-11-24T04:00:00.000Z',
        ticket: expect.objectContaining({ id: 'q1' }),
      }),
    ]);
    expect(
      await waitFor(
        async () =>
          (await second.redis.exists(
            second.stores.keys.quietSending('managers'),
            second.stores.keys.quietHeld('managers'),
          )) === 0,
        5_000,
      ),
    ).toBe(true);
    // Exactly one digest: later ticks find nothing held.
    await watched.waitTicks('flush', 'after the digest');
    expect(bodies().filter((b) => b.event === 'digest')).toHaveLength(1);
  }, 60_000);
});
