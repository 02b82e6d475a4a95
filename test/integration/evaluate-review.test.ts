import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadBuiltinConfig } from '../../src/config/index.js';
import type { Decision } from '../../src/contract/index.js';
import { connectors } from '../../src/connectors.js';
import { exampleEnv } from '../fixtures/config/example-env.js';
import { cli, root } from '../fixtures/config/run-cli.js';
import { ADMIN_TOKEN, build, type Built } from '../helpers/build.js';

// Spec review of the evaluate input (docs/spec.md §4) through POST /api/evaluate and the `evaluate` CLI (docs/spec.md §6):
// instanceId selects the policy, `state` is honoured field by field, defaults apply, instants come out canonical.

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const T1 = { queue: { id: '1' }, team: { id: '3' } };
/** A Tuesday 09:00 New York ticket on the ConnectWise T1 board, VIP company (vip-fast-lane after 30 business min). */
const vipTicket = {
  ref: { instance: 'initech-halo', psa: 'halo', id: '77' }, // not consulted: instanceId decides
  title: 'Cannot print',
  status: 'open',
  priority: 'P3',
  company: { id: '9', name: 'HQCorp', vip: true },
  createdAt: '2026-11-24T09:00:00-05:00',
  location: T1,
  owner: 'alice',
};

describe('POST /api/evaluate: evaluate input', () => {
  let h: Built;
  beforeAll(async () => {
    const loaded = loadBuiltinConfig(connectors);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    h = await build({ config: loaded.value, connectors, now: () => new Date('2026-11-24T14:40:00Z') });
  });
  afterAll(async () => h.app.close());

  const send = async (
    payload: object,
  ): Promise<{ status: number; body: Decision & { error?: { details?: unknown } } }> => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload,
    });
    return { status: res.statusCode, body: res.json() };
  };

  it('defaults: tier entered at createdAt, no hold, no limit → the VIP move happens (instanceId, not ref.instance)', async () => {
    const { status, body } = await send({ instanceId: 'acme-cw', ticket: vipTicket, now: '2026-11-24T09:40:00-05:00' });
    expect(status).toBe(200);
    expect(body.actions.find((a) => a.type === 'reassign')).toMatchObject({
      rule: 'vip-fast-lane',
      tier: 'T2',
      location: { board: 1, team: 4 },
    });
    expect(body.reasons[0]).toMatchObject({ rule: 'vip-fast-lane', matched: { timeInTier: 40, threshold: 30 } });
    for (const clock of Object.values(body.clocks)) expect(clock.dueAt).toMatch(ISO);
  });

  it('state.tierSince starts the visit later: nothing fires yet, nextCheckAt is 30 business minutes after it', async () => {
    const { body } = await send({
      instanceId: 'acme-cw',
      ticket: vipTicket,
      state: { tierSince: '2026-11-24T14:20:00Z' },
    });
    expect(body.actions).toEqual([]);
    expect(body.nextCheckAt).toBe('2026-11-24T14:50:00Z');
  });

  it('state.lastManualChangeAt after our reassign holds the move (notify only); now defaults to the server clock', async () => {
    const state = {
      escalations: [{ rule: 'orphan', kind: 'tiered', tier: 'T1', at: '2026-11-24T14:05:00Z' }],
      lastManualChangeAt: '2026-11-24T14:00:00Z',
    };
    const { body } = await send({ instanceId: 'acme-cw', ticket: vipTicket, state });
    expect(body.actions).toEqual([{ type: 'notify', rule: 'vip-fast-lane', notifier: 'managers' }]);
    expect(body.reasons[0]).toMatchObject({ rule: 'vip-fast-lane', suppressed: 'manual_hold' });
    // The hold ends at 18:00Z, but the VIP first-response clock (120 min) runs out first, at 16:00Z.
    expect(body.nextCheckAt).toBe('2026-11-24T16:00:00Z');
  });

  it('state.statusHistory pauses the clocks and timeInTier (waiting on the customer since 09:10 local)', async () => {
    const ticket = { ...vipTicket, status: { id: '4', name: 'Waiting Customer', category: 'waiting_customer' } };
    const state = {
      statusHistory: [
        { category: 'open', at: '2026-11-24T14:00:00Z' },
        { category: 'waiting_customer', at: '2026-11-24T14:10:00Z' },
      ],
    };
    const { body } = await send({ instanceId: 'acme-cw', ticket, state });
    expect(body.actions).toEqual([]);
    expect(body.clocks.firstResponse).toMatchObject({ elapsedMinutes: 10, paused: true, targetMinutes: 120 });
    expect(body.nextCheckAt).toBeNull();
  });

  it('an invalid state → 400 with the zod path in details', async () => {
    const { status, body } = await send({ instanceId: 'acme-cw', ticket: vipTicket, state: { recurringCount: -1 } });
    expect(status).toBe(400);
    expect(JSON.stringify(body.error?.details)).toContain('recurringCount');
  });
});

describe('psa-escalator evaluate: {ticket, state} file', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'eval-review-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const example = join(root, 'examples/escalator.yaml');

  it('honours state.recurringCount (recurring-incident tags and notifies) and prints canonical instants', async () => {
    const file = join(scratch, 'recurring.json');
    const ticket = { ...vipTicket, company: { id: '250', name: 'Contoso' }, category: 'Email/Outlook' };
    writeFileSync(file, JSON.stringify({ ticket, state: { recurringCount: 3 } }));
    const r = await cli(
      ['evaluate', '--config', example, '--instance', 'acme-cw', '--ticket', file, '--at', '2026-11-24T09:05:00-05:00'],
      { ...exampleEnv },
    );
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as Decision;
    expect(d.actions).toEqual([
      expect.objectContaining({ type: 'note', rule: 'recurring-incident', template: 'internal' }),
      { type: 'notify', rule: 'recurring-incident', notifier: 'managers' },
      { type: 'tag', rule: 'recurring-incident', tag: 'problem-candidate' },
    ]);
    expect(d.nextCheckAt).toMatch(ISO);
    expect(r.stderr).toContain('--- internal note · rule recurring-incident · internal ---');
  });
});
