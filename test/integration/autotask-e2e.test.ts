import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningPipeline } from '../../src/pipeline/pipeline.js';
import { e2ePolicyYaml, loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import { FakeAutotask } from '../helpers/fake-autotask.js';
import type { Json } from '../helpers/fake-autotask.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';

// Issue 6 "Must show": the real service (Fastify app + BullMQ pipeline + real Redis + the real config loader and
// connector registry) against the fake Autotask over real HTTP. Webhooks are written and signed the way Autotask
// writes them (\u-escaped JSON, HMAC-SHA1 over the bytes).

const SECRET = 'at-webhook-secret-e2e-1';
const CONFIG = `${e2ePolicyYaml()}instances:
  - id: globex-at
    kind: autotask
    policy: standard
    connection:
      username: \${AT_USERNAME}
      secret: \${AT_SECRET}
      integrationCode: \${AT_INTEGRATION_CODE}
      zoneUrl: \${AT_ZONE_URL}
    webhook:
      secretKey: \${AT_WEBHOOK_SECRET}
    # Environment from the standard issue / sub-issue type (urgency comes from the priority by default).
    fields:
      environment: { field: [issueType, subIssueType] }
    mapping:
      tiers:
        T1: { queueID: 29682833 }
        T2: [{ queueID: 29682969 }, { queueID: 29683500 }]
        T3: { queueID: 29683484 }
      groups:
        tier2: { queueID: 29682969 }
      priorities: { P1: [4], P2: [1], P3: [2], P4: [3] }
      statuses: { waiting_customer: [7], resolved: [5] }
      members:
        t2.erin: { resourceID: 29684003, roleID: 29683002 }
        t2.frank: { resourceID: 29684004, roleID: 29683002 }
    notes:
      internal: { noteType: 1, publish: 2 }
      customer: { noteType: 1, publish: 1 }
`;

let redis: TestRedis;
let fake: FakeAutotask;
let running: RunningPipeline;
let app: FastifyInstance;
let hookUrl: string;
/** The delivery that escalated ticket 351181 (replayed later). */
let delivered: Json;

const zoneless = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');
const patchesFor = (id: number) => fake.calls('PATCH', /^\/Tickets$/).filter((r) => (r.body as Json).id === id);
const notesFor = (id: number) => fake.calls('POST', new RegExp(`^/Tickets/${id}/Notes$`));

/** A T1 ticket created three hours ago (past the 2-hour limit). */
function t1Ticket(id: number): void {
  const created = Date.now() - 3 * 3_600_000;
  fake.state.addTicket({
    id,
    queueID: 29682833,
    status: 1,
    createDate: zoneless(created),
    lastActivityDate: zoneless(created),
    lastTrackedModificationDateTime: zoneless(created),
  });
}

const send = (payload: Json, options: { secret?: string; signature?: string | null } = {}) =>
  fake.sendWebhook(hookUrl, payload, { secret: SECRET, ...options });

beforeAll(async () => {
  redis = await startRedis();
  fake = await new FakeAutotask().start();
  const env = {
    AT_USERNAME: fake.state.username,
    AT_SECRET: fake.state.secret,
    AT_INTEGRATION_CODE: fake.state.integrationCode,
    AT_ZONE_URL: `${fake.url}/atservicesrest/v1.0`,
    AT_WEBHOOK_SECRET: SECRET,
  };
  const config = loadE2eConfig(CONFIG, 'autotask-e2e.yaml', env);
  let base: string;
  ({ running, app, base } = await startE2eService({
    config,
    redisUrl: redis.url,
    publicUrl: 'https://escalator.msp.example',
  }));
  hookUrl = `${base}/webhooks/globex-at`;
});

afterAll(async () => {
  await app?.close();
  await running?.close();
  await fake?.close();
  await redis?.close();
});

describe('Autotask end to end through the real service', () => {
  it('escalates a T1 ticket past its limit: one PATCH (queue + resource + role), one handoff note; accents and & < > verify', async () => {
    t1Ticket(351181);
    fake.state.addNote(351181, {
      title: 'Phone call',
      description: 'Power-cycled the printer; no change.',
      creatorResourceID: 29684010,
    });
    const payload = fake.payload(351181, { Title: 'Imprimante étage 2 — café & <scanner> "hors ligne"', Status: '1' });
    delivered = payload;
    const ack = await send(payload);
    expect(ack.status).toBe(202);
    expect(ack.body).toEqual({ accepted: true, eventId: expect.stringMatching(/^globex-at:/) });
    await waitFor(() => notesFor(351181).length === 1);
    expect(patchesFor(351181).map((p) => p.body)).toEqual([
      { id: 351181, queueID: 29682969, assignedResourceID: 29684003, assignedResourceRoleID: 29683002 },
    ]);
    const note = notesFor(351181)[0]!.body as Json;
    expect(note).toMatchObject({ ticketID: 351181, noteType: 1, publish: 2 });
    expect(String(note.description)).toMatch(/\[esc:[0-9a-f]{6,}\]/);
    expect(String(note.description)).toContain('Globex Corporation');
    expect(String(note.description)).toContain('Power-cycled the printer');
    expect(fake.state.tickets.get(351181)).toMatchObject({ queueID: 29682969, assignedResourceID: 29684003 });
    const view = await waitFor(async () =>
      (await running.read.ticket('globex-at', '351181'))?.decisions.find((d) => d.results.length > 0),
    );
    expect(view.decision.actions).toContainEqual(
      expect.objectContaining({ type: 'reassign', rule: 't1-timeout', tier: 'T2', owner: 't2.erin' }),
    );
    expect(view.results.filter((r) => r.action === 'reassign' || r.action === 'note').map((r) => r.status)).toEqual([
      'applied',
      'applied',
    ]);
    expect(fake.vendorProblems).toEqual([]);
  });

  it('fills environment and urgency of the handoff note from standard fields (issue/sub-issue type, priority)', async () => {
    t1Ticket(351190);
    Object.assign(fake.state.tickets.get(351190)!, { issueType: 21, subIssueType: 230, priority: 1 });
    fake.state.addNote(351190, {
      title: 'Phone call',
      description: 'Rebooted the firewall; VPN still drops.',
      creatorResourceID: 29684010,
    });
    expect((await send(fake.payload(351190, { Title: 'VPN drops every hour', Status: '1' }))).status).toBe(202);
    await waitFor(() => notesFor(351190).length === 1);
    const text = String((notesFor(351190)[0]!.body as Json).description);
    expect(text).toContain('Environment: Network / Firewall');
    expect(text).toMatch(/Urgency & SLA deadline: .*urgency High/);
    expect(text).not.toContain('MISSING: environment');
  });

  it('writes nothing for a wrong signature, a replayed event or our own echo', async () => {
    t1Ticket(351182);
    const writesBefore = fake.requests.filter((r) => r.method !== 'GET').length;
    const forged = await send(fake.payload(351182), { secret: 'not-our-secret' });
    expect(forged.status).toBe(401);
    expect((await send(fake.payload(351182), { signature: null })).status).toBe(401);
    const echo = await send(fake.payload(351182, {}, { PersonID: fake.state.apiResourceId }));
    expect(echo.status).toBe(202);
    expect(echo.body).toMatchObject({ accepted: true, ignored: 'echo' });
    // Autotask re-sends a delivery it thinks failed: same Guid, Id, SequenceNumber and EventTime.
    const readsBefore = fake.calls('GET', /^\/Tickets\/351181$/).length;
    const replay = await send(delivered);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ accepted: true, duplicate: true });
    await waitForDrained(running);
    expect(patchesFor(351182)).toHaveLength(0);
    // Not even a read: rejected, echoed and duplicate deliveries cost no PSA call.
    expect(fake.calls('GET', /^\/Tickets\/351182$/)).toHaveLength(0);
    expect(fake.calls('GET', /^\/Tickets\/351181$/)).toHaveLength(readsBefore);
    expect(patchesFor(351181)).toHaveLength(1);
    expect(notesFor(351181)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
  });

  it('dead-letters an HTTP 500 business-rule rejection without a retry storm', async () => {
    t1Ticket(351183);
    fake.fail({
      method: 'PATCH',
      path: '/Tickets',
      status: 500,
      body: { errors: ['Role does not exist or is invalid'] },
    });
    expect((await send(fake.payload(351183))).status).toBe(202);
    const dead = await waitFor(async () =>
      (await running.read.deadLetters()).items.find((d) => d.ticketId === '351183'),
    );
    expect(dead.error).toMatchObject({ code: 'validation', message: expect.stringContaining('Role does not exist') });
    await waitForDrained(running);
    expect(patchesFor(351183)).toHaveLength(1);
    expect(notesFor(351183)).toHaveLength(0);
  });

  it('retries a thread-limit rejection and then applies the escalation once', async () => {
    t1Ticket(351184);
    fake.fail({
      method: 'PATCH',
      path: '/Tickets',
      status: 500,
      body: {
        errors: [
          'Itgenatr005 Thread Threshold Exceeded - The Autotask API thread threshold of 3 threads has been exceeded.',
        ],
      },
    });
    expect((await send(fake.payload(351184))).status).toBe(202);
    await waitFor(() => notesFor(351184).length === 1);
    expect(patchesFor(351184)).toHaveLength(2);
    expect(fake.state.tickets.get(351184)).toMatchObject({ queueID: 29682969 });
    expect(fake.vendorProblems).toEqual([]);
  });
});
