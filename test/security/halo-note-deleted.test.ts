import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { e2ePolicyYaml, loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import type { E2eService } from '../helpers/e2e-service.js';
import { startFakeHalo } from '../helpers/fake-halo.js';
import type { FakeHalo, Json } from '../helpers/fake-halo.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { storedTicket, waitForManualMoveToT1 } from '../helpers/ticket-record.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';
import { haloInstanceYaml } from '../helpers/instance-yaml.js';

// Issue 12 item 2, Halo side: Halo names its events freely, and any name containing "delet"/"remov" reads as a
// delete — "Note Deleted" included. Such an event must not wipe the ticket's state: the ticket is re-fetched and,
// being alive, evaluated as an update.

const HOOK_PASSWORD = 'halo-hook-password-security';
const CONFIG = `${e2ePolicyYaml()}instances:
${haloInstanceYaml({
  id: 'initech-halo',
  connection: { clientId: 'client-id', clientSecret: 'client-secret' },
  password: HOOK_PASSWORD,
  tiers: { T1: { team: '1st Line Support' }, T2: { team: '2nd Line Support' } },
})}`;

let redis: TestRedis;
let client: Redis;
let fake: FakeHalo;
let service: E2eService;

const zoneless = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
const updatesFor = (id: number) =>
  fake.requestsTo('POST', '/api/Tickets').filter((r) => (r.body as Json[]).some((b) => b.id === id));
const ourNotes = (id: number) => fake.actions.filter((a) => a.ticket_id === id && a.who_agentid === fake.apiAgentId);
const stored = (id: number) => storedTicket(client, 'initech-halo', id);

async function send(id: number, event: string): Promise<number> {
  const body = {
    id: randomUUID(),
    escmsg_id: randomUUID(),
    event,
    object_id: id,
    agent_id: 5,
    timestamp: new Date().toISOString(),
  };
  const res = await fetch(`${service.base}/webhooks/initech-halo`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`escalator:${HOOK_PASSWORD}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  redis = await startRedis();
  fake = await startFakeHalo();
  const config = loadE2eConfig(CONFIG, 'halo-note-deleted.yaml', { HALO_URL: fake.origin });
  service = await startE2eService({ config, redisUrl: redis.url });
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  client?.disconnect();
  await service?.close();
  await fake?.close();
  await redis?.close();
});

describe('Halo: an event merely named like a delete', () => {
  it('a "Note Deleted" event for an escalated ticket keeps its state: no reset tier visit, no second handoff note', async () => {
    const id = 6001;
    const opened = zoneless(Date.now() - 3 * 3_600_000);
    fake.addT1Ticket(id, opened, { summary: 'Outlook prompts for password', details: 'Prompts every few minutes.' });
    fake.addTechNote(id, opened, 'Reset the password; prompts came back.');
    expect(await send(id, 'Ticket Updated')).toBe(202);
    await waitFor(() => ourNotes(id).length === 1 && updatesFor(id).length === 1, 20_000);
    await waitFor(async () => (await stored(id))?.['lastReassign'], 10_000);

    // A technician deletes some note: Halo fires "Note Deleted" for the ticket.
    const reads = () => fake.requestsTo('GET', `/api/Tickets/${id}`).length;
    const before = reads();
    expect(await send(id, 'Note Deleted')).toBe(202);
    await waitFor(() => reads() > before, 10_000, 50, 'the ticket read back after "Note Deleted"');
    await waitForDrained(service.running, 30_000, 'the "Note Deleted" event to be fully processed');
    expect((await stored(id))?.['lastReassign'], 'our move survives the misread delete').toMatchObject({ tier: 'T2' });

    // Moved back to 1st line by a human: a manual change (held), not a 3-hour-old T1 ticket to escalate again.
    const t = fake.tickets.get(id)!;
    Object.assign(t, {
      team: '1st Line Support',
      agent_id: 5,
      last_update: zoneless(Date.now()),
      lastactiondate: zoneless(Date.now()),
    });
    expect(await send(id, 'Ticket Updated')).toBe(202);
    await waitForManualMoveToT1(client, 'initech-halo', id, 'the move back to 1st line recorded as a manual change');
    await waitForDrained(service.running, 30_000, 'the manual-change event to be fully processed');
    expect(updatesFor(id)).toHaveLength(1);
    expect(ourNotes(id)).toHaveLength(1);
  });
});
