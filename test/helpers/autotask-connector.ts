import { expect } from 'vitest';

import { autotask } from '../../connectors/autotask/index.js';
import type { AutotaskSettings } from '../../connectors/autotask/schemas.js';
import type { ConnectorContext, InstanceInfo } from '../../src/contract/index.js';

import { testContext } from './connector-context.js';
import { FakeAutotask } from './fake-autotask.js';

/**
 * The Autotask connector against the fake Autotask over real HTTP (test/helpers/fake-autotask.ts), through the real
 * outbound client that testContext() builds: the set-up shared by the autotask-*.test.ts connector files.
 */

export const AT_WEBHOOK_SECRET = 'whsec-autotask-test-42';

/** Queues of the fake: T1 29682833, T2 Service Desk 29682969 (+ Network 29683500), T3 29683484 (+ 29683501). */
export const atMapping: InstanceInfo['mapping'] = {
  tiers: {
    T1: { queueID: 29682833 },
    T2: [{ queueID: 29682969 }, { queueID: 29683500 }],
    T3: [{ queueID: 29683484 }, { queueID: 29683501 }],
  },
  groups: { network: { queueID: 29683500 }, tier2: { queueID: 29682969 } },
  priorities: { P1: [4], P2: [1], P3: [2], P4: [3] },
  statuses: { waiting_customer: [7], waiting_vendor: [10], resolved: [5] },
  members: { 't2.erin': { resourceID: 29684003, roleID: 29683002 } },
  vipCompanies: [174],
};

/** A connector context for instance `globex-at` with the given connection (and webhook) settings. */
export const autotaskCtx = (
  connection: Record<string, unknown>,
  webhook: Record<string, unknown> = { secretKey: AT_WEBHOOK_SECRET },
): ConnectorContext<AutotaskSettings> =>
  testContext({
    connector: autotask,
    instance: { id: 'globex-at', mapping: atMapping },
    settings: {
      connection,
      webhook,
      notes: { internal: { noteType: 1, publish: 2 }, customer: { noteType: 1, publish: 1 } },
      mapping: atMapping,
    },
  });

/** A started fake Autotask holding ticket 351181 with one technician's note. */
export async function startSeededAutotask(): Promise<FakeAutotask> {
  const fake = await new FakeAutotask().start();
  fake.state.addTicket({ id: 351181 });
  fake.state.addNote(351181, {
    description: 'Power-cycled the printer; no change.',
    title: 'Phone call',
    creatorResourceID: 29684010,
    createDateTime: '2026-11-24T13:20:40.11',
  });
  return fake;
}

/** Closes the fake after checking every request it saw matched the vendor's schemas. */
export async function closeCheckedAutotask(fake: FakeAutotask): Promise<void> {
  expect(fake.vendorProblems).toEqual([]);
  await fake.close();
}
