import { describe, expect, it } from 'vitest';

import { loadExample } from './__fixtures__/example-policy.js';
import { evaluate } from './evaluate.js';
import { deriveTicketTier } from './index.js';
import { EvaluateRequestSchema, EvaluateTicketSchema } from './ticket-input.js';

const minimal = {
  title: 'VPN drops every hour',
  status: { category: 'open' },
  priority: { level: 3 },
  company: { id: 42 },
  createdAt: '2026-11-24T09:00:00-05:00',
  location: { queue: { id: '1' }, team: { id: '3' } },
};

describe('EvaluateTicketSchema', () => {
  it('fills defaults for everything but the required fields', () => {
    expect(EvaluateTicketSchema.parse(minimal)).toEqual({
      ref: { instance: '', psa: 'connectwise', id: '' },
      title: 'VPN drops every hour',
      status: { id: 'open', name: 'open', category: 'open' },
      priority: { id: 'P3', name: 'P3', level: 3 },
      location: { queue: { id: '1' }, team: { id: '3' } },
      tier: null,
      owner: null,
      company: { id: '42', vip: false },
      category: [],
      createdAt: '2026-11-24T14:00:00Z',
      updatedAt: '2026-11-24T14:00:00Z',
      version: '2026-11-24T14:00:00Z',
    });
  });

  it('accepts the shorthands people type by hand', () => {
    const t = EvaluateTicketSchema.parse({
      ...minimal,
      status: 'waiting_customer',
      priority: 'P1',
      company: 'Acme',
      owner: 'alice',
      category: 'Network/Firewall',
      tier: 'T2',
      location: undefined,
    });
    expect(t).toMatchObject({
      status: { category: 'waiting_customer' },
      priority: { level: 1, name: 'P1' },
      company: { id: 'Acme', name: 'Acme', vip: false },
      owner: { id: 'alice', name: 'alice' },
      category: ['Network', 'Firewall'],
      tier: 'T2',
      location: {},
    });
  });

  it.each([
    ['title', { title: undefined }],
    ['status', { status: { category: 'pending' } }],
    ['priority', { priority: undefined }],
    ['company', { company: undefined }],
    ['createdAt', { createdAt: 'yesterday' }],
    ['location', { location: undefined }],
  ])('rejects a ticket without a valid %s, with the zod path', (path, patch) => {
    const r = EvaluateTicketSchema.safeParse({ ...minimal, ...patch });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path[0])).toContain(path);
  });

  it('uses ticket.tier as given, else derives it from the location', () => {
    const acme = loadExample().compile('acme-cw');
    expect(deriveTicketTier(EvaluateTicketSchema.parse(minimal), acme.instance)).toBe('T1');
    expect(deriveTicketTier(EvaluateTicketSchema.parse({ ...minimal, tier: 'T3' }), acme.instance)).toBe('T3');
    expect(
      deriveTicketTier(
        EvaluateTicketSchema.parse({ ...minimal, location: { queue: { id: '14' }, team: { id: '99' } } }),
        acme.instance,
      ),
    ).toBe('T4');
    expect(
      deriveTicketTier(EvaluateTicketSchema.parse({ ...minimal, location: { queue: { id: '77' } } }), acme.instance),
    ).toBeNull();
  });

  it('evaluates a minimal ticket end to end', () => {
    const acme = loadExample().compile('acme-cw');
    const req = EvaluateRequestSchema.parse({
      instanceId: 'acme-cw',
      ticket: minimal,
      now: '2026-11-24T11:00:00-05:00',
    });
    const d = evaluate({ ticket: req.ticket, policy: acme, now: req.now! });
    expect(d.actions[0]).toMatchObject({ type: 'reassign', rule: 't1-timeout', tier: 'T2' });
    // No contact, environment, notes, category, urgency or impact: the handoff says so.
    const note = d.actions.find((a) => a.type === 'note');
    expect(note && 'text' in note ? note.text : '').toContain('MISSING: environment');
  });
});
