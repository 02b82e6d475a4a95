import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { autotask } from '../../connectors/autotask/index.js';
import type { AutotaskSettings } from '../../connectors/autotask/schemas.js';
import type { ConnectorContext, WebhookRequest } from '../../src/contract/index.js';
import {
  AT_WEBHOOK_SECRET,
  atMapping,
  autotaskCtx,
  closeCheckedAutotask,
  startSeededAutotask,
} from '../helpers/autotask-connector.js';
import { testContext } from '../helpers/connector-context.js';
import { FakeAutotask } from '../helpers/fake-autotask.js';

// Webhook registration, reconciliation paging and webhook deliveries as Autotask sends them: the Autotask connector
// against the fake Autotask over real HTTP, through the real outbound client that testContext() builds.

const WEBHOOK_SECRET = AT_WEBHOOK_SECRET;
const makeCtx = autotaskCtx;
const mapping = atMapping;

let fake: FakeAutotask;
let ctx: ConnectorContext<AutotaskSettings>;

beforeEach(async () => {
  fake = await startSeededAutotask();
  ctx = makeCtx(fake.connection());
});
afterEach(() => closeCheckedAutotask(fake));

/** `c` with its cache wrapped: every key it reads is pushed to `reads`. */
function recordingCacheReads(
  c: ConnectorContext<AutotaskSettings>,
  reads: string[],
): ConnectorContext<AutotaskSettings> {
  const inner = c.cache;
  return {
    ...c,
    cache: {
      get: (k) => (reads.push(k), inner.get(k)),
      set: (k, v, ttl) => inner.set(k, v, ttl),
      delete: (k) => inner.delete(k),
    },
  };
}

describe('webhook registration', () => {
  const callback = 'https://esc.msp.example/webhooks/globex-at';

  it('creates one webhook with its trigger fields (one at a time) and our API user excluded', async () => {
    expect(await autotask.webhookState(ctx, callback)).toEqual({ ok: true, value: 'missing' });
    expect(await autotask.registerWebhooks(ctx, callback)).toEqual({
      ok: true,
      value: { created: 1, updated: 0, unchanged: 0, removed: 0 },
    });
    const hooks = [...fake.state.webhooks.values()];
    expect(hooks).toHaveLength(1);
    const hook = hooks[0]!;
    expect(hook).toMatchObject({
      name: 'psa-escalator globex-at',
      webhookUrl: callback,
      deactivationUrl: `${callback}/deactivated`,
      secretKey: WEBHOOK_SECRET,
      isActive: true,
      isSubscribedToCreateEvents: true,
      isSubscribedToUpdateEvents: true,
    });
    const fields = fake.state.webhookFields.get(hook.id as number)!;
    expect(fields.map((f) => f.fieldID).sort((a, b) => Number(a) - Number(b))).toEqual([2, 3, 5, 6, 9]);
    expect(fields.every((f) => f.isSubscribedField === true)).toBe(true);
    expect(fake.maxInFlight.get('POST /ticketwebhooks/{id}/fields')).toBe(1);
    expect(fake.state.excludedResources.get(hook.id as number)).toEqual([
      expect.objectContaining({ resourceID: fake.state.apiResourceId }),
    ]);
    expect(await autotask.webhookState(ctx, callback)).toEqual({ ok: true, value: 'active' });
  });

  it('is idempotent and repairs drift without ever creating a second webhook', async () => {
    await autotask.registerWebhooks(ctx, callback);
    expect(await autotask.registerWebhooks(ctx, callback)).toEqual({
      ok: true,
      value: { created: 0, updated: 0, unchanged: 1, removed: 0 },
    });
    const hook = [...fake.state.webhooks.values()][0]!;
    hook.isActive = false;
    fake.state.webhookFields.set(hook.id as number, fake.state.webhookFields.get(hook.id as number)!.slice(1));
    expect(await autotask.webhookState(ctx, callback)).toEqual({ ok: true, value: 'inactive' });
    expect(await autotask.registerWebhooks(ctx, callback)).toEqual({
      ok: true,
      value: { created: 0, updated: 1, unchanged: 0, removed: 0 },
    });
    expect(fake.state.webhooks.get(hook.id as number)!.isActive).toBe(true);
    expect(fake.state.webhookFields.get(hook.id as number)).toHaveLength(5);
    expect(fake.state.webhooks.size).toBe(1);
  });

  it('removes a duplicate registration and keeps the one pointing at us', async () => {
    await autotask.registerWebhooks(ctx, callback);
    fake.state.webhooks.set(5, {
      id: 5,
      name: 'psa-escalator globex-at',
      webhookUrl: 'https://old.example/hook',
      deactivationUrl: 'https://old.example/d',
      isActive: true,
    });
    const r = await autotask.registerWebhooks(ctx, callback);
    expect(r).toEqual({ ok: true, value: { created: 0, updated: 0, unchanged: 1, removed: 1 } });
    expect([...fake.state.webhooks.keys()]).not.toContain(5);
  });

  it('resolves an ambiguous create by looking again instead of posting a second webhook', async () => {
    fake.fail({ method: 'POST', path: '/TicketWebhooks', status: 503, body: 'unavailable' });
    const r = await autotask.registerWebhooks(ctx, callback);
    expect(r).toMatchObject({ ok: false, error: { code: 'psa_unavailable' } });
    expect(fake.state.webhooks.size).toBe(0);
    expect(await autotask.registerWebhooks(ctx, callback)).toMatchObject({ ok: true, value: { created: 1 } });
    expect(fake.state.webhooks.size).toBe(1);
  });
});

describe('reconciliation', () => {
  it('pages through changed tickets with POSTed nextPageUrl links and reports the high-water mark', async () => {
    fake.state.tickets.clear();
    let newest = '';
    for (let i = 1; i <= 1203; i++) {
      const stamp = `2026-11-24T1${i % 3}:${String(i % 60).padStart(2, '0')}:00.5`;
      if (i % 2 === 0 && stamp > newest) newest = stamp;
      fake.state.addTicket({
        id: 500_000 + i,
        lastTrackedModificationDateTime: i % 2 === 0 ? stamp : '2026-11-20T08:00:00',
        lastActivityDate: '2026-11-20T08:00:00',
      });
    }
    const seen: string[] = [];
    let page: string | undefined;
    let high: string | undefined;
    let pages = 0;
    do {
      const r = await autotask.listChangedSince(ctx, '2026-11-23T00:00:00Z', page);
      if (!r.ok) throw r.error;
      seen.push(...r.value.items.map((i) => i.ticketId));
      if (r.value.highWater && (!high || r.value.highWater > high)) high = r.value.highWater;
      page = r.value.nextPage;
      pages += 1;
    } while (page);
    expect(pages).toBe(2);
    expect(seen).toHaveLength(601);
    expect(new Set(seen).size).toBe(601);
    expect(seen.every((id) => Number(id) % 2 === 0)).toBe(true);
    expect(high).toBe(`${newest}00Z`);
    const queries = fake.requests.filter((r) => /query/i.test(r.path) && /tickets/i.test(r.path));
    expect(queries.map((q) => q.method)).toEqual(['POST', 'POST']);
    expect(queries[1]!.path).toMatch(/\/Tickets\/query\/next$/);
    expect(queries[1]!.body).toEqual(queries[0]!.body);
  });

  it('refuses a page token that points at another host', async () => {
    const evil = Buffer.from(
      JSON.stringify({ u: 'http://169.254.169.254/latest', s: '2026-01-01T00:00:00.000Z' }),
    ).toString('base64url');
    expect(await autotask.listChangedSince(ctx, '2026-01-01T00:00:00Z', evil)).toMatchObject({
      ok: false,
      error: { code: 'denied_url' },
    });
  });
});

describe('webhooks as Autotask sends them', () => {
  let receiver: Server;
  let url: string;
  let got: { verified: boolean; parsed: unknown }[];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const rawBody = Buffer.concat(chunks);
          const headers = Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
          );
          const wr: WebhookRequest = {
            headers,
            rawBody,
            json: JSON.parse(rawBody.toString('utf8')),
            query: {},
            ip: '127.0.0.1',
          };
          const verified = (await autotask.verifyWebhook(ctx, wr)).ok;
          const parsed = verified ? await autotask.parseWebhook(ctx, wr) : undefined;
          got.push({ verified, parsed });
          res.writeHead(verified ? 202 : 401).end();
        })().catch((err: unknown) => res.writeHead(500).end(String(err)));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/globex-at`;
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));
  beforeEach(() => {
    got = [];
  });

  it('verifies a body with accents and & < > escaped the Autotask way, and parses it', async () => {
    const payload = fake.payload(351181, { Title: 'Imprimante café & <scanner> "hors ligne"', Status: '5' });
    const d = await fake.sendWebhook(url, payload, { secret: WEBHOOK_SECRET });
    expect(d.status).toBe(202);
    expect(got[0]).toMatchObject({
      verified: true,
      parsed: { ok: true, value: { ticketId: '351181', action: 'updated', actor: '29684010' } },
    });
  });

  it('refuses a wrong signature and drops our own echo', async () => {
    expect((await fake.sendWebhook(url, fake.payload(351181), { secret: 'not-the-secret' })).status).toBe(401);
    await fake.sendWebhook(url, fake.payload(351181, {}, { PersonID: fake.state.apiResourceId }), {
      secret: WEBHOOK_SECRET,
    });
    expect(got[1]).toMatchObject({ verified: true, parsed: { ok: true, value: { ignore: 'echo' } } });
  });

  it('concurrent first deliveries share one identity lookup; later ones ask neither the PSA nor the shared cache', async () => {
    const reads: string[] = [];
    ctx = recordingCacheReads(ctx, reads);
    const echo = (seq: number) => fake.payload(351181, {}, { SequenceNumber: seq, PersonID: fake.state.apiResourceId });
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => fake.sendWebhook(url, echo(100 + i), { secret: WEBHOOK_SECRET })),
    );
    expect(burst.map((d) => d.status)).toEqual(Array(8).fill(202));
    expect(got.map((g) => g.parsed)).toEqual(
      Array(8).fill({ ok: true, value: expect.objectContaining({ ignore: 'echo' }) }),
    );
    expect(fake.calls('POST', /^\/Resources\/query$/)).toHaveLength(1);
    const readsAfterBurst = reads.length;
    for (let i = 0; i < 5; i++) await fake.sendWebhook(url, echo(200 + i), { secret: WEBHOOK_SECRET });
    expect(got.slice(8).map((g) => g.parsed)).toEqual(
      Array(5).fill({ ok: true, value: expect.objectContaining({ ignore: 'echo' }) }),
    );
    expect(reads.length).toBe(readsAfterBurst);
    expect(fake.calls('POST', /^\/Resources\/query$/)).toHaveLength(1);
  });

  it('does not hold the first deliveries for a slow identity lookup, and uses its answer once it is in', async () => {
    const slow = await new FakeAutotask({ latencyMs: 1_500 }).start();
    try {
      const plain = makeCtx(slow.connection());
      const inner = plain.cache;
      const stored: string[] = [];
      ctx = {
        ...plain,
        cache: {
          get: (k) => inner.get(k),
          set: (k, v, ttl) => (stored.push(k), inner.set(k, v, ttl)),
          delete: (k) => inner.delete(k),
        },
      };
      const echo = (seq: number) =>
        slow.payload(351181, {}, { SequenceNumber: seq, PersonID: slow.state.apiResourceId });
      // The lookup takes 1.5 s: the delivery goes on without the echo check (the worker's guards cover it).
      expect((await slow.sendWebhook(url, echo(1), { secret: WEBHOOK_SECRET })).status).toBe(202);
      expect(got[0]!.parsed).toEqual({
        ok: true,
        value: expect.objectContaining({ ticketId: '351181', action: 'updated' }),
      });
      // Wait for the lookup's answer to be stored (a fixed 2 s was only 0.5 s of margin over the PSA's latency), then
      // a few ms more for the in-process memo, which is updated right after.
      const deadline = Date.now() + 10_000;
      while (!stored.includes('autotask:apiResource:globex-at') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 50));
      expect((await slow.sendWebhook(url, echo(2), { secret: WEBHOOK_SECRET })).status).toBe(202);
      expect(got[1]!.parsed).toEqual({ ok: true, value: expect.objectContaining({ ignore: 'echo' }) });
      expect(slow.calls('POST', /^\/Resources\/query$/)).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('refreshes a stale identity once, in the background, while deliveries keep the last answer', async () => {
    let now = Date.parse('2026-11-24T10:00:00Z');
    ctx = testContext({
      connector: autotask,
      instance: { id: 'globex-at', mapping },
      settings: {
        connection: fake.connection(),
        webhook: { secretKey: WEBHOOK_SECRET },
        notes: { internal: { noteType: 1, publish: 2 } },
        mapping,
      },
      now: () => new Date(now),
    });
    const reads: string[] = [];
    ctx = recordingCacheReads(ctx, reads);
    const echo = (seq: number) => fake.payload(351181, {}, { SequenceNumber: seq, PersonID: fake.state.apiResourceId });
    await fake.sendWebhook(url, echo(1), { secret: WEBHOOK_SECRET });
    const firstLookup = reads.length;
    await fake.sendWebhook(url, echo(2), { secret: WEBHOOK_SECRET });
    expect(reads).toHaveLength(firstLookup);
    now += 61_000;
    await Promise.all([3, 4, 5].map((seq) => fake.sendWebhook(url, echo(seq), { secret: WEBHOOK_SECRET })));
    expect(got.map((g) => g.parsed)).toEqual(
      Array(5).fill({ ok: true, value: expect.objectContaining({ ignore: 'echo' }) }),
    );
    // One refresh for the three concurrent deliveries: the same reads as the first lookup, once. It runs in the
    // background: wait for it rather than assume 100 ms is enough, then check that no second one follows.
    const deadline = Date.now() + 10_000;
    while (reads.length < 2 * firstLookup && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(reads).toHaveLength(2 * firstLookup);
    // The shared cache still holds the answer (a day), so the refresh reads it and asks the PSA nothing.
    expect(fake.calls('POST', /^\/Resources\/query$/)).toHaveLength(1);
  });

  it('still accepts deliveries when the identity lookup fails, and does not repeat it for every delivery', async () => {
    fake.fail({ method: 'POST', path: '/Resources/query', status: 503, body: 'down', times: 10 });
    for (let i = 0; i < 3; i++)
      expect((await fake.sendWebhook(url, fake.payload(351181), { secret: WEBHOOK_SECRET })).status).toBe(202);
    expect(got.map((g) => g.parsed)).toEqual(
      [0, 1, 2].map(() => ({ ok: true, value: expect.objectContaining({ ticketId: '351181', action: 'updated' }) })),
    );
    expect(fake.calls('POST', /^\/Resources\/query$/)).toHaveLength(1);
  });
});
