import { describe, expect, it } from 'vitest';

import { RuleSchema } from '../contract/index.js';
import type { Decision, TicketState } from '../contract/index.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { notes, notifiers, reassignOf, run } from './__fixtures__/decision-helpers.js';

/**
 * Follow-through (issue 17), engine side: customer calendars, handoff pickup and update promises. Instants are UTC;
 * Sydney is AEDT (UTC+11) in November, New York EST (UTC-5).
 */

const example = loadExample();
const standard = example.compile('acme-cw');

describe('calendarFor: a customer on a Sydney calendar', () => {
  // Monday 2026-11-23 08:00 in Sydney = Sunday 2026-11-22 21:00 UTC (New York: Sunday 16:00, closed).
  const created = '2026-11-22T21:00:00Z';
  const wallaby = {
    company: { id: '4711', name: 'Wallaby Pty Ltd', vip: false },
    createdAt: created,
    updatedAt: created,
    version: created,
  };

  it('runs t1-timeout (timeInTier 2h) on Sydney hours: due Monday 10:00 Sydney', () => {
    const d = run(standard, { ticket: wallaby, now: '2026-11-22T22:00:00Z' });
    expect(d.nextCheckAt).toBe('2026-11-22T23:00:00Z');
    expect(d.clocks.firstResponse?.dueAt).toBe('2026-11-23T01:00:00Z'); // 240 business minutes after 08:00 Sydney
    const fired = run(standard, { ticket: wallaby, now: '2026-11-22T23:00:00Z' });
    expect(reassignOf(fired)?.rule).toBe('t1-timeout');
    expect(reassignOf(fired)?.tier).toBe('T2');
  });

  it('a customer without an entry stays on the policy calendar (New York hours)', () => {
    const other = { ...wallaby, company: { id: '250', name: 'Contoso Ltd', vip: false } };
    const d = run(standard, { ticket: other, now: '2026-11-22T23:00:00Z' });
    expect(reassignOf(d)).toBeUndefined();
    expect(d.nextCheckAt).toBe('2026-11-23T15:00:00Z'); // Monday 08:00 New York + 2 h
  });

  it('matches a site by name, case-insensitively', () => {
    const atSite = {
      ...wallaby,
      company: { id: '250', name: 'Contoso Ltd', vip: false },
      site: { id: '9', name: 'sydney office' },
    };
    expect(run(standard, { ticket: atSite, now: '2026-11-22T22:00:00Z' }).nextCheckAt).toBe('2026-11-22T23:00:00Z');
  });

  it("a priority's own sla calendar still wins (P1 is 24x7)", () => {
    const p1 = { ...wallaby, priority: { id: '4', name: 'Priority 1', level: 1 as const } };
    expect(run(standard, { ticket: p1, now: '2026-11-22T21:00:00Z' }).clocks.firstResponse?.dueAt).toBe(
      '2026-11-22T21:15:00Z',
    );
  });

  it('an unknown calendar is a compile error naming the path', () => {
    expect(() =>
      example.compile('acme-cw', (p) => ({ ...p, calendarFor: [{ company: ['x'], calendar: 'nope' }] })),
    ).toThrow(/policies\.standard\.calendarFor\[0\]\.calendar: unknown calendar "nope"/);
  });
});

describe('Christmas Eve half-day (business calendar override)', () => {
  it('a T1 ticket opened at 11:00 on Dec 24 escalates after 1 h that day and 1 h on Monday Dec 28', () => {
    // 2026-12-24 11:00 New York = 16:00 UTC; the override closes at 12:00 (17:00 UTC); Dec 25 is a holiday and
    // Saturday 26th opens 09:00-13:00 (14:00-18:00 UTC): the second hour runs 14:00-15:00 UTC on the 26th.
    const t = '2026-12-24T16:00:00Z';
    const d = run(standard, { ticket: { createdAt: t, updatedAt: t, version: t }, now: t });
    expect(d.nextCheckAt).toBe('2026-12-26T15:00:00Z');
    expect(
      reassignOf(run(standard, { ticket: { createdAt: t, updatedAt: t, version: t }, now: '2026-12-26T15:00:00Z' }))
        ?.rule,
    ).toBe('t1-timeout');
  });
});

const withRules = (...rules: unknown[]) =>
  example.compile('acme-cw', (p) => ({ ...p, rules: [...p.rules, ...rules.map((r) => RuleSchema.parse(r))] }));

describe('notPickedUpFor: a handoff nobody picks up', () => {
  const policy = withRules({
    id: 'handoff-not-picked-up',
    kind: 'hierarchical',
    when: { notPickedUpFor: '30m', status: { not: ['resolved', 'closed'] } },
    then: { notify: ['managers'], note: 'internal' },
  });
  // Moved to T2 (board 1, team 4) and to t2.erin on Tuesday 2026-11-24 10:00 New York (15:00 UTC).
  const movedAt = '2026-11-24T15:00:00Z';
  const inT2 = { location: { queue: { id: '1' }, team: { id: '4' } }, owner: { id: 't2.erin', name: 't2.erin' } };
  const state = (moved = movedAt): TicketState => ({
    tierSince: moved,
    escalations: [{ rule: 't1-timeout', kind: 'tiered', tier: 'T2', at: moved }],
  });
  const fires = (d: Decision) => d.reasons.some((r) => r.rule === 'handoff-not-picked-up');

  it('schedules the check for exactly 30 business minutes after the move and fires then, not a second earlier', () => {
    expect(run(policy, { ticket: inT2, state: state(), now: '2026-11-24T15:10:00Z' }).nextCheckAt).toBe(
      '2026-11-24T15:30:00Z',
    );
    expect(fires(run(policy, { ticket: inT2, state: state(), now: '2026-11-24T15:29:59Z' }))).toBe(false);
    const d = run(policy, { ticket: inT2, state: state(), now: '2026-11-24T15:30:00Z' });
    expect(fires(d)).toBe(true);
    expect(notifiers(d)).toContain('managers');
    const reason = d.reasons.find((r) => r.rule === 'handoff-not-picked-up');
    expect(reason?.matched).toMatchObject({ notPickedUpFor: 30, threshold: 30, movedAt });
  });

  it('does not fire when the new owner wrote a note at minute 29', () => {
    const note = { at: '2026-11-24T15:29:00Z', author: 't2.erin', internal: true, text: 'Looking at it.', ours: false };
    const ticket = { ...inT2, recentNotes: [note, ...cwTicket().recentNotes!] };
    const d = run(policy, { ticket, state: state(), now: '2026-11-24T15:30:00Z' });
    expect(fires(d)).toBe(false);
    expect(d.nextCheckAt).not.toBe('2026-11-24T15:30:00Z');
    // Pipeline-recorded activity (time entry, status change) counts the same way.
    expect(
      fires(
        run(policy, {
          ticket: inT2,
          state: { ...state(), ownerActivityAt: '2026-11-24T15:29:00Z' },
          now: '2026-11-24T15:30:00Z',
        }),
      ),
    ).toBe(false);
  });

  it('notes by someone else, or our own, are not a pickup', () => {
    const notes = [
      { at: '2026-11-24T15:20:00Z', author: 'alice', internal: true, text: 'FYI', ours: false },
      { at: '2026-11-24T15:21:00Z', author: 't2.erin', internal: true, text: '[esc:1] handoff', ours: true },
    ];
    expect(
      fires(run(policy, { ticket: { ...inT2, recentNotes: notes }, state: state(), now: '2026-11-24T15:30:00Z' })),
    ).toBe(true);
  });

  it('counts business time: a move at 17:45 New York is due 08:15 the next business morning', () => {
    const late = '2026-11-24T22:45:00Z';
    expect(run(policy, { ticket: inT2, state: state(late), now: '2026-11-24T23:00:00Z' }).nextCheckAt).toBe(
      '2026-11-25T13:15:00Z',
    );
  });

  it('never matches a ticket we did not move', () => {
    const d = run(policy, { ticket: inT2, state: { tierSince: movedAt }, now: '2026-11-24T18:00:00Z' });
    expect(fires(d)).toBe(false);
  });
});

describe('updateOverdue: a missed customer update promise', () => {
  const policy = withRules({
    id: 'update-promise-missed',
    kind: 'hierarchical',
    when: { updateOverdue: true },
    then: { notify: ['managers'], note: 'internal' },
  });
  const inT2 = {
    location: { queue: { id: '1' }, team: { id: '4' } },
    owner: { id: 't2.erin', name: 't2.erin' },
    firstRespondedAt: '2026-11-24T14:05:00Z',
  };
  const promise = { madeAt: '2026-11-24T15:00:00Z', by: '2026-11-24T19:00:00Z' };
  const base: TicketState = { tierSince: '2026-11-24T15:00:00Z', updatePromise: promise };
  const fires = (d: Decision) => d.reasons.some((r) => r.rule === 'update-promise-missed');

  it('is scheduled at the promised instant and fires when it passed without an update', () => {
    expect(run(policy, { ticket: inT2, state: base, now: '2026-11-24T18:30:00Z' }).nextCheckAt).toBe(
      '2026-11-24T19:00:00Z',
    );
    expect(fires(run(policy, { ticket: inT2, state: base, now: '2026-11-24T18:59:59Z' }))).toBe(false);
    const d = run(policy, { ticket: inT2, state: base, now: '2026-11-24T19:00:00Z' });
    expect(fires(d)).toBe(true);
    expect(d.reasons.find((r) => r.rule === 'update-promise-missed')?.matched).toEqual({
      updateOverdue: true,
      promisedBy: '2026-11-24T19:00:00Z',
    });
  });

  it('a customer-visible note by a technician keeps the promise; one by the contact does not', () => {
    const tech = {
      at: '2026-11-24T18:45:00Z',
      author: 't2.erin',
      internal: false,
      text: 'Update: vendor replied.',
      ours: false,
    };
    const contact = { at: '2026-11-24T18:45:00Z', author: 'Jane Doe', internal: false, text: 'Any news?', ours: false };
    expect(
      fires(run(policy, { ticket: { ...inT2, recentNotes: [tech] }, state: base, now: '2026-11-24T19:00:00Z' })),
    ).toBe(false);
    expect(
      fires(run(policy, { ticket: { ...inT2, recentNotes: [contact] }, state: base, now: '2026-11-24T19:00:00Z' })),
    ).toBe(true);
    expect(
      fires(
        run(policy, {
          ticket: inT2,
          state: { ...base, customerUpdateAt: '2026-11-24T18:00:00Z' },
          now: '2026-11-24T19:00:00Z',
        }),
      ),
    ).toBe(false);
  });

  it('fires once per promise: not again for the same one, again for a newer one', () => {
    const fired = [{ rule: 'update-promise-missed', at: '2026-11-24T19:00:00Z', tier: 'T2' }];
    expect(fires(run(policy, { ticket: inT2, state: { ...base, fired }, now: '2026-11-24T19:30:00Z' }))).toBe(false);
    const renewed = { ...base, fired, updatePromise: { madeAt: '2026-11-24T19:05:00Z', by: '2026-11-24T21:00:00Z' } };
    expect(fires(run(policy, { ticket: inT2, state: renewed, now: '2026-11-24T21:00:00Z' }))).toBe(true);
  });

  it('our customer note carries the promised instant (the resolution due time it names)', () => {
    // sla-breach (customerNote: true) fires once first response is breached: 240 business minutes after 09:00.
    const d = run(standard, {
      ticket: { location: { queue: { id: '1' }, team: { id: '4' } } },
      now: '2026-11-24T18:00:00Z',
    });
    expect(reassignOf(d)?.rule).toBe('sla-breach');
    const customer = notes(d).find((n) => n.visibility === 'customer');
    expect(customer?.promisedUpdateBy).toBe(d.clocks.resolution?.dueAt);
    expect(customer?.text).toContain('Next update by');
  });
});

describe('the example follow-through policy', () => {
  it('compiles, and its handoff rule fires 30 business minutes after our move', () => {
    const policy = example.compile('acme-cw', () => example.policies['follow-through']!);
    const movedAt = '2026-11-24T15:00:00Z';
    const ticket = { location: { queue: { id: '1' }, team: { id: '4' } }, owner: { id: 't2.erin', name: 't2.erin' } };
    const state: TicketState = { tierSince: movedAt, escalations: [{ rule: 't1-timeout', tier: 'T2', at: movedAt }] };
    expect(run(policy, { ticket, state, now: '2026-11-24T15:05:00Z' }).nextCheckAt).toBe('2026-11-24T15:30:00Z');
    const d = run(policy, { ticket, state, now: '2026-11-24T15:30:00Z' });
    expect(d.reasons.map((r) => r.rule)).toEqual(['handoff-not-picked-up']);
    expect(notifiers(d)).toEqual(['managers-quiet', 'oncall']);
  });
});

describe('rca: root-cause analysis after an emergency', () => {
  const policy = example.compile('acme-cw', (p) => ({
    ...p,
    rca: { after: ['emergency'], within: 5 * 86_400_000, heading: 'RCA:', notify: ['managers'] },
  }));
  // Ransomware on Tuesday 2026-11-24 09:00 New York; resolved Wednesday 25th 15:00 (20:00Z). Thursday 26th is a
  // holiday: business days after the 25th are Fri 27, Sat 28, Mon 30, Tue 1, Wed 2 → due Wed 2 Dec 18:00 (23:00Z).
  const emergencyState: TicketState = {
    tierSince: '2026-11-24T14:00:00Z',
    fired: [{ rule: 'emergency-security', at: '2026-11-24T14:00:00Z', tier: 'T1' }],
    escalations: [{ rule: 'emergency-security', kind: 'emergency', tier: 'T3', at: '2026-11-24T14:00:00Z' }],
  };
  const resolved = {
    title: 'Ransomware note on file server',
    status: { id: '9', name: 'Resolved', category: 'resolved' as const },
    location: { queue: { id: '12' }, team: { id: '30' } },
    owner: { id: 'sec.carol', name: 'sec.carol' },
    createdAt: '2026-11-24T14:00:00Z',
    resolvedAt: '2026-11-25T20:00:00Z',
    updatedAt: '2026-11-25T20:00:00Z',
    version: '2026-11-25T20:00:00Z',
  };
  const DUE = '2026-12-02T23:00:00Z';

  it('resolved without RCA → an internal "RCA required" note with the timeline, a notify, and a check at the deadline', () => {
    const d = run(policy, { ticket: resolved, state: emergencyState, now: '2026-11-25T20:00:00Z' });
    expect(d.reasons).toEqual([
      expect.objectContaining({
        rule: 'rca-required',
        kind: 'hierarchical',
        matched: { rca: 'required', after: 'emergency', dueAt: DUE },
      }),
    ]);
    const [note] = notes(d);
    expect(note).toMatchObject({ rule: 'rca-required', visibility: 'internal', template: 'rca' });
    expect(note!.text).toContain('Write a note starting with "RCA:"');
    expect(note!.text).toContain('by 2026-12-02 18:00 EST');
    expect(note!.text).toContain('- detected 2026-11-24 09:00 EST by rule emergency-security');
    expect(note!.text).toContain('- moved to T3 2026-11-24 09:00 EST (rule emergency-security)');
    expect(note!.text).toContain('- owner at resolution: sec.carol');
    expect(notifiers(d)).toEqual(['managers']);
    expect(d.nextCheckAt).toBe(DUE);
  });

  it('overdue after 5 business days: notified once, at the deadline', () => {
    const requested: TicketState = { ...emergencyState, rca: { requestedAt: '2026-11-25T20:00:00Z' } };
    const before = run(policy, { ticket: resolved, state: requested, now: '2026-12-02T22:59:59Z' });
    expect(before.actions).toEqual([]);
    expect(before.nextCheckAt).toBe(DUE);
    const overdue = run(policy, { ticket: resolved, state: requested, now: DUE });
    expect(overdue.reasons.map((r) => r.rule)).toEqual(['rca-overdue']);
    expect(notifiers(overdue)).toEqual(['managers']);
    const once = run(policy, {
      ticket: resolved,
      state: { ...emergencyState, rca: { requestedAt: '2026-11-25T20:00:00Z', overdueNotifiedAt: DUE } },
      now: '2026-12-03T15:00:00Z',
    });
    expect(once.actions).toEqual([]);
    expect(once.nextCheckAt).toBeNull();
  });

  it('a person\u2019s note starting with the heading completes it', () => {
    const rcaNote = {
      at: '2026-11-30T15:00:00Z',
      author: 'sec.carol',
      internal: true,
      text: 'RCA: phishing mail, MFA missing on the admin account; enforced MFA.',
      ours: false,
    };
    const requested: TicketState = { ...emergencyState, rca: { requestedAt: '2026-11-25T20:00:00Z' } };
    const d = run(policy, { ticket: { ...resolved, recentNotes: [rcaNote] }, state: requested, now: DUE });
    expect(d.actions).toEqual([]);
    expect(d.nextCheckAt).toBeNull();
  });

  it('tickets without an emergency, or policies without rca, get nothing', () => {
    expect(
      run(policy, { ticket: resolved, state: { tierSince: '2026-11-24T14:00:00Z' }, now: '2026-11-25T20:00:00Z' })
        .actions,
    ).toEqual([]);
    expect(run(standard, { ticket: resolved, state: emergencyState, now: '2026-11-25T20:00:00Z' }).actions).toEqual([]);
  });

  it('`after` may name a tier (arrivals we moved there); a bad name is a compile error naming the path', () => {
    const t3 = example.compile('acme-cw', (p) => ({
      ...p,
      rca: { after: ['T3'], within: 86_400_000, heading: 'RCA:', notify: [] },
    }));
    const state: TicketState = {
      escalations: [{ rule: 't2-timeout', kind: 'tiered', tier: 'T3', at: '2026-11-24T14:00:00Z' }],
    };
    const d = run(t3, { ticket: resolved, state, now: '2026-11-25T20:00:00Z' });
    expect(d.reasons[0]?.matched).toEqual({ rca: 'required', after: 'tier T3', dueAt: '2026-11-27T23:00:00Z' });
    expect(() =>
      example.compile('acme-cw', (p) => ({ ...p, rca: { after: ['T9'], within: 1, heading: 'RCA:', notify: [] } })),
    ).toThrow(/policies\.standard\.rca\.after\[0\]: "T9" is neither/);
  });
});

describe('the example follow-through policy: rca', () => {
  it('asks for an RCA when an emergency ticket is resolved', () => {
    const policy = example.compile('acme-cw', () => example.policies['follow-through']!);
    const state: TicketState = {
      fired: [{ rule: 'x', at: '2026-11-24T14:00:00Z' }],
      escalations: [{ rule: 'x', kind: 'emergency', tier: 'T3', at: '2026-11-24T14:00:00Z' }],
    };
    const t = {
      status: { id: '9', name: 'Resolved', category: 'resolved' as const },
      resolvedAt: '2026-11-25T20:00:00Z',
    };
    const d = run(policy, { ticket: t, state, now: '2026-11-25T20:00:00Z' });
    expect(d.reasons.map((r) => r.rule)).toEqual(['rca-required']);
    expect(d.nextCheckAt).toBe('2026-12-02T23:00:00Z');
  });
});
