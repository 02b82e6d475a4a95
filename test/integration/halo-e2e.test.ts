import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { e2ePolicyYaml, loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import { startFakeHalo } from '../helpers/fake-halo.js';
import type { FakeHalo, Json } from '../helpers/fake-halo.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';
import { haloInstanceYaml } from '../helpers/instance-yaml.js';

// Issue 7 "Must show": the real service (Fastify app + BullMQ pipeline + real Redis + the real config loader and
// connector registry) against the fake Halo over real HTTP: Basic-auth webhooks in, one ticket POST carrying the id
// and one private action out; 401 without a write; an expired token refreshed once; our echo ignored; a 429 waited out.

const HOOK_PASSWORD = 'halo-hook-password-e2e';
const CONFIG = `${e2ePolicyYaml()}instances:
${haloInstanceYaml({
  id: 'initech-halo',
  tiers: {
    T1: { team: '1st Line Support' },
    T2: [{ team: '2nd Line Support' }, { team: 'Network' }],
    T3: { team: '3rd Line Support' },
  },
  statuses: { waiting_customer: ['Waiting on Customer'], resolved: ['Resolved'], closed: ['Closed'] },
})}`;

let redis: TestRedis;
let fake: FakeHalo;
let running: RunningPipeline;
let app: FastifyInstance;
let hookUrl: string;

const zoneless = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
const updatesFor = (id: number) =>
  fake.requestsTo('POST', '/api/Tickets').filter((r) => (r.body as Json[]).some((b) => b.id === id));
const notesFor = (id: number) =>
  fake.requestsTo('POST', '/api/Actions').filter((r) => (r.body as Json[]).some((b) => b.ticket_id === id));
const writes = () => fake.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/')).length;

/** A T1 ticket opened three hours ago (past the 2-hour limit), unassigned, with one technician note. */
function t1Ticket(id: number): void {
  const opened = zoneless(Date.now() - 3 * 3_600_000);
  fake.addT1Ticket(id, opened, {
    summary: `Outlook prompts for password (${id})`,
    details: 'Prompts every few minutes since this morning.',
    user_email: 'peter@initech.example',
  });
  fake.addTechNote(id, opened, 'Reset the password; prompts came back.');
}

/** A "small object" delivery as Halo sends it (top-level `id` is the delivery GUID, `object_id` the ticket). */
const payload = (id: number, agentId = 5): Json => ({
  id: randomUUID(),
  webhook_id: randomUUID(),
  notification_id: 41,
  escmsg_id: randomUUID(),
  event: 'New Ticket Logged',
  object_id: id,
  agent_id: agentId,
  timestamp: new Date().toISOString(),
  ticket: { id, status_id: 2, agent_id: 1 },
});

async function send(
  body: Json,
  auth: string | null = `escalator:${HOOK_PASSWORD}`,
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth !== null) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  const res = await fetch(hookUrl, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Json };
}

beforeAll(async () => {
  redis = await startRedis();
  fake = await startFakeHalo();
  const env = {
    HALO_URL: fake.origin,
    HALO_CLIENT_ID: 'client-id',
    HALO_CLIENT_SECRET: 'client-secret',
    HALO_WEBHOOK_PASSWORD: HOOK_PASSWORD,
  };
  const config = loadE2eConfig(CONFIG, 'halo-e2e.yaml', env);
  let base: string;
  ({ running, app, base } = await startE2eService({
    config,
    redisUrl: redis.url,
    publicUrl: 'https://escalator.msp.example',
  }));
  hookUrl = `${base}/webhooks/initech-halo`;
  // Halo's side of the registration: deliveries to us with Basic auth (used for the echoes of our writes).
  fake.webhooks.push({
    id: randomUUID(),
    name: 'psa-escalator (initech-halo)',
    type: 0,
    url: hookUrl,
    active: true,
    authentication_type: 1,
    basic_username: 'escalator',
    basic_password: HOOK_PASSWORD,
  });
});

afterAll(async () => {
  await app?.close();
  await running?.close();
  await fake?.close();
  await redis?.close();
});

describe('HaloPSA end to end through the real service', () => {
  it('escalates a T1 ticket past 2 h: one POST /api/Tickets carrying the id (never a create), one private handoff action; the echo writes nothing', async () => {
    t1Ticket(5001);
    fake.emitOnWrite = true;
    const ack = await send(payload(5001));
    expect(ack).toEqual({ status: 202, body: { accepted: true, eventId: expect.stringMatching(/^initech-halo:/) } });
    await waitFor(() => notesFor(5001).length === 1);
    expect(updatesFor(5001).map((r) => r.body)).toEqual([[{ id: 5001, team: '2nd Line Support', agent_id: 12 }]]);
    expect(fake.created).toEqual([]);
    const note = (notesFor(5001)[0]!.body as Json[])[0]!;
    expect(note).toMatchObject({ ticket_id: 5001, outcome: 'Private Note', hiddenfromuser: true, sendemail: false });
    expect(String(note.note)).toMatch(/\[esc:[0-9a-f]{6,}\]/);
    expect(String(note.note)).toContain('Initech Ltd');
    expect(String(note.note)).toContain('Reset the password');
    expect(fake.tickets.get(5001)).toMatchObject({ team: '2nd Line Support', agent_id: 12 });
    // Halo fires "Ticket Updated" and "Action Added" for our own writes: both acknowledged as echoes.
    await waitFor(() => fake.deliveries.length >= 2);
    fake.emitOnWrite = false;
    for (const d of fake.deliveries) {
      expect(d.status).toBe(202);
      expect(JSON.parse(d.answer)).toMatchObject({ accepted: true, ignored: 'echo' });
    }
    await waitForDrained(running);
    expect(updatesFor(5001)).toHaveLength(1);
    expect(notesFor(5001)).toHaveLength(1);
    const view = await waitFor(async () =>
      (await running.read.ticket('initech-halo', '5001'))?.decisions.find((d) => d.results.length > 0),
    );
    expect(view.results.filter((r) => r.action === 'reassign' || r.action === 'note').map((r) => r.status)).toEqual([
      'applied',
      'applied',
    ]);
  });

  it('answers 401 to missing or wrong Basic auth and touches nothing in Halo', async () => {
    t1Ticket(5002);
    const before = fake.requests.length;
    expect((await send(payload(5002), null)).status).toBe(401);
    expect((await send(payload(5002), `escalator:${HOOK_PASSWORD}x`)).status).toBe(401);
    expect((await send(payload(5002), `admin:${HOOK_PASSWORD}`)).status).toBe(401);
    await waitForDrained(running);
    expect(fake.requests.length).toBe(before); // not even a read
    expect(updatesFor(5002)).toHaveLength(0);
  });

  it('refreshes an expired token once and completes the escalation', async () => {
    t1Ticket(5003);
    const issued = fake.tokensIssued;
    fake.expireTokens();
    expect((await send(payload(5003))).status).toBe(202);
    await waitFor(() => notesFor(5003).length === 1);
    expect(fake.tokensIssued).toBe(issued + 1);
    expect(updatesFor(5003)).toHaveLength(1);
  });

  it('waits out a 429 on the ticket update and writes exactly once', async () => {
    t1Ticket(5004);
    const before = writes();
    fake.fail({
      method: 'POST',
      path: '/api/Tickets',
      status: 429,
      headers: { 'retry-after': '1' },
      body: 'Rate Limit Reached - 300 Requests per rolling 5 minute window',
    });
    expect((await send(payload(5004))).status).toBe(202);
    await waitFor(() => notesFor(5004).length === 1, 20_000);
    const attempts = fake.requestsTo('POST', '/api/Tickets').slice(-2);
    expect(attempts.map((r) => (r.body as Json[])[0]!.id)).toEqual([5004, 5004]); // the 429'd one and the retry
    expect(updatesFor(5004)).toHaveLength(2);
    expect(fake.tickets.get(5004)).toMatchObject({ team: '2nd Line Support' });
    expect(notesFor(5004)).toHaveLength(1);
    expect(writes() - before).toBe(3);
    expect(fake.created).toEqual([]);
    expect(fake.vendorProblems).toEqual([]);
  });
});
