import { Redis } from 'ioredis';

import { e2ePolicyYaml, loadE2eConfig, startE2eService } from '../helpers/e2e-service.js';
import type { E2eService } from '../helpers/e2e-service.js';
import { cwEnv, FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { connectwiseInstanceYaml } from '../helpers/instance-yaml.js';

/**
 * The real service (Fastify + BullMQ + real Redis) against the fake ConnectWise over real HTTP, for the ticket-identity
 * attacks of issue 12 (forged deletes, zero-padded ids, spoofed markers). Two rules: the e2e `t1-timeout` (a T1
 * ticket past 2 h goes to T2) and `outage-text` (a T1 ticket whose text says "server down" goes to T2 at once).
 */

const POLICY = e2ePolicyYaml().replace(
  '      - id: t1-timeout',
  `      - id: outage-text
        kind: functional
        when: { tier: T1, text: "server down", status: { not: [resolved, closed] } }
        then: { escalateTo: T2, group: tier2, note: handoff }
      - id: t1-timeout`,
);

const CONFIG = `${POLICY}instances:
${connectwiseInstanceYaml({ id: 'acme-cw', tiers: ['T1', 'T2'] })}`;

export interface CwHarness {
  redis: TestRedis;
  /** A plain client on the service's Redis, for asserting on keys. */
  client: Redis;
  fake: FakeConnectWise;
  service: E2eService;
  close(): Promise<void>;
}

export async function startCwHarness(): Promise<CwHarness> {
  const redis = await startRedis();
  const fake = seedConnectWise(await new FakeConnectWise().start());
  const config = loadE2eConfig(CONFIG, 'security-identity.yaml', cwEnv(fake));
  const service = await startE2eService({ config, redisUrl: redis.url });
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  return {
    redis,
    client,
    fake,
    service,
    close: async () => {
      client.disconnect();
      await service.close();
      await fake.close();
      await redis.close();
    },
  };
}

/** Entered `hoursAgo` hours ago on Service A / Tier 1, with a description and one technician's note. */
export { cwT1Ticket as t1Ticket } from '../helpers/fake-connectwise.js';

/** POSTs a signed callback body (as ConnectWise would) to the service; `recordId` as ConnectWise appends it. */
export async function deliver(
  h: CwHarness,
  body: string,
  recordId: string | number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.service.base}/webhooks/acme-cw?recordId=${recordId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-content-signature': h.fake.sign(body) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A technician (jsmith) moves the ticket back to Service A / Tier 1, In Progress; the change is not delivered yet. */
export function moveBackToT1(h: CwHarness, id: number): void {
  const t = h.fake.tickets.get(id)!;
  Object.assign(t, {
    board: { id: 1, name: 'Service A' },
    team: { id: 3, name: 'Tier 1' },
    status: { id: 17, name: 'In Progress' },
  });
  t._info = { ...(t._info as Record<string, unknown>), lastUpdated: h.fake.stamp(), updatedBy: 'jsmith' };
}

/** Notes the fake stores for a ticket that carry one of our markers and were written by our API member. */
export function ourNotes(fake: FakeConnectWise, id: number): { text: string }[] {
  return (fake.notes.get(id) ?? []).filter(
    (n) => /\[esc:[0-9a-f]{6,}\]/.test(n.text) && n.createdBy === fake.apiMember,
  );
}

/** PATCHes of one ticket the service sent. */
export const patchesFor = (fake: FakeConnectWise, id: number) =>
  fake.apiRequests('PATCH', new RegExp(`/service/tickets/${id}$`));
