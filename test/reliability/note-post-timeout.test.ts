import { describe, expect, it } from 'vitest';

import { autotask } from '../../connectors/autotask/index.js';
import { connectwise } from '../../connectors/connectwise/index.js';
import { halo } from '../../connectors/halo/index.js';
import type { ConnectWiseSettings } from '../../connectors/connectwise/schemas.js';
import type { AppConfig } from '../../src/config/types.js';
import type { ConnectorContext, PsaConnector } from '../../src/contract/index.js';
import { testContext } from '../helpers/connector-context.js';
import { FakeAutotask } from '../helpers/fake-autotask.js';
import { cwTicket, FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';
import { startFakeHalo } from '../helpers/fake-halo.js';
import type { FakeHaloOptions } from '../helpers/fake-halo.js';
import { useFreshPsaPerTest } from '../helpers/psa-suite.js';
import { TEST_SECRET, INSTANCE, startTestPipeline, testConfig } from '../helpers/test-pipeline.js';
import { waitFor, waitForDrained } from '../helpers/wait.js';
import { TestSettingsSchema } from '../helpers/test-connector.js';
import { addOverdueTickets } from '../helpers/test-psa.js';
import type { FakePsa } from '../helpers/test-psa.js';

/**
 * A note whose POST timed out but that the PSA committed anyway (issue 12 item 5): the PSA stores it after our client
 * gave up, and lists it only a while later (its commit/index delay). The retry must not post it again until a
 * marker scan that covers that delay says it is absent — the scan right before the retry, not the one right after
 * the timeout. Never a second note.
 */
const fresh = useFreshPsaPerTest();
const { closers } = fresh;

/** An instance mapping with only the T1 tier (the marker-scan cases need no groups, priorities or members). */
const t1Only = (t1: Record<string, string | number>) => ({
  tiers: { T1: t1 },
  groups: {},
  priorities: {},
  statuses: {},
  members: {},
  vipCompanies: [],
});

/**
 * The committed-note scenario on the test pipeline: a fresh Redis and FakePsa (`arrange` scripts how the PSA commits
 * the note, and may change the config), a T1 ticket `id` due for the 2-hour timeout, one evaluation. Resolves once
 * the ticket is in T2 with nothing pending and the pipeline is drained: any retry of the note, had one been
 * scheduled, has run by then.
 */
async function escalateWithCommittedNote(id: string, arrange: (fake: FakePsa, config: AppConfig) => void) {
  const { redis, fake: psa } = await fresh.start();
  const config = testConfig({ psaUrl: psa.url });
  arrange(psa, config);
  const p = await startTestPipeline({
    redisUrl: redis.url,
    config,
    debounceMs: 20,
    tuning: { lockDurationMs: 30_000, stalledIntervalMs: 15_000, backoffMs: 100, noteSettleMs: 4_000 },
  });
  closers.push(() => p.close());
  addOverdueTickets(psa, [id]);
  await p.kick({ instanceId: INSTANCE, ticketId: id, trigger: 'manual', delayMs: 0 });
  const done = await waitFor(
    async () => {
      const r = await p.stores.tickets.get(INSTANCE, id);
      return r && !r.pending && r.tier === 'T2' ? r : undefined;
    },
    40_000,
    100,
  ).catch((e: unknown) => {
    throw new Error(
      `not completed; notes stored: ${psa.tickets.get(id)!.notes.length}; calls: ${psa.calls.map((c) => `${c.method} ${c.path}`).join(', ')} (${String(e)})`,
    );
  });
  await waitForDrained(p, 30_000, 'any retry of the note to run');
  return { done, fake: psa };
}

/** Exactly one handoff note (one marker) stored for ticket `id`, from exactly one POST. */
function expectOneNote(psa: FakePsa, id: string): void {
  const stored = psa.tickets.get(id)!.notes;
  expect(
    stored.map((n) => n.text.match(/\[esc:[0-9a-f]+\]/)?.[0]),
    'handoff notes stored by the PSA',
  ).toHaveLength(1);
  expect(psa.count('POST', `/tickets/${id}/notes`)).toBe(1);
}

/**
 * The retry of a note whose first POST may have committed: re-read the ticket, then apply a plan with only that note
 * (`verify`: the connector scans for its marker first).
 */
async function retryNote<S>(
  connector: PsaConnector<S>,
  ctx: ConnectorContext<S>,
  ticketId: string,
  marker: string,
  text: string,
) {
  const fetched = await connector.fetchTicket(ctx, ticketId);
  if (!fetched.ok) throw fetched.error;
  const results = await connector.applyActions(ctx, {
    ticketId,
    current: connector.normalize(fetched.value, ctx.instance, ctx.settings),
    fetched: fetched.value,
    verify: true,
    notes: [{ actionId: 'a-note', marker, visibility: 'internal', text }],
  });
  return { fetched: fetched.value, results };
}

describe('note POST timed out but committed', () => {
  it('committed after the timeout and listed only after a delay → never a second note', async () => {
    const run = await escalateWithCommittedNote('nt1', (psa, config) => {
      config.instances[0] = {
        ...config.instances[0]!,
        settings: TestSettingsSchema.parse({ baseUrl: psa.url, secret: TEST_SECRET, noteTimeoutMs: 300 }),
      };
      // The PSA answers a note POST after 800 ms (our client gave up at 300 ms), stores it then, and lists it 2 s later.
      psa.noteDelayMs = 800;
      psa.noteVisibleAfterMs = 2_000;
    });
    expect(run.done.tier).toBe('T2');
    expectOneNote(run.fake, 'nt1');
  }, 60_000);
});

describe('gateway 502/504 after the PSA committed the note', () => {
  it('gateway 504 after commit → one note', async () => {
    const run = await escalateWithCommittedNote('g504', (psa) => {
      // The PSA behind the gateway stores the note, the gateway answers 504, and the PSA lists the note only 2 s later.
      psa.noteVisibleAfterMs = 2_000;
      psa.fail({ method: 'POST', path: '/tickets/g504/notes', status: 504, commit: true });
    });
    expectOneNote(run.fake, 'g504');
  }, 60_000);
});

describe('marker scan beyond the first page of notes', () => {
  it('ConnectWise: our note committed, then 150 newer notes → the retry finds its marker, never a second note', async () => {
    const cw = seedConnectWise(await new FakeConnectWise().start());
    closers.push(() => cw.close());
    const entered = '2026-01-27T13:00:00Z';
    cwTicket(cw, 2001, entered);
    const marker = '[esc:5eed0001]';
    // Ours: our marker AND written by our API member (a marker on someone else's note proves nothing).
    cw.addNote(2001, {
      text: `Escalated T1 -> T2.\n\n${marker}`,
      internalAnalysisFlag: true,
      dateCreated: entered,
      member: { id: 301, identifier: cw.apiMember, name: 'Escalator API' },
    });
    for (let i = 0; i < 150; i++)
      cw.addNote(2001, { text: `worklog ${i}`, internalAnalysisFlag: true, dateCreated: '2026-01-27T14:00:00Z' });
    const ctx: ConnectorContext<ConnectWiseSettings> = testContext({
      connector: connectwise,
      instance: {
        id: 'acme-cw',
        mapping: t1Only({ board: 1, team: 3 }),
      },
      settings: cw.settings(),
    });
    const { results } = await retryNote(connectwise, ctx, '2001', marker, 'Escalated T1 -> T2.');
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped' }]);
    expect(
      cw.writes().filter((w) => w.method === 'POST' && w.path.endsWith('/notes')),
      'a second note was posted',
    ).toEqual([]);
  }, 30_000);

  it('Autotask: our note committed after 550 others → the retry pages the notes query and finds its marker', async () => {
    const at = await new FakeAutotask().start();
    closers.push(() => at.close());
    at.state.addTicket({ id: 351181 });
    for (let i = 0; i < 550; i++)
      at.state.addNote(351181, { description: `worklog ${i}`, title: 'Work', creatorResourceID: 29684010 });
    const marker = '[esc:5eed0002]';
    // Ours: our marker AND created by our API user's resource (a marker on someone else's note proves nothing).
    at.state.addNote(351181, {
      description: `Escalated to T2.\n\n${marker}`,
      title: `Escalation ${marker}`,
      creatorResourceID: at.state.apiResourceId,
    });
    const mapping = t1Only({ queueID: 29682833 });
    const ctx = testContext({
      connector: autotask,
      instance: { id: 'globex-at', mapping },
      settings: {
        connection: at.connection(),
        webhook: { secretKey: 'whsec-autotask-test-42' },
        notes: { internal: { noteType: 1, publish: 2 }, customer: { noteType: 1, publish: 1 } },
        mapping,
      },
    });
    const before = at.state.notes.get(351181)!.length;
    const { results } = await retryNote(autotask, ctx, '351181', marker, 'Escalated to T2.');
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped' }]);
    expect(at.state.notes.get(351181)!.length, 'a second note was posted').toBe(before);
    expect(at.vendorProblems).toEqual([]);
  }, 30_000);
  /** Halo: 150 actions, then ours (page 2 at 100 a page); the retry's marker scan must read past the first page. */
  async function haloRetry(options: FakeHaloOptions) {
    const hf = await startFakeHalo(options);
    closers.push(() => hf.close());
    hf.addTicket({
      id: 4242,
      summary: 'VPN down',
      team: '1st Line Support',
      agent_id: 1,
      status_id: 2,
      priority_id: 3,
      dateoccurred: '2026-11-23T13:00:00',
      last_update: '2026-11-23T15:00:00',
    });
    for (let i = 0; i < 150; i++)
      hf.addAction({ ticket_id: 4242, who_agentid: 12, note: `worklog ${i}`, datetime: '2026-11-23T14:00:00' });
    const marker = '[esc:5eed0003]';
    // Ours: our marker AND written by our API agent (a marker on someone else's note proves nothing).
    hf.addAction({
      ticket_id: 4242,
      who_agentid: hf.apiAgentId,
      note: `Escalated to T2.\n\n${marker}`,
      hiddenfromuser: true,
      datetime: '2026-11-23T15:00:00',
    });
    const mapping = t1Only({ team: '1st Line Support' });
    const ctx = testContext({
      connector: halo,
      instance: { id: 'initech-halo', mapping },
      settings: {
        connection: { tenantUrl: hf.origin, clientId: 'client-id', clientSecret: 'client-secret' },
        webhook: { basicAuth: { username: 'escalator', password: 'hook-pass' } },
      },
    });
    return { hf, ...(await retryNote(halo, ctx, '4242', marker, 'Escalated to T2.')) };
  }

  it('Halo: our note after 150 others, a Halo that answers an unpaged read with 100 → the retry pages and finds it', async () => {
    const { hf, fetched, results } = await haloRetry({ unpagedActionsCap: 100 });
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped' }]);
    expect(hf.requestsTo('POST', '/api/Actions'), 'a second note was posted').toEqual([]);
    expect(fetched.notes, 'fetchTicket read every page').toHaveLength(151);
    expect(hf.requestsTo('GET', '/api/Actions').map((r) => r.query.page_no)).toEqual(['1', '2', '1', '2']);
    expect(hf.vendorProblems).toEqual([]);
  }, 30_000);

  it('Halo: a server that ignores paging (everything on every page) → one read each, the marker found', async () => {
    const { hf, results } = await haloRetry({ actionsPaging: 'ignored' });
    expect(results).toMatchObject([{ actionId: 'a-note', status: 'skipped' }]);
    expect(hf.requestsTo('POST', '/api/Actions'), 'a second note was posted').toEqual([]);
    expect(hf.requestsTo('GET', '/api/Actions')).toHaveLength(2);
    expect(hf.vendorProblems).toEqual([]);
  }, 30_000);
});
