import { describe, expect, it } from 'vitest';

import { notes, notifiers, priorityOf, reassignOf } from './__fixtures__/decision-helpers.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { evaluate } from './evaluate.js';
import { EvaluateTicketSchema } from './ticket-input.js';

/**
 * The four seed scenarios of issue 4 ("Must show 4"), at the engine level, on every instance of the example config.
 * Tickets go through EvaluateTicketSchema as `POST /api/evaluate` would pass them.
 */

const example = loadExample();
const instances = {
  'acme-cw': {
    psa: 'connectwise',
    t1: { queue: { id: '1' }, team: { id: '3' } },
    t2: { queue: { id: '1' }, team: { id: '4' } },
  },
  'globex-at': { psa: 'autotask', t1: { queue: { id: '29682833' } }, t2: { queue: { id: '29682969' } } },
  'initech-halo': {
    psa: 'halo',
    t1: { team: { id: '1', name: '1st Line Support' } },
    t2: { team: { id: '2', name: '2nd Line Support' } },
  },
} as const;

function ticket(instance: keyof typeof instances, fields: Record<string, unknown>) {
  const { psa } = instances[instance];
  const base = cwTicket({ ref: { instance, psa, id: '42' } });
  return EvaluateTicketSchema.parse({ ...base, tier: undefined, ...fields });
}

describe.each(Object.keys(instances) as (keyof typeof instances)[])('seed scenarios on %s', (id) => {
  const policy = example.compile(id);
  const { t1, t2 } = instances[id];

  it('a T1 ticket open 2 business hours → T2 with a complete handoff note naming a specific owner', () => {
    const d = evaluate({ ticket: ticket(id, { location: t1 }), policy, now: '2026-11-24T16:00:00Z' });
    const reassign = reassignOf(d);
    expect(reassign).toMatchObject({
      rule: 't1-timeout',
      tier: 'T2',
      group: 'tier2',
      owner: 't2.erin',
      from: { tier: 'T1', owner: 'alice' },
    });
    const [note] = notes(d);
    expect(note?.template).toBe('handoff');
    expect(note?.text).not.toContain('MISSING');
    expect(note?.text).toContain('Transition: T1 / alice → T2 / t2.erin');
    expect(d.reasons).toEqual([
      {
        rule: 't1-timeout',
        kind: 'tiered',
        text: 'timeInTier 120 >= 120 business minutes',
        matched: { timeInTier: 120, threshold: 120 },
      },
    ]);
  });

  it('"ransomware on file server" → T3 security on-call, P1, managers notified', () => {
    const d = evaluate({
      ticket: ticket(id, { location: t1, title: 'ransomware on file server' }),
      policy,
      now: '2026-11-24T14:05:00Z',
    });
    // security on-call: floor((now − 2026-01-05T14:00Z) / 7d) = 46 → rotation[46 mod 2] = sec.carol
    expect(reassignOf(d)).toMatchObject({
      rule: 'emergency-security',
      tier: 'T3',
      group: 'security',
      owner: 'sec.carol',
    });
    expect(priorityOf(d)).toBe('P1');
    expect(notifiers(d)).toEqual(['oncall', 'managers']);
    expect(notes(d)[0]?.text).toContain('Why escalated: emergency-security (emergency): text matches "ransomware"');
  });

  it('a VIP’s T1 ticket after 30 business minutes → T2', () => {
    const vip = { id: '174', name: 'HQCorp', vip: true };
    const before = evaluate({
      ticket: ticket(id, { location: t1, company: vip }),
      policy,
      now: '2026-11-24T14:29:00Z',
    });
    expect(reassignOf(before)).toBeUndefined();
    expect(before.nearMisses).toEqual([
      {
        rule: 'vip-fast-lane',
        text: 'timeInTier 29 business minutes (fires at 30)',
        matched: { timeInTier: 29, threshold: 30 },
      },
    ]);
    expect(before.nextCheckAt).toBe('2026-11-24T14:30:00Z');
    const d = evaluate({ ticket: ticket(id, { location: t1, company: vip }), policy, now: '2026-11-24T14:30:00Z' });
    expect(reassignOf(d)).toMatchObject({ rule: 'vip-fast-lane', tier: 'T2', group: 'tier2' });
    expect(notifiers(d)).toEqual(['managers']);
  });

  it('a P2 at 80 % of its resolution SLA → managers notified without a move', () => {
    const fields = { location: t2, priority: 'P2', firstRespondedAt: '2026-11-24T14:30:00Z' };
    const near = evaluate({ ticket: ticket(id, fields), policy, now: '2026-11-24T19:56:00Z' }); // 356 of 480 business minutes
    expect(near.nearMisses).toEqual([
      { rule: 'sla-risk', text: 'slaUsed.resolution 74% (fires at 80%)', matched: { resolution: 74, threshold: 80 } },
    ]);
    const d = evaluate({ ticket: ticket(id, fields), policy, now: '2026-11-24T20:24:00Z' });
    expect(d.clocks.resolution).toMatchObject({
      targetMinutes: 480,
      usedPct: 80,
      breached: false,
      dueAt: '2026-11-24T22:00:00Z',
    });
    expect(reassignOf(d)).toBeUndefined();
    expect(d.actions.map((a) => a.type)).toEqual(['note', 'notify']);
    expect(notifiers(d)).toEqual(['managers']);
    expect(d.reasons).toEqual([
      {
        rule: 'sla-risk',
        kind: 'hierarchical',
        text: 'slaUsed.resolution 80% >= 80%',
        matched: { resolution: 80, threshold: 80 },
        clocks: ['resolution'],
      },
    ]);
  });
});
