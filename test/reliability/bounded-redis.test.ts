import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reconcile } from '../../src/pipeline/schedule/reconcile.js';
import { createKeys } from '../../src/store/keys.js';
import { RedisSharedCache } from '../../src/store/shared-cache.js';
import { countKeys, pool, startInstantPipeline } from '../helpers/instant-pipeline.js';
import type { InstantPipeline } from '../helpers/instant-pipeline.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { INSTANCE, quietLog, startTestPipeline, testConfig, waitFor } from '../helpers/test-pipeline.js';
import { waitForDrained } from '../helpers/wait.js';
import { FakePsa } from '../helpers/test-psa.js';

/**
 * "Run for a year without growing" (docs/redis-keys.md): every key family has a bound — a TTL, a trimmed/capped
 * collection, or removal when the ticket closes — and records of closed tickets expire after `retention.tickets`.
 * Retention is scaled to seconds here; the bounds are the same code paths as with the 30-day default.
 */

const keys = createKeys();
/** Long enough that a loaded machine still sees the TTL right after the close, short enough to wait out. */
const TICKETS_MS = 4_000;
const DAY = 86_400_000;
/** A `recurring` rule, so the per-company recurring windows are exercised too. */
const repeatRule = {
  id: 'repeat',
  kind: 'functional',
  when: { recurring: { count: 3, within: '1h', same: ['company'] } },
  then: { tag: 'repeat' },
};
/** A note without a move: the ticket stays in its tier visit, so only the tier-visit guard (or the marker) stops a repeat. */
const outageRule = { id: 'outage-note', kind: 'functional', when: { text: ['outage'] }, then: { note: 'internal' } };

async function allKeys(redis: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1_000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== '0');
  return out.sort();
}

describe('bounded Redis: every key family through the real pipeline', () => {
  let redis: TestRedis;
  let fake: FakePsa;
  let p: Awaited<ReturnType<typeof startTestPipeline>>;
  let client: Redis;
  let seq = 0;
  const event = (ticketId: string) => ({
    instanceId: INSTANCE,
    event: { eventId: `br-${++seq}`, ticketId, action: 'updated' as const },
    receivedAt: Date.now(),
    requestId: `br-${seq}`,
  });
  /**
   * The record once an evaluation that read the ticket's current PSA version finished (no pending write left). By
   * version, not by time: a sweep may evaluate the same ticket from an older read in between.
   */
  const evaluatedAt = (ticketId: string) => {
    const version = fake.tickets.get(ticketId)!.updatedAt;
    return waitFor(async () => {
      const r = await p.stores.tickets.get(INSTANCE, ticketId);
      return r && !r.pending && r.lastEvaluatedAt && r.version === version ? r : undefined;
    }, 20_000);
  };
  const closeTicket = async (id: string) => {
    fake.update(id, { status: 'closed' });
    await p.pipeline.ingest(event(id));
    return evaluatedAt(id);
  };

  beforeAll(async () => {
    redis = await startRedis();
    fake = new FakePsa();
    await fake.start();
    const config = testConfig({
      psaUrl: fake.url,
      retention: { ticketsMs: TICKETS_MS },
      extraRules: [repeatRule, outageRule],
    });
    p = await startTestPipeline({ redisUrl: redis.url, config, debounceMs: 20 });
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await p?.close();
    await fake?.stop();
    await redis?.close();
  });

  it('esc:t — an open ticket keeps its record; a closed one expires after retention.tickets', async () => {
    fake.addTicket({ id: 'br1', title: 'Printer offline' });
    await p.pipeline.ingest(event('br1'));
    await evaluatedAt('br1');
    expect(await client.pttl(keys.ticket(INSTANCE, 'br1')), 'TTL of the open ticket').toBe(-1);

    const closed = await closeTicket('br1');
    const ttl = await client.pttl(keys.ticket(INSTANCE, 'br1'));
    expect(closed.statusCategory).toBe('closed');
    expect(ttl, 'TTL of the closed ticket').toBeGreaterThan(0);
    expect(ttl, 'TTL of the closed ticket').toBeLessThanOrEqual(TICKETS_MS);
    // Closed: no scheduled check, not counted in any member's load — once the job that stored the record has finished
    // (it removes the check right after writing the record).
    await waitForDrained(p, 20_000, 'the close of br1 to finish');
    expect(await client.zscore(keys.schedule(), `${INSTANCE}\nbr1`)).toBeNull();
    expect(await client.hget(keys.ticketOwners(INSTANCE), 'br1')).toBeNull();
    await waitFor(async () => (await client.exists(keys.ticket(INSTANCE, 'br1'))) === 0, 15_000);
  });

  it('esc:t — a ticket reopened after its record expired is rebuilt from the PSA and posts no second note', async () => {
    fake.addTicket({ id: 'br2', title: 'Site outage at HQ' });
    await p.pipeline.ingest(event('br2'));
    await waitFor(() => fake.tickets.get('br2')!.notes.length === 1, 20_000);
    await evaluatedAt('br2');

    await closeTicket('br2');
    await waitFor(async () => (await client.exists(keys.ticket(INSTANCE, 'br2'))) === 0, 15_000);

    // Reopened a while later: no state left, the rule's tier-visit guard went with it and the rule matches again.
    // Its note is already in the PSA: the write looks for the marker first, so it is not posted a second time.
    fake.update('br2', { status: 'open' });
    await p.pipeline.ingest(event('br2'));
    const record = await evaluatedAt('br2');
    expect(record.statusCategory).toBe('open');
    expect(record.lastDecision?.actions.map((a) => `${a.rule}:${a.type}`)).toContain('outage-note:note');
    expect(await client.pttl(keys.ticket(INSTANCE, 'br2'))).toBe(-1);
    expect(fake.count('POST', '/tickets/br2/notes')).toBe(1);
    expect(fake.tickets.get('br2')!.notes).toHaveLength(1);
  });

  it('esc:t — state lost for an open ticket: the rebuilt state verifies markers and posts no second note', async () => {
    fake.addTicket({ id: 'br3', title: 'Outage of the VPN' });
    await p.pipeline.ingest(event('br3'));
    await waitFor(() => fake.tickets.get('br3')!.notes.length === 1, 20_000);
    await evaluatedAt('br3');
    await client.del(keys.ticket(INSTANCE, 'br3'));

    fake.update('br3', { description: 'customer added details' });
    await p.pipeline.ingest(event('br3'));
    const record = await evaluatedAt('br3');
    expect(record.lastDecision?.actions.map((a) => `${a.rule}:${a.type}`)).toContain('outage-note:note');
    expect(fake.count('POST', '/tickets/br3/notes')).toBe(1);
  });

  it('esc:rec-t — recurring windows expire with their window', async () => {
    const recurring = (await allKeys(client)).filter((k) => k.startsWith(`${keys.prefix}:rec-t:`));
    expect(recurring.length).toBeGreaterThan(0);
    for (const k of recurring) {
      const ttl = await client.pttl(k);
      expect(ttl, k).toBeGreaterThan(0);
      expect(ttl, k).toBeLessThanOrEqual(3_600_000 + DAY);
    }
  });

  it('esc:dl:ix, esc:mx:ix — indexes expire with the entries they index', async () => {
    await p.stores.deadLetters.add({
      instanceId: INSTANCE,
      ticketId: 'br1',
      kind: 'evaluation',
      actions: [],
      error: { code: 'internal', message: 'x' },
    });
    expect(await client.pttl(keys.deadLetterIndex())).toBeGreaterThan(0);
    expect(await client.pttl(keys.metricsHistoryIndex(INSTANCE))).toBeGreaterThan(0);
  });

  it('every key left after the lifecycles has a TTL, or is one of the per-instance/per-config singletons', async () => {
    await new RedisSharedCache(client, keys, INSTANCE).set('lookup', { a: 1 }, 60_000);
    // The families without a TTL, each bounded by the configuration, not by traffic (docs/redis-keys.md).
    const singletons = [
      /^esc:schedule$/,
      /^esc:inst:[^:]+$/,
      /^esc:rec:[^:]+:cursor$/,
      /^esc:gc:[^:]+$/,
      /^esc:own:[^:]+$/,
      /^esc:load:[^:]+$/,
      // Open tickets (br2, br3 are open again): bounded by the PSA's open tickets.
      /^esc:t:acme:br[23]$/,
      // BullMQ: job hashes and their lists are removed on completion (removeOnComplete/removeOnFail age+count),
      // its event stream is capped (maxLenEvents), the rest are one per queue; dedupe keys are checked below.
      /^bull:(events|tickets|control):(?!de:)/,
      // One heartbeat queue and one registry entry per live worker process (removed when it closes; after 10 silent
      // minutes by the next process to start): bounded by the number of processes.
      /^bull:hb-[0-9a-f-]+:(events|id|meta|stalled-check|wait|active|completed|failed|delayed|marker|pc|paused|prioritized)$/,
      /^esc:hb:procs$/,
    ];
    const unbounded: string[] = [];
    for (const k of await allKeys(client)) {
      if ((await client.pttl(k)) !== -1) continue;
      if (!singletons.some((re) => re.test(k))) unbounded.push(k);
    }
    expect(unbounded).toEqual([]);
  });

  it('esc:rec:<instance>:page — a sweep over its page budget keeps its resume token with a TTL', async () => {
    // 120 changed tickets, 50 per page; a 1 s interval on 600 requests/min allows 2 pages: the sweep stops resumable.
    for (let i = 0; i < 120; i++) fake.addTicket({ id: `rp${i}` });
    const rt = p.runtimes.get(INSTANCE)!;
    const short = { ...rt, loaded: { ...rt.loaded, reconcileEveryMs: 1_000 } };
    const deps = {
      redis: p.redis,
      keys,
      tickets: p.stores.tickets,
      instances: p.stores.instances,
      kick: async () => undefined,
      log: quietLog(),
      now: Date.now,
    };
    expect(await reconcile(deps, short)).toMatchObject({ kind: 'done', complete: false });
    const ttl = await client.pttl(keys.reconcilePage(INSTANCE));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(DAY);
  });
});

describe('bounded Redis: 20,000 tickets created and closed', () => {
  let redis: TestRedis;
  let h: InstantPipeline;

  beforeAll(async () => {
    redis = await startRedis();
    // Every retention scaled to seconds: tickets, audit trail (and the metrics histories that follow it), dead letters.
    h = await startInstantPipeline(redis.url, {
      retention: { ticketsMs: 2_000, auditMs: 3_000, deadLettersMs: 3_000 },
      extraRules: [repeatRule],
    });
  });
  afterAll(async () => {
    await h?.close();
    await redis?.close();
  });

  /**
   * Through the pipeline's ticket processor (`processTicket`, the body of a `tickets` job: fetch, state, counters,
   * engine, audit, write-back, schedule, metrics history) with an in-process PSA that answers at once. The webhook
   * route and the BullMQ hop add no key that outlives the job (their dedupe keys are checked in the suite above) and
   * would cost ~40,000 job round trips; without them 20,000 lifecycles take ~25 s of CPU (measured: 58 s of wall time
   * at a load average of 17 on the 2-core build machine).
   */
  it('the ticket-key count returns to zero after retention.tickets', async () => {
    const N = 20_000;
    const ids = Array.from({ length: N }, (_, i) => `b${i}`);
    const created = new Date().toISOString();
    for (const [i, id] of ids.entries()) {
      h.psa.set(id, {
        id,
        title: i % 10 === 0 ? `Ransomware alert ${i}` : `Ticket ${i}`,
        status: 'open',
        priority: 3,
        queue: '1',
        owner: null,
        company: `c${i % 50}`,
        category: [],
        createdAt: created,
        updatedAt: created,
        notes: [],
      });
    }
    await pool(ids, 64, async (id) => {
      expect((await h.evaluate(id)).kind).toBe('evaluated');
      const t = h.psa.get(id)!;
      t.status = 'closed';
      t.updatedAt = new Date(Date.parse(t.updatedAt) + 1).toISOString();
      expect((await h.evaluate(id)).kind).toBe('evaluated');
    });
    const afterRun = await countKeys(h.redis, `${keys.prefix}:t:*`);
    // Escalations happened (so audit entries, notes and histories were written) and nothing is left scheduled.
    expect([...h.psa.values()].filter((t) => t.queue === '3')).toHaveLength(N / 10);
    expect(await h.redis.zcard(keys.schedule())).toBe(0);
    expect(await h.redis.hlen(keys.ticketOwners(INSTANCE))).toBe(0);

    await waitFor(async () => (await countKeys(h.redis, `${keys.prefix}:t:*`)) === 0, 30_000, 250).catch(async () => {
      throw new Error(
        `ticket keys left: ${await countKeys(h.redis, `${keys.prefix}:t:*`)} (${afterRun} right after the run)`,
      );
    });
    // The per-ticket families of the audit trail and metrics history follow their own (scaled) retention.
    await waitFor(
      async () =>
        (await countKeys(h.redis, `${keys.prefix}:*:t:*`)) + (await countKeys(h.redis, `${keys.prefix}:audit:e:*`)) ===
        0,
      30_000,
      250,
    );
    // What is left is per instance, per company signature or per config: a handful of keys, not 20,000.
    expect(await h.redis.dbsize()).toBeLessThan(100);
    // The bound only catches a hang: ~25 s of CPU took 120+ s of wall time with two integration files at a time at a
    // load average of 15–20 on the 2-core machine.
  }, 300_000);
});
