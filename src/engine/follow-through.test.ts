import { describe, expect, it } from 'vitest';

import { loadExample } from './__fixtures__/example-policy.js';
import { reassignOf, run } from './__fixtures__/decision-helpers.js';

/**
 * Follow-through (issue 17), engine side: customer calendars, handoff pickup and update promises. Instants are UTC;
 * Sydney is AEDT (UTC+11) in November, New York EST (UTC-5).
 */

const example = loadExample();
const standard = example.compile('acme-cw');

describe('calendarFor: a customer on a Sydney calendar', () => {
  // Monday 2026-11-23 08:00 in Sydney = Sunday 2026-11-22 21:00 UTC (New York: Sunday 16:00, closed).
  const created = '2026-11-22T21:00:00Z';
  const wallaby = { company: { id: '4711', name: 'Wallaby Pty Ltd', vip: false }, createdAt: created, updatedAt: created, version: created };

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
    const atSite = { ...wallaby, company: { id: '250', name: 'Contoso Ltd', vip: false }, site: { id: '9', name: 'sydney office' } };
    expect(run(standard, { ticket: atSite, now: '2026-11-22T22:00:00Z' }).nextCheckAt).toBe('2026-11-22T23:00:00Z');
  });

  it("a priority's own sla calendar still wins (P1 is 24x7)", () => {
    const p1 = { ...wallaby, priority: { id: '4', name: 'Priority 1', level: 1 as const } };
    expect(run(standard, { ticket: p1, now: '2026-11-22T21:00:00Z' }).clocks.firstResponse?.dueAt).toBe('2026-11-22T21:15:00Z');
  });

  it('an unknown calendar is a compile error naming the path', () => {
    expect(() => example.compile('acme-cw', (p) => ({ ...p, calendarFor: [{ company: ['x'], calendar: 'nope' }] }))).toThrow(
      /policies\.standard\.calendarFor\[0\]\.calendar: unknown calendar "nope"/,
    );
  });
});

describe('Christmas Eve half-day (business calendar override)', () => {
  it('a T1 ticket opened at 11:00 on Dec 24 escalates after 1 h that day and 1 h on Monday Dec 28', () => {
    // 2026-12-24 11:00 New York = 16:00 UTC; the override closes at 12:00 (17:00 UTC); Dec 25 is a holiday and
    // Saturday 26th opens 09:00-13:00 (14:00-18:00 UTC): the second hour runs 14:00-15:00 UTC on the 26th.
    const t = '2026-12-24T16:00:00Z';
    const d = run(standard, { ticket: { createdAt: t, updatedAt: t, version: t }, now: t });
    expect(d.nextCheckAt).toBe('2026-12-26T15:00:00Z');
    expect(reassignOf(run(standard, { ticket: { createdAt: t, updatedAt: t, version: t }, now: '2026-12-26T15:00:00Z' }))?.rule).toBe('t1-timeout');
  });
});
