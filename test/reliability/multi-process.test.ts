import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import { expectOneMoveAndNoteEach } from '../helpers/test-psa-expect.js';
import { INSTANCE, sleep, waitFor } from '../helpers/test-pipeline.js';
import { addOverdueTickets } from '../helpers/test-psa.js';

import { useChildSuite } from './fixtures/child-suite.js';
import { readyz, sendWebhook } from './fixtures/service.js';

/**
 * Many replicas on one Redis (issue 18): 2 api and 3 worker processes (real `serve` processes, roles split), 1,000
 * webhooks over 200 tickets from a PSA that retries until acknowledged and, like a load balancer, tries the other
 * api when one does not answer. Mid-burst one worker and one api are killed with -9. Every acknowledged event is
 * processed, each ticket gets exactly one reassignment and one note, and the round-robin group's owners are spread.
 */
const suite = useChildSuite();
const TICKETS = Array.from({ length: 200 }, (_, i) => `m${i}`);
const EVENTS_PER_TICKET = 5;

describe('2 api + 3 worker processes on one Redis', () => {
  it('kill -9 of one worker and one api mid-burst: every acknowledged event processed, one PATCH and one note per ticket, owners spread', async () => {
    const { fake } = suite;
    addOverdueTickets(fake, TICKETS);
    const env = { RATE_REQUESTS: '100000' };
    const apis = await Promise.all([suite.startChild('api', { env }), suite.startChild('api', { env })]);
    const workers = await Promise.all([0, 1, 2].map(() => suite.startChild('worker', { env })));
    for (const c of [...apis, ...workers])
      await waitFor(async () => (await readyz(c.url)) === 200 || undefined, 30_000, 100, `${c.url} ready`);

    // Events ticket-major interleaved: m0#0, m1#0, …, m199#0, m0#1, … so every ticket sees events before and after the kills.
    const events = Array.from({ length: EVENTS_PER_TICKET }, (_, k) =>
      TICKETS.map((id) => ({ id: `mp-${id}-${k}`, ticketId: id })),
    ).flat();
    const acked = new Set<string>();
    const statuses: number[] = [];
    let turn = 0;
    const deliver = async (ev: { id: string; ticketId: string }) => {
      const seen: number[] = [];
      const first = turn++;
      for (let attempt = 0; attempt < 200; attempt++) {
        const api = apis[(first + attempt) % apis.length]!;
        const status = await sendWebhook(api.url, INSTANCE, ev);
        statuses.push(status);
        seen.push(status);
        if (status === 202) return acked.add(ev.id);
        await sleep(50);
      }
      throw new Error(`${ev.id} never acknowledged: ${seen.slice(-10).join(',')}`);
    };
    const progress = setInterval(() => {
      const moved = TICKETS.filter((id) => fake.tickets.get(id)!.notes.length > 0).length;
      process.stderr.write(
        `multi-process: acked ${acked.size}/${events.length}, statuses ${JSON.stringify(Object.fromEntries(statuses.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<number, number>())))}, noted ${moved}\n`,
      );
    }, 10_000);
    const queue = [...events];
    const sender = Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let ev = queue.shift(); ev; ev = queue.shift()) await deliver(ev);
      }),
    );
    await waitFor(
      () => acked.size >= 300 || undefined,
      60_000,
      20,
      () => `300 acknowledgements before the kills (have ${acked.size})`,
    );
    process.kill(workers[0]!.pid, 'SIGKILL');
    process.kill(apis[0]!.pid, 'SIGKILL');
    await Promise.all([workers[0]!.exited, apis[0]!.exited]);
    await sender.finally(() => clearInterval(progress));

    expect(acked.size).toBe(events.length);
    // Refused or unanswered deliveries only: never a 4xx/5xx other than the 503 of a stopping process.
    expect(statuses.filter((s) => s !== 202 && s !== 0 && s !== 503)).toEqual([]);
    const notMoved = () =>
      TICKETS.filter((id) => fake.tickets.get(id)!.queue !== '2' || fake.tickets.get(id)!.notes.length !== 1);
    await waitFor(
      () => notMoved().length === 0 || undefined,
      120_000,
      200,
      () => `every ticket moved with one note (left: ${notMoved().slice(0, 10).join(',')}…)`,
    );
    // Drained: no event or ticket job left anywhere (the killed worker's jobs were taken over when their locks lapsed).
    const queues = ['events', 'tickets'].map((name) => new Queue(name, { connection: { url: suite.redis.url } }));
    try {
      await waitFor(
        async () => {
          const counts = await Promise.all(
            queues.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'prioritized')),
          );
          return counts.every((c) => Object.values(c).every((n) => n === 0)) || undefined;
        },
        60_000,
        200,
        'the events and tickets queues to drain',
      );
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
    expectOneMoveAndNoteEach(fake, TICKETS);
    const owners = new Map<string, number>();
    for (const id of TICKETS)
      owners.set(String(fake.tickets.get(id)!.owner), (owners.get(String(fake.tickets.get(id)!.owner)) ?? 0) + 1);
    expect([...owners.keys()].sort()).toEqual(['t2.a', 't2.b']);
    expect(
      Math.abs((owners.get('t2.a') ?? 0) - (owners.get('t2.b') ?? 0)),
      JSON.stringify([...owners]),
    ).toBeLessThanOrEqual(10);
  }, 300_000);
});
