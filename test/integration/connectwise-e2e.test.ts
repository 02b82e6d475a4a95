import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callbackModel, noteModel, validate, validateTicketPatch } from '../helpers/vendor-schemas/connectwise.js';
import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { ADMIN_TOKEN } from '../helpers/build.js';
import { e2ePolicyYaml, loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import { cwEnv, cwT1Ticket, FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';
import { connectwiseInstanceYaml } from '../helpers/instance-yaml.js';

// Issue 5 "Must show": the real service (Fastify app + BullMQ pipeline + real Redis + the real config loader and
// connector registry) against the fake ConnectWise over real HTTP: signed callbacks in (key fetched from the
// allow-listed key_url), one JSON-Patch + one internal handoff note out; duplicates, bursts and our own echoes write
// nothing more; bad signatures and hostile key URLs are refused without a write; a 429 with Retry-After is waited out.

const CONFIG = `${e2ePolicyYaml()}instances:
${connectwiseInstanceYaml({
  id: 'acme-cw',
  keyUrlHosts: ['na.myconnectwise.net', '${CW_ORIGIN}'],
  statuses: { waiting_customer: ['Waiting Customer'], closed: ['Closed'] },
})}`;

let redis: TestRedis;
let fake: FakeConnectWise;
let running: RunningPipeline;
let app: FastifyInstance;
let base: string;

const patchesFor = (id: number) => fake.apiRequests('PATCH', new RegExp(`/service/tickets/${id}$`));
const notesPostedFor = (id: number) => fake.apiRequests('POST', new RegExp(`/service/tickets/${id}/notes$`));
const writesFor = (id: number) => fake.writes().filter((r) => r.path.includes(`/service/tickets/${id}`));

/** A T1 ticket entered three hours ago (past the 2-hour limit) with a technician's note. */
const t1Ticket = (id: number): void => cwT1Ticket(fake, id);

async function deliver(
  body: string,
  signature = fake.sign(body),
): Promise<{ status: number; body: Record<string, unknown> }> {
  const id = (JSON.parse(body) as { ID: number }).ID;
  const res = await fetch(`${base}/webhooks/acme-cw?recordId=${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-content-signature': signature },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  redis = await startRedis();
  fake = seedConnectWise(await new FakeConnectWise().start());
  const config = loadE2eConfig(CONFIG, 'connectwise-e2e.yaml', cwEnv(fake));
  ({ running, app, base } = await startE2eService({ config, redisUrl: redis.url }));
});

afterAll(async () => {
  // Every body the service sent must conform to the vendor's published request schema.
  for (const r of fake?.writes() ?? []) {
    if (r.method === 'PATCH') expect(validateTicketPatch(r.body), r.path).toEqual([]);
    if (r.method === 'POST' && r.path.endsWith('/notes')) expect(validate(noteModel, r.body), r.path).toEqual([]);
    if (r.path.includes('/system/callbacks') && r.method !== 'DELETE')
      expect(validate(callbackModel, r.body), r.path).toEqual([]);
  }
  await app?.close();
  await running?.close();
  await fake?.close();
  await redis?.close();
});

describe('ConnectWise end to end through the real service', () => {
  it('registers exactly one callback through the admin API (create, then unchanged)', async () => {
    const call = () =>
      fetch(`${base}/api/instances/acme-cw/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
    const first = await call();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ created: 1, updated: 0, unchanged: 0, removed: 0 });
    expect(await (await call()).json()).toEqual({ created: 0, updated: 0, unchanged: 1, removed: 0 });
    expect(fake.callbacks).toEqual([
      expect.objectContaining({
        url: `${base}/webhooks/acme-cw?recordId=`,
        type: 'ticket',
        level: 'owner',
        objectId: 1,
        inactiveFlag: false,
      }),
    ]);
  });

  it('escalates a T1 ticket past 2 h: one PATCH (board/status/team/owner), one internal handoff note; echoes and duplicates write nothing', async () => {
    t1Ticket(1001);
    fake.deliverCallbacks = true; // ConnectWise calls us back for our own writes (MemberId = our API member)
    const body = fake.callbackBody(1001, { messageId: 'msg-1001' });
    expect(await deliver(body)).toEqual({ status: 202, body: { accepted: true, eventId: 'acme-cw:msg-1001' } });
    await waitFor(() => notesPostedFor(1001).length === 1);
    expect(patchesFor(1001).map((r) => r.body)).toEqual([
      [
        { op: 'replace', path: 'board', value: { id: 5 } },
        { op: 'replace', path: 'status', value: { id: 51 } },
        { op: 'replace', path: 'team', value: { id: 9 } },
        { op: 'replace', path: 'owner', value: { identifier: 'erin.t' } },
      ],
    ]);
    const note = notesPostedFor(1001)[0]!.body as Record<string, unknown>;
    expect(note).toMatchObject({
      internalAnalysisFlag: true,
      detailDescriptionFlag: false,
      processNotifications: false,
    });
    expect(String(note['text'])).toMatch(/\[esc:[0-9a-f]{6,}\]/);
    expect(String(note['text'])).toContain('HQ Corp');
    expect(String(note['text'])).toContain('Recreated the mail profile');
    expect(fake.tickets.get(1001)).toMatchObject({
      board: { id: 5 },
      team: { id: 9 },
      owner: { identifier: 'erin.t' },
      status: { id: 51 },
    });
    // The echoes of the PATCH and of the note come back signed; both are acknowledged as echoes.
    await waitFor(() => fake.deliveries.length >= 2);
    fake.deliverCallbacks = false;
    expect(fake.deliveries.map((d) => d.status)).toEqual([202, 202]);
    for (const d of fake.deliveries) expect(JSON.parse(d.answer)).toMatchObject({ accepted: true, ignored: 'echo' });
    // The same delivery again (ConnectWise retries on 404/409/419/429) is a duplicate.
    expect(await deliver(body)).toEqual({
      status: 202,
      body: { accepted: true, eventId: 'acme-cw:msg-1001', duplicate: true },
    });
    await waitForDrained(running);
    expect(writesFor(1001)).toHaveLength(2);
    const view = await waitFor(async () =>
      (await running.read.ticket('acme-cw', '1001'))?.decisions.find((d) => d.results.length > 0),
    );
    expect(view.results.filter((r) => r.action === 'reassign' || r.action === 'note').map((r) => r.status)).toEqual([
      'applied',
      'applied',
    ]);
  });

  it("lists the ticket's configurations (GET /service/tickets/{id}/configurations) as affected systems in the handoff note", async () => {
    t1Ticket(1010);
    fake.configurations.set(1010, [
      { id: 71, deviceIdentifier: 'PC-JDOE-01' },
      { id: 72, deviceIdentifier: 'FW-HQ-01' },
    ]);
    expect((await deliver(fake.callbackBody(1010, { messageId: 'msg-1010' }))).status).toBe(202);
    await waitFor(() => notesPostedFor(1010).length === 1);
    const text = String((notesPostedFor(1010)[0]!.body as Record<string, unknown>)['text']);
    expect(text).toContain('Affected systems & users impacted: PC-JDOE-01, FW-HQ-01');
    expect(fake.apiRequests('GET', /\/service\/tickets\/1010\/configurations$/).length).toBeGreaterThanOrEqual(1);
  });

  it('collapses a burst of 5 callbacks for one ticket into one PATCH and one note', async () => {
    t1Ticket(1002);
    const acks = await Promise.all(Array.from({ length: 5 }, () => deliver(fake.callbackBody(1002))));
    expect(acks.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    await waitFor(() => notesPostedFor(1002).length === 1);
    await waitForDrained(running);
    expect(patchesFor(1002)).toHaveLength(1);
    expect(notesPostedFor(1002)).toHaveLength(1);
  });

  it('ignores a callback for our own change (echo) without reading or writing', async () => {
    t1Ticket(1003);
    const before = fake.requests.filter((r) => r.path.includes('/service/tickets/1003')).length;
    const ack = await deliver(fake.callbackBody(1003, { memberId: 'Escalator-API' }));
    expect(ack).toEqual({
      status: 202,
      body: { accepted: true, eventId: expect.stringMatching(/^acme-cw:/), ignored: 'echo' },
    });
    await waitForDrained(running);
    expect(fake.requests.filter((r) => r.path.includes('/service/tickets/1003')).length).toBe(before);
  });

  it('refuses a bad signature, a key_url on a foreign host and a redirecting key_url, without any write', async () => {
    t1Ticket(1004);
    const writesBefore = fake.writes().length;
    const body = fake.callbackBody(1004);
    expect((await deliver(body, fake.sign(body, 'not-the-key'))).status).toBe(401);
    expect((await deliver(body, fake.sign(`${body} `))).status).toBe(401);
    const requestsBefore = fake.requests.length;
    const foreign = fake.callbackBody(1004, {
      keyUrl: 'https://attacker.example/v2025_1//system/callbackkey/index.rails?companyName=acme&id=x',
    });
    expect((await deliver(foreign)).status).toBe(401);
    expect(fake.requests.length).toBe(requestsBefore); // the foreign key URL was never fetched, nothing else either
    const redirecting = fake.callbackBody(1004, { keyUrl: `${fake.keyUrl}&v=2` });
    fake.script(
      { path: /callbackkey/ },
      { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } },
    );
    const refused = await deliver(redirecting);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'key_unavailable' } });
    await waitForDrained(running);
    expect(fake.writes().length).toBe(writesBefore);
    expect(writesFor(1004)).toHaveLength(0);
  });

  it('waits out a 429 with Retry-After: 2 on the PATCH and then writes once', async () => {
    t1Ticket(1005);
    fake.script(
      { method: 'PATCH', path: '/service/tickets/1005' },
      {
        status: 429,
        headers: { 'retry-after': '2' },
        body: { error: 'ConnectWiseAPI', message: 'Too many requests. Please try again in 2 seconds.' },
      },
    );
    expect((await deliver(fake.callbackBody(1005, { messageId: randomUUID() }))).status).toBe(202);
    await waitFor(() => notesPostedFor(1005).length === 1, 25_000);
    const [throttled, applied] = patchesFor(1005);
    expect(applied!.at - throttled!.at).toBeGreaterThanOrEqual(1_900);
    expect(patchesFor(1005)).toHaveLength(2);
    expect(fake.tickets.get(1005)).toMatchObject({ board: { id: 5 }, team: { id: 9 } });
    expect(notesPostedFor(1005)).toHaveLength(1);
  });
});
