import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadBuiltinConfig } from '../../src/config/index.js';
import type { AppConfig } from '../../src/config/types.js';
import { connectors } from '../../src/connectors.js';
import { compilePolicy, evaluate, EvaluateTicketSchema } from '../../src/engine/index.js';
import { buildCompileInput } from '../../src/pipeline/policy/compile-input.js';
import { ADMIN_TOKEN, build, type Built } from '../helpers/build.js';

// POST /api/evaluate with the real engine, the real connectors and the built-in config (the example policy).

const NOW = new Date('2026-11-24T14:10:00Z'); // a Tuesday, 09:10 in New York: business hours
let h: Built;
let config: AppConfig;

beforeAll(async () => {
  const loaded = loadBuiltinConfig(connectors);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  config = loaded.value;
  h = await build({ config, connectors, now: () => NOW });
});
afterAll(async () => h.app.close());

const ticket = {
  title: 'Ransomware on file server',
  description: 'Files renamed to .locked, ransom note on the share',
  status: 'open',
  priority: 'P3',
  company: { id: '19', name: 'Acme Corp' },
  createdAt: '2026-11-24T14:00:00Z',
  location: { queue: { id: '1' }, team: { id: '3' } },
  owner: 'alice',
};
const send = (payload: unknown) =>
  h.app.inject({
    method: 'POST',
    url: '/api/evaluate',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: payload as object,
  });

function engineDecision(input: { ticket: unknown; now: Date }) {
  const instance = config.instances.find((i) => i.info.id === 'acme-cw')!;
  const policy = compilePolicy(buildCompileInput(config, instance, connectors.connectwise));
  return evaluate({ ticket: EvaluateTicketSchema.parse(input.ticket), policy, now: input.now });
}

describe('POST /api/evaluate', () => {
  it('returns the engine Decision: an emergency security ticket goes to T3 with P1 and a handoff note', async () => {
    const res = await send({ instanceId: 'acme-cw', ticket, now: '2026-11-24T09:10:00-05:00' });
    expect(res.statusCode).toBe(200);
    const decision = res.json();
    expect(decision.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'reassign', rule: 'emergency-security', tier: 'T3', group: 'security' }),
        expect.objectContaining({ type: 'priority', priority: 'P1' }),
        expect.objectContaining({ type: 'note', template: 'handoff', visibility: 'internal' }),
      ]),
    );
    expect(decision.reasons[0]).toMatchObject({ rule: 'emergency-security', kind: 'emergency' });
    expect(decision).toEqual(JSON.parse(JSON.stringify(engineDecision({ ticket, now: NOW }))));
  });

  it('defaults `now` to the clock and accepts state', async () => {
    const quiet = { ...ticket, title: 'Printer jam', description: 'Tray 2' };
    const res = await send({ instanceId: 'acme-cw', ticket: quiet, state: { tierSince: '2026-11-24T14:00:00Z' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(engineDecision({ ticket: quiet, now: NOW }))));
    expect(res.json().actions).toEqual([]);
    expect(res.json().nextCheckAt).not.toBeNull();
  });

  it('unknown instance → 404, checked before the body is validated', async () => {
    for (const body of [
      { instanceId: 'nope', ticket },
      { instanceId: 'nope', ticket: {} },
    ]) {
      const res = await send(body);
      expect([res.statusCode, res.json().error.code]).toEqual([404, 'not_found']);
    }
  });

  it('invalid input → 400 with zod paths in details', async () => {
    const { title: _title, ...untitled } = ticket;
    const cases: [unknown, string][] = [
      [{ instanceId: 'acme-cw', ticket: untitled }, 'ticket.title'],
      [{ instanceId: 'acme-cw', ticket: { ...ticket, createdAt: 'yesterday' } }, 'ticket.createdAt'],
      [{ instanceId: 'acme-cw', ticket: { ...ticket, status: 'on fire' } }, 'ticket.status'],
      [{ instanceId: 'acme-cw', ticket, state: { recurringCount: -1 } }, 'state.recurringCount'],
      [{ instanceId: 'acme-cw', ticket, now: 'soon' }, 'now'],
      [{ ticket }, 'instanceId'],
    ];
    for (const [body, path] of cases) {
      const res = await send(body);
      expect(res.statusCode, path).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });
});
