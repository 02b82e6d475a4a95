import { describe, expect, it } from 'vitest';

import { MappingSchema } from '../contract/index.js';
import { notes, notifiers, priorityOf, reasonRules, reassignOf, run, tags } from './__fixtures__/decision-helpers.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { compilePolicy } from './compile.js';
import { evaluate } from './evaluate.js';
import { firedEntries } from './index.js';

/** The guards of docs/spec.md §2 "When rules fire", one by one, on the example policy. */

const example = loadExample();
const acme = example.compile('acme-cw');
const T2 = { queue: { id: '1' }, team: { id: '4' } };
const T3_TIER3 = { queue: { id: '12' }, team: { id: '27' } };
const P2 = { id: '5', name: 'Priority 2', level: 2 as const };
const at2h = '2026-11-24T16:00:00Z'; // the base T1 ticket has been in T1 for exactly 2 business hours

describe('once per rule per tier visit', () => {
  it('does not fire again in the same visit', () => {
    const d = run(acme, {
      state: { fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] },
      now: '2026-11-24T17:00:00Z',
    });
    expect(reasonRules(d)).not.toContain('t1-timeout');
    expect(reassignOf(d)).toBeUndefined();
  });

  it('fires again in a later visit (the earlier firing was before tierSince)', () => {
    const d = run(acme, {
      state: {
        tierSince: '2026-11-24T15:00:00Z',
        fired: [{ rule: 't1-timeout', at: '2026-11-24T14:30:00Z', tier: 'T1' }],
      },
      now: '2026-11-24T17:00:00Z',
    });
    expect(reassignOf(d)?.rule).toBe('t1-timeout');
  });

  it('a firing recorded for another tier does not block this visit', () => {
    const d = run(acme, {
      state: {
        tierSince: '2026-11-24T14:00:00Z',
        fired: [{ rule: 't1-timeout', at: '2026-11-24T14:00:00Z', tier: 'T2' }],
      },
      now: at2h,
    });
    expect(reassignOf(d)?.rule).toBe('t1-timeout');
  });

  it('our reassigns (state.escalations) count as fired within the visit', () => {
    const d = run(acme, {
      ticket: { owner: null, location: T2 },
      state: { escalations: [{ rule: 'complexity-multi-user', tier: 'T2', at: '2026-11-24T14:20:00Z' }] },
      now: '2026-11-24T14:30:00Z',
    });
    expect(d.reasons).toEqual([]);
    const blocked = run(acme, {
      ticket: { usersAffected: 3 },
      state: { escalations: [{ rule: 'complexity-multi-user', tier: 'T1', at: '2026-11-24T14:01:00Z' }] },
      now: '2026-11-24T14:05:00Z',
    });
    expect(reasonRules(blocked)).not.toContain('complexity-multi-user');
  });

  it('firedEntries records every unsuppressed matching rule with its visit tier and clocks', () => {
    const d = run(acme, { ticket: { title: 'ransomware', usersAffected: 30 }, now: '2026-11-24T14:05:00Z' });
    expect(firedEntries(d, { tier: 'T1', at: '2026-11-24T14:05:00Z' })).toEqual([
      { rule: 'emergency-security', at: '2026-11-24T14:05:00Z', tier: 'T1' },
      { rule: 'emergency-outage', at: '2026-11-24T14:05:00Z', tier: 'T1' },
      { rule: 'complexity-multi-user', at: '2026-11-24T14:05:00Z', tier: 'T1' },
    ]);
  });
});

describe('slaUsed rules fire once per ticket per clock', () => {
  const state = { fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] };

  it('records the clock that met the threshold', () => {
    const d = run(acme, { state, now: '2026-11-24T18:00:00Z' });
    const reason = d.reasons.find((r) => r.rule === 'sla-breach');
    expect(reason?.clocks).toEqual(['firstResponse']);
    expect(reason?.matched).toEqual({ firstResponse: 100, threshold: 100 });
  });

  it('does not fire again on the same clock, even in a new tier visit', () => {
    const d = run(acme, {
      ticket: { location: T2 },
      state: {
        tierSince: '2026-11-24T18:00:00Z',
        fired: [{ rule: 'sla-breach', at: '2026-11-24T18:00:00Z', tier: 'T1', clocks: ['firstResponse'] }],
      },
      now: '2026-11-24T19:00:00Z',
    });
    expect(reasonRules(d)).not.toContain('sla-breach');
  });

  it('fires again when the other clock reaches the threshold', () => {
    const d = run(acme, {
      ticket: { location: T2, priority: P2 },
      state: {
        tierSince: '2026-11-25T13:00:00Z',
        fired: [
          { rule: 'sla-breach', at: '2026-11-24T15:00:00Z', tier: 'T1', clocks: ['firstResponse'] },
          { rule: 'sla-risk', at: '2026-11-24T20:24:00Z', tier: 'T2', clocks: ['resolution'] },
        ],
      },
      now: '2026-11-25T14:00:00Z', // P2 resolution (480 business minutes) ran out Wed 09:00 local
    });
    expect(d.reasons.find((r) => r.rule === 'sla-breach')?.clocks).toEqual(['resolution']);
    expect(reassignOf(d)).toMatchObject({ rule: 'sla-breach', tier: 'T3' });
  });

  it('an slaUsed rule known only from an escalation is treated as spent (never cascades up the tiers)', () => {
    const d = run(acme, {
      ticket: { location: T2 },
      state: {
        tierSince: '2026-11-24T18:00:00Z',
        escalations: [{ rule: 'sla-breach', tier: 'T2', at: '2026-11-24T18:00:00Z' }],
      },
      now: '2026-11-24T19:00:00Z',
    });
    expect(reasonRules(d)).not.toContain('sla-breach');
  });
});

describe('one reassignment per evaluation', () => {
  it('the first matching move wins; the others only notify and tag and count as fired', () => {
    const d = run(acme, {
      ticket: { title: 'Ransomware: all users locked out', usersAffected: 40 },
      state: { recurringCount: 3 },
      now: '2026-11-24T14:05:00Z',
    });
    expect(reasonRules(d)).toEqual([
      'emergency-security',
      'emergency-outage',
      'complexity-multi-user',
      'recurring-incident',
    ]);
    expect(d.actions.filter((a) => a.type === 'reassign')).toHaveLength(1);
    expect(reassignOf(d)).toMatchObject({ rule: 'emergency-security', group: 'security' });
    expect(notes(d).map((n) => [n.rule, n.template])).toEqual([
      ['emergency-security', 'handoff'],
      ['recurring-incident', 'internal'],
    ]);
    expect(tags(d)).toEqual(['problem-candidate']);
  });

  it('each notifier is called at most once per evaluation, attributed to the first rule', () => {
    const d = run(acme, {
      ticket: { title: 'Ransomware: all users locked out', usersAffected: 40 },
      now: '2026-11-24T14:05:00Z',
    });
    expect(d.actions.filter((a) => a.type === 'notify')).toEqual([
      { type: 'notify', rule: 'emergency-security', notifier: 'oncall' },
      { type: 'notify', rule: 'emergency-security', notifier: 'managers' },
    ]);
  });

  it('priority only raises the level', () => {
    const p1 = { id: '4', name: 'Priority 1', level: 1 as const };
    expect(
      priorityOf(run(acme, { ticket: { title: 'ransomware', priority: p1 }, now: '2026-11-24T14:05:00Z' })),
    ).toBeUndefined();
    expect(priorityOf(run(acme, { ticket: { title: 'ransomware', priority: P2 }, now: '2026-11-24T14:05:00Z' }))).toBe(
      'P1',
    );
    expect(
      priorityOf(
        run(acme, {
          ticket: { title: 'ransomware', priority: { id: 'x', name: 'Unmapped', level: null } },
          now: '2026-11-24T14:05:00Z',
        }),
      ),
    ).toBe('P1');
  });
});

describe('resolved and closed tickets', () => {
  it.each(['resolved', 'closed'] as const)('%s: no actions, no reasons, no next check', (category) => {
    const d = run(acme, {
      ticket: {
        title: 'ransomware',
        status: { id: '9', name: category, category },
        resolvedAt: '2026-11-24T14:04:00Z',
      },
      now: '2026-11-24T14:05:00Z',
    });
    expect(d).toMatchObject({ actions: [], reasons: [], nearMisses: [], nextCheckAt: null });
    expect(d.clocks.resolution?.stopped).toBe(true);
  });
});

describe('manual-change hold', () => {
  const vip = { company: { id: '9', name: 'HQCorp', vip: true } };

  it('suppresses the winning move but keeps its notify', () => {
    const d = run(acme, {
      ticket: vip,
      state: { lastManualChangeAt: '2026-11-24T14:10:00Z' },
      now: '2026-11-24T14:30:00Z',
    });
    expect(reassignOf(d)).toBeUndefined();
    expect(notes(d)).toEqual([]);
    expect(notifiers(d)).toEqual(['managers']);
    expect(d.reasons).toEqual([expect.objectContaining({ rule: 'vip-fast-lane', suppressed: 'manual_hold' })]);
    expect(firedEntries(d, { tier: 'T1', at: '2026-11-24T14:30:00Z' })).toEqual([]);
  });

  it('ends after respectManualChangesFor (4h): the move happens, and nextCheckAt pointed there', () => {
    const state = { lastManualChangeAt: '2026-11-24T14:10:00Z' };
    expect(run(acme, { ticket: vip, state, now: '2026-11-24T14:30:00Z' }).nextCheckAt).toBe('2026-11-24T16:00:00Z');
    // 16:00Z is also when t1-timeout is due: check the hold end alone with a 1h hold.
    const oneHour = compilePolicy(
      example.input('acme-cw', (p) => ({ ...p, limits: { ...p.limits, respectManualChangesFor: 3_600_000 } })),
    );
    const during = evaluate({ ticket: cwTicket(vip), state, policy: oneHour, now: '2026-11-24T14:30:00Z' });
    expect(during.nextCheckAt).toBe('2026-11-24T15:10:00Z');
    expect(
      reassignOf(evaluate({ ticket: cwTicket(vip), state, policy: oneHour, now: '2026-11-24T15:09:00Z' })),
    ).toBeUndefined();
    expect(
      reassignOf(evaluate({ ticket: cwTicket(vip), state, policy: oneHour, now: '2026-11-24T15:10:00Z' }))?.rule,
    ).toBe('vip-fast-lane');
  });

  it('rules without a move still apply in full during a hold', () => {
    const d = run(acme, {
      ticket: vip,
      state: { lastManualChangeAt: '2026-11-24T14:10:00Z', recurringCount: 3 },
      now: '2026-11-24T14:30:00Z',
    });
    expect(tags(d)).toEqual(['problem-candidate']);
    expect(notes(d).map((n) => n.rule)).toEqual(['recurring-incident']);
  });
});

describe('daily limit (rolling 24 h of our reassigns)', () => {
  const escalations = [
    { rule: 'x', tier: 'T1', at: '2026-11-23T20:00:00Z' },
    { rule: 'y', tier: 'T2', at: '2026-11-24T02:00:00Z' },
    { rule: 'z', tier: 'T1', at: '2026-11-24T10:00:00Z' },
  ];

  it('keeps only the notify once 3 reassigns happened in the last 24 h', () => {
    const d = run(acme, {
      ticket: { company: { id: '9', name: 'HQCorp', vip: true } },
      state: { escalations },
      now: '2026-11-24T14:30:00Z',
    });
    expect(reassignOf(d)).toBeUndefined();
    expect(notifiers(d)).toEqual(['managers']);
    expect(d.reasons[0]).toMatchObject({ rule: 'vip-fast-lane', suppressed: 'daily_limit' });
  });

  it('nextCheckAt is when the oldest reassign leaves the window; then the move happens', () => {
    // Responded VIP ticket (no SLA breach in the way); t1-timeout already fired in this visit.
    const ticket = { company: { id: '9', name: 'HQCorp', vip: true }, firstRespondedAt: '2026-11-24T14:01:00Z' };
    const state = { escalations, fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] };
    const d = run(acme, { ticket, state, now: '2026-11-24T16:30:00Z' });
    expect(d.reasons.map((r) => [r.rule, r.suppressed])).toEqual([['vip-fast-lane', 'daily_limit']]);
    expect(d.nextCheckAt).toBe('2026-11-24T20:00:00Z'); // 2026-11-23T20:00Z + 24 h
    expect(reassignOf(run(acme, { ticket, state, now: '2026-11-24T19:59:00Z' }))).toBeUndefined();
    expect(reassignOf(run(acme, { ticket, state, now: '2026-11-24T20:00:00Z' }))?.rule).toBe('vip-fast-lane');
  });

  it('with a limit of 0 nothing ever moves and the drop never comes', () => {
    const zero = compilePolicy(
      example.input('acme-cw', (p) => ({ ...p, limits: { ...p.limits, maxAutoEscalationsPerDay: 0 } })),
    );
    const d = evaluate({ ticket: cwTicket({ title: 'ransomware' }), policy: zero, now: '2026-11-24T14:05:00Z' });
    expect(reassignOf(d)).toBeUndefined();
    expect(d.reasons[0]?.suppressed).toBe('daily_limit');
  });
});

describe('moves that are not possible', () => {
  it('never down: a T3 ticket with a network category stays', () => {
    expect(
      run(acme, { ticket: { location: T3_TIER3, category: ['Network', 'Core'] }, now: '2026-11-24T14:05:00Z' }).reasons,
    ).toEqual([]);
  });

  it('`next` from tier null never matches', () => {
    const d = run(acme, { ticket: { location: { queue: { id: '99' } } }, now: '2026-11-24T18:00:00Z' });
    expect(reasonRules(d)).not.toContain('sla-breach');
  });

  it('`next` past the top mapped tier only notifies (Autotask maps no T4)', () => {
    const globex = example.compile('globex-at');
    const d = evaluate({
      ticket: cwTicket({
        location: { queue: { id: '29683484' } },
        ref: { instance: 'globex-at', psa: 'autotask', id: '5' },
      }),
      policy: globex,
      now: '2026-11-24T18:00:00Z',
    });
    expect(reasonRules(d)).toContain('sla-breach');
    expect(reassignOf(d)).toBeUndefined();
    expect(d.actions.filter((a) => a.rule === 'sla-breach')).toEqual([
      { type: 'notify', rule: 'sla-breach', notifier: 'managers' },
    ]);
  });

  it('escalateTo a tier unmapped in the instance only notifies', () => {
    const noT3 = compilePolicy({
      ...example.input('acme-cw'),
      instance: {
        ...example.input('acme-cw').instance,
        tierLocations: MappingSchema.parse({ tiers: { T1: { board: 1, team: 3 }, T2: { board: 1, team: 4 } } }).tiers,
        groupLocations: { tier2: { board: 1, team: 4 } },
      },
    });
    const d = evaluate({ ticket: cwTicket({ title: 'ransomware' }), policy: noT3, now: '2026-11-24T14:05:00Z' });
    expect(reassignOf(d)).toBeUndefined();
    expect(d.actions.filter((a) => a.rule === 'emergency-security')).toEqual([
      { type: 'notify', rule: 'emergency-security', notifier: 'oncall' },
      { type: 'notify', rule: 'emergency-security', notifier: 'managers' },
    ]);
  });
});

describe('onMissing: block', () => {
  const blocking = compilePolicy(
    example.input('acme-cw', (p) => ({ ...p, handoff: { ...p.handoff, onMissing: 'block' } })),
  );

  it('an incomplete handoff blocks the move: internal note with the missing fields, notify, suppressed reason', () => {
    const d = evaluate({
      ticket: cwTicket({ company: { id: '9', name: 'HQCorp', vip: true }, environment: undefined, recentNotes: [] }),
      policy: blocking,
      now: '2026-11-24T14:30:00Z',
    });
    expect(reassignOf(d)).toBeUndefined();
    expect(notifiers(d)).toEqual(['managers']);
    expect(d.reasons[0]).toMatchObject({ rule: 'vip-fast-lane', suppressed: 'handoff_incomplete' });
    const [note] = notes(d);
    expect(note).toMatchObject({ rule: 'vip-fast-lane', visibility: 'internal', template: 'blocked' });
    expect(note?.text).toContain('Missing: environment, stepsTaken.');
  });

  it('a complete handoff moves as usual', () => {
    const d = evaluate({
      ticket: cwTicket({ company: { id: '9', name: 'HQCorp', vip: true } }),
      policy: blocking,
      now: '2026-11-24T14:30:00Z',
    });
    expect(reassignOf(d)?.rule).toBe('vip-fast-lane');
    expect(notes(d).map((n) => n.template)).toEqual(['handoff']);
  });
});

describe('owner unmapped in Autotask/Halo', () => {
  it('moves with the owner unchanged and flags the reason', () => {
    const input = example.input('initech-halo');
    const halo = compilePolicy({ ...input, instance: { ...input.instance, members: { 't2.erin': { agent_id: 12 } } } });
    const ticket = cwTicket({
      title: 'ransomware',
      location: { team: { id: '1', name: '1st line support' } },
      ref: { instance: 'initech-halo', psa: 'halo', id: '8' },
    });
    const d = evaluate({ ticket, policy: halo, now: '2026-11-24T14:05:00Z' });
    const reassign = reassignOf(d);
    expect(reassign).toMatchObject({
      rule: 'emergency-security',
      tier: 'T3',
      group: 'security',
      location: { team: 'Security' },
    });
    expect(reassign?.owner).toBeUndefined();
    expect(d.reasons[0]?.ownerUnmapped).toBe(true);
  });
});
