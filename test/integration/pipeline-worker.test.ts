import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import type { IngestRequest } from '../../src/pipeline/types.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { resetAfterTest } from '../helpers/psa-suite.js';
import { INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { watchClock } from '../helpers/clock.js';
import { sleep, waitFor, waitForDrained } from '../helpers/wait.js';
import type { StartOptions } from '../helpers/test-pipeline.js';

let redis: TestRedis;
let fake: FakePsa;
const running: RunningPipeline[] = [];
let seq = 0;

const event = (ticketId: string, action: 'updated' | 'deleted' = 'updated'): IngestRequest => ({
  instanceId: INSTANCE,
  event: { eventId: `evt-${++seq}`, ticketId, action },
  receivedAt: Date.now(),
  requestId: `req-${seq}`,
});

async function start(extra: Partial<StartOptions> & { mode?: 'enforce' | 'observe' } = {}) {
  const { mode, ...rest } = extra;
  const p = await startTestPipeline({
    redisUrl: redis.url,
    config: testConfig({ psaUrl: fake.url, ...(mode ? { mode } : {}) }),
    ...rest,
  });
  running.push(p);
  return p;
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(() => resetAfterTest(redis.url, running, fake));

afterAll(async () => {
  await redis.close();
});

async function freshFake() {
  fake = new FakePsa();
  await fake.start();
}

describe('worker: debounce and per-ticket serialization', () => {
  it('evaluates a burst of 5 events for one ticket once', async () => {
    await freshFake();
    fake.addTicket({ id: '1', queue: '2' });
    // The debounce window runs from the first event: the whole burst (~200 ms here, several times that on a loaded
    // CI VM) must be ingested AND consumed by the events worker inside it, or a late kick is a legitimate follow-up.
    const p = await start({ debounceMs: 1_500 });
    for (let i = 0; i < 5; i++) {
      await p.pipeline.ingest(event('1'));
      await sleep(40);
    }
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, '1'))?.lastEvaluatedAt);
    // A follow-up would be a ticket job due at most one debounce after the last event: it has run once drained.
    await waitForDrained(p, 30_000, 'any follow-up evaluation of the burst');
    expect(fake.count('GET', '/tickets/1')).toBe(1);
  });

  it('never runs one ticket on two workers; events during a running job give exactly one follow-up', async () => {
    await freshFake();
    fake.addTicket({ id: '7', queue: '2' });
    // Long enough that the three events below are surely consumed while the first evaluation still runs, even on a
    // loaded machine (a kick landing after the follow-up started would be a legitimate third evaluation).
    fake.fetchDelayMs = 800;
    const a = await start({ debounceMs: 50, workerConcurrency: 4 });
    const b = await start({ debounceMs: 50, workerConcurrency: 4 });
    await a.pipeline.ingest(event('7'));
    await waitFor(() => fake.count('GET', '/tickets/7') === 1);
    // The first evaluation is now fetching (800 ms): three more events arrive through both API halves.
    await a.pipeline.ingest(event('7'));
    await b.pipeline.ingest(event('7'));
    await a.pipeline.ingest(event('7'));
    await waitFor(() => fake.count('GET', '/tickets/7') >= 2);
    await waitForDrained(a, 30_000, 'every evaluation the three events asked for');
    expect(fake.count('GET', '/tickets/7')).toBe(2);
    expect(fake.maxConcurrentFetches.get('7')).toBe(1);
  });

  it('keeps many tickets flowing in parallel while each stays serialized', async () => {
    await freshFake();
    for (let t = 0; t < 6; t++) fake.addTicket({ id: `m${t}`, queue: '2' });
    fake.fetchDelayMs = 100;
    const p = await start({ debounceMs: 20, workerConcurrency: 6 });
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 6 }, (_, t) => p.pipeline.ingest(event(`m${t}`))));
      await sleep(60);
    }
    // Drained: every ticket fetched at least once and no event or ticket job left (follow-ups included).
    await waitFor(async () => {
      const [events, tickets] = await Promise.all([
        p.queues.events.getJobCounts('waiting', 'active', 'delayed'),
        p.queues.tickets.getJobCounts('waiting', 'active', 'delayed'),
      ]);
      const idle = Object.values(events).every((n) => n === 0) && Object.values(tickets).every((n) => n === 0);
      return idle && Array.from({ length: 6 }, (_, t) => fake.count('GET', `/tickets/m${t}`)).every((n) => n >= 1);
    }, 15_000);
    for (let t = 0; t < 6; t++) expect(fake.maxConcurrentFetches.get(`m${t}`)).toBe(1);
    expect(Math.max(...[...fake.maxConcurrentFetches.values()])).toBe(1);
  });
});

describe('worker: evaluation and write-back with the real engine', () => {
  it('escalates a T1 ticket past 2 h: one write, one handoff note with a marker, audit before/after, round-robin', async () => {
    await freshFake();
    fake.addTicket({ id: '42', queue: '1', title: 'Printer offline', createdAt: hoursAgo(3), updatedAt: hoursAgo(3) });
    const p = await start();
    await p.pipeline.ingest(event('42'));
    const first = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, '42');
      return r?.lastReassign ? r : undefined;
    });
    const record = first.lastReassign!;
    expect(record).toMatchObject({ rule: 't1-timeout', tier: 'T2', owner: 't2.a' });
    const t = fake.tickets.get('42')!;
    expect(t).toMatchObject({ queue: '2', owner: 't2.a' });
    expect(t.notes).toHaveLength(1);
    expect(t.notes[0]!.text).toMatch(/\[esc:[0-9a-f]{8}\]/);
    expect(fake.count('PATCH', '/tickets/42')).toBe(1);
    const { items } = await p.read.escalations({ limit: 50 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ instanceId: INSTANCE, ticketId: '42', mode: 'enforce', trigger: 'webhook' });
    expect(items[0]!.results.map((r) => [r.action, r.status])).toEqual([
      ['reassign', 'applied'],
      ['note', 'applied'],
    ]);
    // The round-robin cursor advances after the state is stored (afterWrite): wait for it.
    expect(
      await waitFor(async () => {
        const cursors = await p.stores.counters.groupCursors(INSTANCE);
        return Object.keys(cursors).length > 0 ? cursors : undefined;
      }),
    ).toEqual({ tier2: 1 });
    // The next event sees the ticket in T2 (our move, not a manual change): nothing more happens.
    await p.pipeline.ingest(event('42'));
    const after = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, '42');
      return r && r.lastEvaluatedAt !== first.lastEvaluatedAt && !r.pending ? r : undefined;
    });
    expect(after.tier).toBe('T2');
    expect(after.manualChange).toBeUndefined();
    expect(after.tierSince).toBe(record.at);
    expect(fake.tickets.get('42')!.notes).toHaveLength(1);
    expect((await p.read.ticket(INSTANCE, '42'))?.decisions).toHaveLength(1);
  });

  it('calls the notifier and raises priority for the emergency rule', async () => {
    await freshFake();
    fake.addTicket({ id: '9', queue: '1', title: 'Ransomware on file server', priority: 3 });
    const p = await start();
    await p.pipeline.ingest(event('9'));
    await waitFor(() => fake.notifications.length === 1);
    expect(fake.tickets.get('9')).toMatchObject({ queue: '3', priority: 1 });
    expect(fake.notifications[0]).toMatchObject({
      name: 'managers',
      body: { event: 'escalation', instance: INSTANCE, rule: 'emergency' },
    });
  });

  it('observe mode decides and records but writes nothing and calls no notifier', async () => {
    await freshFake();
    fake.addTicket({ id: '5', queue: '1', title: 'ransomware', createdAt: hoursAgo(3), updatedAt: hoursAgo(3) });
    const p = await start({ mode: 'observe' });
    await p.pipeline.ingest(event('5'));
    const { items } = await waitFor(async () => {
      const page = await p.read.escalations({ limit: 50, instance: INSTANCE });
      return page.items.length > 0 && page.items[0]!.results.length > 0 ? page : undefined;
    });
    expect(items[0]!.mode).toBe('observe');
    expect(items[0]!.results.every((r) => r.status === 'proposed')).toBe(true);
    expect(fake.count('PATCH', '/')).toBe(0);
    expect(fake.count('POST', '/tickets')).toBe(0);
    expect(fake.notifications).toHaveLength(0);
    // Proposals count for once-per-visit: a second event proposes nothing new.
    // The audit results are written before the state: wait for the first evaluation to be stored completely.
    const firstEval = await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, '5');
      return r && !r.pending ? r.lastEvaluatedAt : undefined;
    });
    await p.pipeline.ingest(event('5'));
    // The second evaluation is complete once its state is stored (an audit entry would have come before it).
    await waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, '5');
      return r !== undefined && r.lastEvaluatedAt !== firstEval && !r.pending;
    });
    expect((await p.read.escalations({ limit: 50 })).items).toHaveLength(1);
  });

  it('runs the scheduled check at nextCheckAt with no further event (injected clock)', async () => {
    await freshFake();
    let clock = Date.parse('2026-11-24T10:00:00Z');
    fake.now = () => clock;
    fake.addTicket({ id: '11', queue: '1', title: 'Slow laptop' });
    const watched = watchClock(() => clock, ['dueChecks']);
    const p = await start({ now: watched.now });
    await p.pipeline.ingest(event('11'));
    const rec = await waitFor(async () => (await p.stores.tickets.get(INSTANCE, '11'))?.lastDecision);
    expect(rec.nextCheckAt).toBe('2026-11-24T12:00:00Z');
    // The scheduled check is stored after the state (src/pipeline/process/process-ticket.ts decideAndApply): wait for it.
    expect(await waitFor(() => p.stores.schedule.get(INSTANCE, '11'))).toBe(Date.parse('2026-11-24T12:00:00Z'));
    await watched.waitTicks('dueChecks', 'before the check is due');
    await waitForDrained(p, 30_000, 'anything those ticks claimed');
    expect(fake.tickets.get('11')!.queue).toBe('1');
    clock = Date.parse('2026-11-24T12:00:00Z');
    await waitFor(() => fake.tickets.get('11')!.queue === '2');
    const entries = (await p.read.escalations({ limit: 10 })).items;
    expect(entries[0]).toMatchObject({ trigger: 'scheduled', ticketId: '11' });
  });

  it('a deleted ticket loses its state and scheduled check, with an audit ticket_gone', async () => {
    await freshFake();
    fake.addTicket({ id: '13', queue: '1' });
    const p = await start();
    await p.pipeline.ingest(event('13'));
    await waitFor(async () => (await p.stores.schedule.get(INSTANCE, '13')) !== null);
    // A delete event is believed once the PSA confirms it (the fetch answers 404): issue 12.
    fake.tickets.delete('13');
    await p.pipeline.ingest(event('13', 'deleted'));
    // The audit entry is the last step of the gone path: once it is there, state and schedule are gone too.
    const history = await waitFor(async () => {
      const h = await p.stores.audit.forTicket(INSTANCE, '13');
      return h.some((e) => e.event === 'ticket_gone') ? h : undefined;
    });
    expect(history[0]).toMatchObject({ event: 'ticket_gone' });
    expect(await p.stores.tickets.get(INSTANCE, '13')).toBeUndefined();
    expect(await p.stores.schedule.get(INSTANCE, '13')).toBeNull();
  });

  it('a 404 on fetch is a gone ticket too (no retry)', async () => {
    await freshFake();
    const p = await start();
    await p.pipeline.ingest(event('404'));
    await waitFor(async () => (await p.stores.audit.forTicket(INSTANCE, '404')).length === 1);
    await waitForDrained(p, 30_000, 'a retry of the 404, had one been scheduled');
    expect(fake.count('GET', '/tickets/404')).toBe(1);
  });

  it('dead-letters a failed write and applies the new decision on retry', async () => {
    await freshFake();
    fake.addTicket({ id: '21', queue: '1', createdAt: hoursAgo(3), updatedAt: hoursAgo(3) });
    fake.fail({ method: 'PATCH', path: '/tickets/21', status: 422 });
    const p = await start();
    await p.pipeline.ingest(event('21'));
    const { items } = await waitFor(async () => {
      const dl = await p.read.deadLetters();
      return dl.items.length > 0 ? dl : undefined;
    });
    expect(items[0]).toMatchObject({ instanceId: INSTANCE, ticketId: '21', error: { code: 'validation' } });
    expect(items[0]!.actions.map((a) => (a as { type: string }).type)).toEqual(['reassign', 'note']);
    expect(fake.tickets.get('21')!.notes).toHaveLength(0);
    const audit = (await p.read.escalations({ limit: 5 })).items[0]!;
    expect(audit.results.map((r) => r.status)).toEqual(['dead_letter', 'dead_letter']);
    expect(await p.read.retryDeadLetter('nope')).toBe(false);
    expect(await p.read.retryDeadLetter(items[0]!.id)).toBe(true);
    await waitFor(() => fake.tickets.get('21')!.queue === '2' && fake.tickets.get('21')!.notes.length === 1);
    expect((await p.read.deadLetters()).items).toHaveLength(0);
  });

  it('a 429 with Retry-After pauses the instance for every worker, then the evaluation completes', async () => {
    await freshFake();
    fake.addTicket({ id: '60', queue: '2' });
    // 2 s: the pause must still be visible when the poll below looks, even if the machine stalls for a moment.
    fake.fail({ method: 'GET', path: '/tickets/60', status: 429, headers: { 'retry-after': '2' } });
    const p = await start();
    const t0 = Date.now();
    await p.pipeline.ingest(event('60'));
    await waitFor(async () => (await p.read.instances())[0]!.rateLimit.pausedUntil !== null, 10_000, 20);
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, '60')) !== undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(fake.count('GET', '/tickets/60')).toBe(2);
    expect((await p.read.deadLetters()).items).toHaveLength(0);
  });

  it('a notifier that keeps failing gets its own dead letter; the PSA writes stand', async () => {
    await freshFake();
    fake.addTicket({ id: '61', queue: '1', title: 'ransomware again' });
    fake.fail({ method: 'POST', path: '/notify/managers', status: 500, times: 20 });
    const p = await start();
    await p.pipeline.ingest(event('61'));
    const { items } = await waitFor(async () => {
      const dl = await p.read.deadLetters();
      return dl.items.length > 0 ? dl : undefined;
    });
    expect(items[0]).toMatchObject({
      ticketId: '61',
      error: { code: 'psa_unavailable' },
      actions: [{ type: 'notify', notifier: 'managers' }],
    });
    expect(fake.tickets.get('61')).toMatchObject({ queue: '3', priority: 1 });
    expect(fake.count('POST', '/notify/managers')).toBeGreaterThan(1);
  });

  it('reports instance status: last event, PSA health, rate limit', async () => {
    await freshFake();
    fake.addTicket({ id: '30', queue: '2' });
    const p = await start();
    await p.pipeline.ingest(event('30'));
    await waitFor(async () => (await p.stores.tickets.get(INSTANCE, '30')) !== undefined);
    const [inst] = await p.read.instances();
    expect(inst).toMatchObject({
      id: INSTANCE,
      kind: 'connectwise',
      mode: 'enforce',
      webhook: 'unknown',
      psa: 'ok',
      rateLimit: { requests: 600, perMs: 60_000, pausedUntil: null },
    });
    expect(inst!.lastEventAt).not.toBeNull();
    expect(await p.pipeline.readiness()).toEqual({ redis: true, workers: true });
  });
});
