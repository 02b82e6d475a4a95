import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BacktestResult } from '../../src/backtest/report.js';
import type { Timeline } from '../../src/backtest/timeline.js';
import type { CliIo } from '../../src/cli/args.js';
import { run as backtest } from '../../src/cli/backtest.js';
import { run as exportTimelines } from '../../src/cli/export.js';
import { loadConfigFile } from '../../src/config/index.js';
import { connectors } from '../../src/connectors.js';
import { exampleEnv } from '../fixtures/config/example-env.js';
import { ADMIN_TOKEN, build } from '../helpers/build.js';
import { waitFor } from '../helpers/test-pipeline.js';
import { root } from '../fixtures/config/run-cli.js';
import { FakeAutotask } from '../helpers/fake-autotask.js';
import { FakeConnectWise, cwTicket, seedConnectWise } from '../helpers/fake-connectwise.js';
import { FakeHalo } from '../helpers/fake-halo.js';
import type { Json } from '../helpers/fake-halo.js';

// Issue 15 "Must show 3": `--from-psa` against the fake PSAs of all three connectors: the timelines rebuilt from each
// PSA's own history (ConnectWise audit trail, Autotask TicketHistory, Halo actions) have the right snapshots at the
// right instants, the backtest's decisions match the known answer, the read stays within its budget share, and a
// rerun with the cache makes no PSA call.

const scratch = mkdtempSync(join(tmpdir(), 'from-psa-'));
const now = new Date('2026-12-01T14:00:00Z');
/** Monday 30 November 2026, 09:00 New York: both tickets are logged in T1. */
const created = '2026-11-30T14:00:00Z';

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '' };
  return Object.assign(o, {
    env: exampleEnv,
    cwd: scratch,
    now: () => now,
    stdout: { write: (t: string) => (o.out += t) },
    stderr: { write: (t: string) => (o.err += t) },
  });
}

/** examples/escalator.yaml with the instance's connection pointed at a fake. */
function configFor(name: string, edit: (yaml: string) => string): string {
  const path = join(scratch, `${name}.yaml`);
  writeFileSync(path, edit(readFileSync(join(root, 'examples/escalator.yaml'), 'utf8')));
  return path;
}

interface Case {
  instance: string;
  config: string;
  requests: () => number;
}

/** What every connector must show, given two tickets: A (priority lowered, then closed) and B (a person moves it to T2). */
async function mustShow(
  c: Case,
  ids: { a: string; b: string },
  known: Known,
  expectMore?: (tl: Map<string, Timeline>) => void,
): Promise<void> {
  const cache = join(scratch, `${c.instance}.jsonl.gz`);
  const args = ['--config', c.config, '--instance', c.instance, '--from-psa', '--since', '2d', '--cache', cache];
  const first = io();
  expect(await backtest([...args, '--json', '--workers', '0'], first), first.err).toBe(0);
  const calls = c.requests();
  const used = Number(/(\d+) PSA calls \(budget (\d+) per/.exec(first.err)?.[1]);
  const cap = Number(/PSA calls \(budget (\d+) per/.exec(first.err)?.[1]);
  expect(calls).toBeGreaterThan(0);
  // Every rate-limited call went through the budget (the fake also saw token/zone look-ups that spend none).
  expect(used).toBeGreaterThan(0);
  expect(used).toBeLessThanOrEqual(calls);
  expect(used).toBeLessThanOrEqual(cap);
  const result = JSON.parse(first.out) as BacktestResult;
  expect(result.report.tickets).toBe(2);
  expect(result.report.decisions.map((d) => ({ ticketId: d.ticketId, rule: d.rule, at: d.at }))).toEqual([
    { ticketId: ids.a, rule: 't1-timeout', at: '2026-11-30T16:00:00.000Z' },
  ]);

  // Rerun and export from the cache: not one PSA call, the same decisions.
  const again = io();
  expect(await backtest([...args, '--json', '--workers', '0'], again), again.err).toBe(0);
  expect(again.err).toMatch(/from the cache .* 0 PSA calls/);
  expect(JSON.parse(again.out)).toEqual(result);
  const out = join(scratch, `${c.instance}-export.jsonl`);
  const ex = io();
  expect(await exportTimelines([...args, '--out', out], ex), ex.err).toBe(0);
  expect(c.requests()).toBe(calls);
  const timelines = new Map(
    readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Timeline)
      .map((t) => [t.snapshots[0]!.ticket.ref.id, t] as const),
  );
  expect([...timelines.keys()].sort()).toEqual([ids.a, ids.b].sort());
  expectKnownTimelines(timelines, ids, known);
  expectMore?.(timelines);
}

const view = (t: Timeline | undefined) =>
  (t?.snapshots ?? []).map((s) => ({
    at: s.at,
    tier: s.ticket.tier,
    priority: s.ticket.priority.level,
    status: s.ticket.status.category,
    owner: s.ticket.owner?.id ?? null,
  }));

/** The PSA's ids for the two owners and its status category for a closed ticket. */
interface Known {
  owner: string;
  movedTo: string;
  closed: string;
}

/** A: priority 3 → 4 at 14:30, closed at 17:00; B: moved to T2 (and to `movedTo`) at 15:00, closed at 17:00. */
function expectKnownTimelines(tl: Map<string, Timeline>, ids: { a: string; b: string }, k: Known): void {
  expect(view(tl.get(ids.a))).toEqual([
    { at: '2026-11-30T14:00:00.000Z', tier: 'T1', priority: 3, status: 'open', owner: k.owner },
    { at: '2026-11-30T14:30:00.000Z', tier: 'T1', priority: 4, status: 'open', owner: k.owner },
    { at: '2026-11-30T17:00:00.000Z', tier: 'T1', priority: 4, status: k.closed, owner: k.owner },
  ]);
  expect(view(tl.get(ids.b))).toEqual([
    { at: '2026-11-30T14:00:00.000Z', tier: 'T1', priority: 3, status: 'open', owner: k.owner },
    { at: '2026-11-30T15:00:00.000Z', tier: 'T2', priority: 3, status: 'open', owner: k.movedTo },
    { at: '2026-11-30T17:00:00.000Z', tier: 'T2', priority: 3, status: k.closed, owner: k.movedTo },
  ]);
}

describe('backtest --from-psa (in process, fake PSAs over HTTP)', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  describe('ConnectWise: audit trail', () => {
    let fake: FakeConnectWise;
    beforeAll(async () => {
      fake = seedConnectWise(
        await new FakeConnectWise({
          publicKey: exampleEnv.CW_PUBLIC_KEY,
          privateKey: exampleEnv.CW_PRIVATE_KEY,
          clientId: exampleEnv.CW_CLIENT_ID,
        }).start(),
      );
      const plain = { company: { id: 300, identifier: 'Initrode', name: 'Initrode' }, status: { id: 1, name: 'New' } };
      cwTicket(fake, 501, created, plain);
      cwTicket(fake, 502, created, plain);
      fake.changeTicket(501, '2026-11-30T14:30:00Z', 'jsmith', {
        priority: { id: 7, name: 'Priority 4 - Schedule Maintenance' },
      });
      fake.changeTicket(
        501,
        '2026-11-30T17:00:00Z',
        'jsmith',
        { status: { id: 30, name: 'Closed' } },
        { closedFlag: true, closedDate: '2026-11-30T17:00:00Z', dateResolved: '2026-11-30T17:00:00Z' },
      );
      fake.changeTicket(502, '2026-11-30T15:00:00Z', 'erin.t', {
        team: { id: 4, name: 'Tier 2' },
        owner: { id: 161, identifier: 't2.frank', name: 'Frank Ng' },
      });
      fake.changeTicket(
        502,
        '2026-11-30T17:00:00Z',
        't2.frank',
        { status: { id: 30, name: 'Closed' } },
        { closedFlag: true, closedDate: '2026-11-30T17:00:00Z' },
      );
    });
    afterAll(() => fake.close());

    it('rebuilds the snapshots, decides as known, within budget, rerun from the cache makes no call', async () => {
      const config = configFor('cw', (y) =>
        y.replace('      # baseUrl: http://127.0.0.1:9101/v4_6_release/apis/3.0', `      baseUrl: ${fake.baseUrl}`),
      );
      await mustShow(
        { instance: 'acme-cw', config, requests: () => fake.requests.length },
        { a: '501', b: '502' },
        { owner: 'jsmith', movedTo: 't2.frank', closed: 'closed' },
      );
    }, 60_000);

    it('POST /api/backtests with source psa: the same decisions as the CLI; a second job reuses the cached read (no PSA call)', async () => {
      const path = configFor('cw-api', (y) =>
        y.replace('      # baseUrl: http://127.0.0.1:9101/v4_6_release/apis/3.0', `      baseUrl: ${fake.baseUrl}`),
      );
      const loaded = loadConfigFile(path, exampleEnv, connectors);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
      const h = await build({ config: loaded.value, connectors, now: () => now });
      try {
        const job = async (source: Record<string, unknown>) => {
          const res = await h.app.inject({
            method: 'POST',
            url: '/api/backtests',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
            payload: { instanceId: 'acme-cw', source },
          });
          expect(res.statusCode, res.body).toBe(202);
          const id = (res.json() as { id: string }).id;
          let body: { status: string; error?: string; result?: BacktestResult } = { status: 'running' };
          await waitFor(
            async () => {
              body = (
                await h.app.inject({
                  method: 'GET',
                  url: `/api/backtests/${id}`,
                  headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
                })
              ).json();
              return body.status !== 'running';
            },
            60_000,
            50,
          );
          expect(body.status, body.error).toBe('done');
          return body.result!.report.decisions.map((d) => ({ ticketId: d.ticketId, rule: d.rule, at: d.at }));
        };
        const before = fake.requests.length;
        expect(await job({ kind: 'psa', since: '2d', budgetShare: 0.1, refresh: true })).toEqual([
          { ticketId: '501', rule: 't1-timeout', at: '2026-11-30T16:00:00.000Z' },
        ]);
        const used = fake.requests.length - before;
        expect(used).toBeGreaterThan(0);
        expect(used).toBeLessThanOrEqual(60); // 10 % of 600 per minute
        expect(await job({ kind: 'psa', since: '2d' })).toEqual([
          { ticketId: '501', rule: 't1-timeout', at: '2026-11-30T16:00:00.000Z' },
        ]);
        expect(fake.requests.length - before).toBe(used);
      } finally {
        await h.app.close();
      }
    }, 60_000);

    it('a PSA that refuses the credentials: the run fails with the reason and leaves no cache behind', async () => {
      const config = configFor('cw-bad', (y) =>
        y.replace('      # baseUrl: http://127.0.0.1:9101/v4_6_release/apis/3.0', `      baseUrl: ${fake.baseUrl}`),
      );
      const cache = join(scratch, 'cw-bad.jsonl.gz');
      const bad = Object.assign(io(), { env: { ...exampleEnv, CW_PRIVATE_KEY: 'wrong' } });
      await expect(
        backtest(
          ['--config', config, '--instance', 'acme-cw', '--from-psa', '--since', '2d', '--cache', cache, '--json'],
          bad,
        ),
      ).rejects.toThrow(/psa_auth/);
      expect(existsSync(cache)).toBe(false);
      expect(existsSync(`${cache}.partial`)).toBe(false);
    });
  });

  describe('Autotask: TicketHistory', () => {
    let fake: FakeAutotask;
    beforeAll(async () => {
      fake = await new FakeAutotask({
        username: exampleEnv.AT_USERNAME,
        secret: exampleEnv.AT_SECRET,
        integrationCode: exampleEnv.AT_INTEGRATION_CODE,
      }).start();
      const s = fake.state;
      s.companies.set(175, { id: 175, companyName: 'Initrode', classification: null });
      const plain = {
        companyID: 175,
        createDate: '2026-11-30T14:00:00',
        lastTrackedModificationDateTime: '2026-11-30T14:00:00',
        lastActivityDate: '2026-11-30T14:00:00',
        firstResponseDateTime: null,
        queueID: 29682833,
        status: 1,
        priority: 2,
        assignedResourceID: 29684010,
        assignedResourceRoleID: 29683001,
      };
      s.addTicket({ id: 601, ...plain });
      s.addTicket({ id: 602, ...plain });
      s.changeTicket(601, '2026-11-30T14:30:00Z', 29684010, { priority: 3 });
      s.changeTicket(
        601,
        '2026-11-30T17:00:00Z',
        29684010,
        { status: 5 },
        { completedDate: '2026-11-30T17:00:00', resolvedDateTime: '2026-11-30T17:00:00' },
      );
      s.changeTicket(
        602,
        '2026-11-30T15:00:00Z',
        29684003,
        { queueID: 29682969, assignedResourceID: 29684004 },
        { assignedResourceRoleID: 29683002 },
      );
      s.changeTicket(602, '2026-11-30T17:00:00Z', 29684004, { status: 5 }, { completedDate: '2026-11-30T17:00:00' });
    });
    afterAll(() => fake.close());

    it('rebuilds the snapshots, decides as known, within budget, rerun from the cache makes no call', async () => {
      const config = configFor('at', (y) =>
        y.replace(
          '      # zoneUrl: http://127.0.0.1:9102/atservicesrest/v1.0     # optional override; otherwise zone discovery',
          `      zoneUrl: ${fake.url}/atservicesrest/v1.0`,
        ),
      );
      await mustShow(
        { instance: 'globex-at', config, requests: () => fake.requests.length },
        { a: '601', b: '602' },
        { owner: '29684010', movedTo: '29684004', closed: 'resolved' },
        (tl) => {
          expect(tl.get('602')!.snapshots[0]!.ticket.owner?.name).toBe('Tom Tier-One');
        },
      );
    }, 60_000);
  });

  describe('HaloPSA: actions', () => {
    let fake: FakeHalo;
    beforeAll(async () => {
      fake = await new FakeHalo({
        clientId: exampleEnv.HALO_CLIENT_ID,
        clientSecret: exampleEnv.HALO_CLIENT_SECRET,
      }).start();
      const drop = [
        'status_name',
        'priority_name',
        'agent_name',
        'respondbydate',
        'fixbydate',
        'responsedate',
        'slapercused',
        'slatimeleft',
      ];
      const full = JSON.parse(
        readFileSync(join(root, 'connectors/halo/__fixtures__/ticket-full.json'), 'utf8'),
      ) as Json;
      const base = Object.fromEntries(Object.entries(full).filter(([k]) => !drop.includes(k)));
      const plain = { ...base, team: '1st Line Support', agent_id: 20, status_id: 1, priority_id: 3 };
      fake.logTicket({ ...plain, id: 701 }, created);
      fake.logTicket({ ...plain, id: 702 }, created);
      fake.changeTicket(701, '2026-11-30T14:30:00Z', 20, { priority: 4 });
      fake.changeTicket(
        701,
        '2026-11-30T17:00:00Z',
        20,
        { status: 9 },
        { dateclosed: '2026-11-30T17:00:00', hasbeenclosed: true },
      );
      fake.changeTicket(702, '2026-11-30T15:00:00Z', 12, { team: '2nd Line Support', agent: 13 });
      fake.changeTicket(
        702,
        '2026-11-30T17:00:00Z',
        13,
        { status: 9 },
        { dateclosed: '2026-11-30T17:00:00', hasbeenclosed: true },
      );
    });
    afterAll(() => fake.close());

    it('rebuilds the snapshots, decides as known, within budget, rerun from the cache makes no call', async () => {
      const config = configFor('halo', (y) =>
        y.replace('      tenantUrl: https://initech.halopsa.com', `      tenantUrl: ${fake.origin}`),
      );
      await mustShow(
        { instance: 'initech-halo', config, requests: () => fake.requests.length },
        { a: '701', b: '702' },
        { owner: '20', movedTo: '13', closed: 'closed' },
      );
      expect(fake.vendorProblems).toEqual([]);
    }, 60_000);
  });
});
