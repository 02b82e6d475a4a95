import { describe, expect, it } from 'vitest';

import { compileCalendars } from './calendar.js';
import {
  addBusinessSkipping,
  businessElapsed,
  clockToJson,
  computeClock,
  computeClocks,
  pauseIntervals,
} from './clocks.js';
import { formatInstant } from './time.js';
import type { Policy, StatusCategory, Ticket } from '../contract/index.js';

// Hand-computed expectations in UTC. The example `business` calendar is America/New_York (EST = UTC-5 in
// November), mon-fri 08:00-18:00, sat 09:00-13:00, Thanksgiving 2026-11-26 off.
const at = (iso: string): number => Date.parse(iso);
const MIN = 60_000;
const calendars = compileCalendars({
  business: {
    timezone: 'America/New_York',
    hours: { 'mon-fri': '08:00-18:00', sat: '09:00-13:00' },
    holidays: ['2026-11-26', '2026-12-25', '2027-01-01'],
  },
});
const business = calendars.business!;

/** The example policy's SLA targets, as the config parses them (durations in ms). */
const sla: Policy['sla'] = {
  P1: { firstResponse: 15 * MIN, resolution: 240 * MIN, calendar: 'always' },
  P2: { firstResponse: 60 * MIN, resolution: 480 * MIN },
  P3: { firstResponse: 240 * MIN, resolution: 1440 * MIN },
  P4: { firstResponse: 480 * MIN, resolution: 2880 * MIN },
};
const pauseOn: StatusCategory[] = ['waiting_customer', 'waiting_vendor', 'scheduled'];

type TicketOverrides = Partial<Ticket> & { level?: 1 | 2 | 3 | 4 | null; statusCategory?: StatusCategory };
function ticket(overrides: TicketOverrides = {}): Ticket {
  const { level = 3, statusCategory = 'open', ...rest } = overrides;
  return {
    ref: { instance: 'cw', psa: 'connectwise', id: '1' },
    title: 'Printer offline',
    status: { id: '1', name: 'In progress', category: statusCategory },
    priority: { id: '3', name: 'Medium', level },
    location: {},
    tier: 'T1',
    owner: null,
    company: { id: '10', vip: false },
    category: [],
    createdAt: '2026-11-23T11:00:00Z',
    updatedAt: '2026-11-23T11:00:00Z',
    version: '2026-11-23T11:00:00Z',
    ...rest,
  };
}

const clocksAt = (
  t: Ticket,
  now: string,
  statusHistory?: { category: StatusCategory; at: string }[],
  vipFactor = 0.5,
) =>
  computeClocks({
    ticket: t,
    statusHistory,
    pauseOn,
    sla,
    vipFactor,
    defaultCalendar: 'business',
    calendars,
    now: at(now),
  });

describe('pauseIntervals', () => {
  const base = { pauseOn, createdAt: at('2026-11-24T21:00:00Z'), now: at('2026-11-25T17:00:00Z') };
  it('empty history: the current category since createdAt', () => {
    expect(pauseIntervals({ ...base, history: [], current: 'open' })).toEqual([]);
    expect(pauseIntervals({ ...base, history: [], current: 'waiting_customer' })).toEqual([
      { from: base.createdAt, to: Infinity },
    ]);
  });

  it('merges consecutive paused categories and ends a pause when work resumes', () => {
    const history = [
      { category: 'new' as const, at: at('2026-11-24T21:00:00Z') },
      { category: 'waiting_customer' as const, at: at('2026-11-24T22:00:00Z') },
      { category: 'waiting_vendor' as const, at: at('2026-11-25T02:00:00Z') },
      { category: 'open' as const, at: at('2026-11-25T15:00:00Z') },
    ];
    expect(pauseIntervals({ ...base, history, current: 'open' })).toEqual([
      { from: at('2026-11-24T22:00:00Z'), to: at('2026-11-25T15:00:00Z') },
    ]);
    // Unsorted input gives the same answer; after the last entry the current category applies.
    expect(pauseIntervals({ ...base, history: [...history].reverse(), current: 'scheduled' })).toEqual([
      { from: at('2026-11-24T22:00:00Z'), to: Infinity },
    ]);
  });

  it('ignores entries after now and clamps entries before createdAt', () => {
    const history = [
      { category: 'waiting_customer' as const, at: at('2026-11-24T20:00:00Z') },
      { category: 'open' as const, at: at('2026-11-24T23:00:00Z') },
      { category: 'waiting_customer' as const, at: at('2026-11-26T00:00:00Z') }, // after now
    ];
    expect(pauseIntervals({ ...base, history, current: 'waiting_customer' })).toEqual([
      { from: base.createdAt, to: at('2026-11-24T23:00:00Z') },
    ]);
  });

  it('the stretch before the first entry runs', () => {
    const history = [{ category: 'waiting_customer' as const, at: at('2026-11-25T14:00:00Z') }];
    expect(pauseIntervals({ ...base, history, current: 'waiting_customer' })).toEqual([
      { from: at('2026-11-25T14:00:00Z'), to: Infinity },
    ]);
    expect(pauseIntervals({ ...base, pauseOn: [], history, current: 'waiting_customer' })).toEqual([]);
  });
});

describe('business time outside pauses', () => {
  // Paused from Tue 2026-11-24 17:00 EST to Wed 10:00 EST.
  const pauses = [{ from: at('2026-11-24T22:00:00Z'), to: at('2026-11-25T15:00:00Z') }];
  it('measures and adds around a pause across a night', () => {
    // Tue 16:00-17:00 EST (60) + Wed 10:00-12:00 EST (120).
    expect(businessElapsed(business, at('2026-11-24T21:00:00Z'), at('2026-11-25T17:00:00Z'), pauses) / MIN).toBe(180);
    // 480 business minutes: 60 on Tuesday, 420 from Wed 10:00 → 17:00 EST.
    const due = addBusinessSkipping(business, at('2026-11-24T21:00:00Z'), 480 * MIN, pauses);
    expect(formatInstant(due)).toBe('2026-11-25T22:00:00Z');
    // Running out exactly where a pause starts gives that instant.
    expect(addBusinessSkipping(business, at('2026-11-24T21:00:00Z'), 60 * MIN, pauses)).toBe(pauses[0]!.from);
  });

  it('never runs out inside an open-ended pause', () => {
    const open = [{ from: at('2026-11-24T22:00:00Z'), to: Infinity }];
    expect(addBusinessSkipping(business, at('2026-11-24T21:00:00Z'), 61 * MIN, open)).toBe(Infinity);
    expect(addBusinessSkipping(business, at('2026-11-24T21:00:00Z'), 59 * MIN, open)).toBe(at('2026-11-24T21:59:00Z'));
    expect(businessElapsed(business, at('2026-11-24T21:00:00Z'), at('2026-11-30T00:00:00Z'), open)).toBe(60 * MIN);
  });
});

describe('computeClock', () => {
  const createdAt = at('2026-11-23T13:00:00Z'); // Mon 08:00 EST
  const clock = (now: string, stopAt?: string) =>
    computeClock({
      calendar: business,
      createdAt,
      targetMinutes: 600,
      pauses: [],
      now: at(now),
      ...(stopAt ? { stopAt: at(stopAt) } : {}),
    });

  it('dueAt that lands exactly at the end of an open period is that end', () => {
    expect(formatInstant(clock('2026-11-23T20:00:00Z').dueAt)).toBe('2026-11-23T23:00:00Z'); // Mon 18:00 EST
  });

  it('floors minutes and percent; breached once the target is reached', () => {
    expect(clock('2026-11-23T20:00:30Z')).toMatchObject({ elapsedMinutes: 420, usedPct: 70, breached: false });
    expect(clock('2026-11-23T22:59:59Z')).toMatchObject({ elapsedMinutes: 599, usedPct: 99, breached: false });
    expect(clock('2026-11-23T23:00:00Z')).toMatchObject({ elapsedMinutes: 600, usedPct: 100, breached: true });
    expect(clock('2026-11-24T12:00:00Z')).toMatchObject({ elapsedMinutes: 600, usedPct: 100, breached: true });
  });

  it('stopped clocks are frozen; breached only when stopped after dueAt', () => {
    const onTime = clock('2026-11-25T12:00:00Z', '2026-11-23T23:00:00Z');
    expect(onTime).toMatchObject({ stopped: true, breached: false, elapsedMinutes: 600, paused: false });
    // Stopped at Tue 07:00 EST: no more business time than at dueAt, but after it.
    const late = clock('2026-11-25T12:00:00Z', '2026-11-24T12:00:00Z');
    expect(late).toMatchObject({ stopped: true, breached: true, elapsedMinutes: 600 });
    // A stop in the future of `now` (a dry run in the past) does not stop the clock yet.
    expect(clock('2026-11-23T15:00:00Z', '2026-11-23T16:00:00Z')).toMatchObject({
      stopped: false,
      elapsedMinutes: 120,
    });
  });

  it('JSON form uses YYYY-MM-DDTHH:mm:ssZ', () => {
    expect(clockToJson(clock('2026-11-23T20:00:00Z'))).toEqual({
      targetMinutes: 600,
      dueAt: '2026-11-23T23:00:00Z',
      elapsedMinutes: 420,
      usedPct: 70,
      breached: false,
      paused: false,
      stopped: false,
    });
  });
});

describe('computeClocks', () => {
  it('a ticket created outside hours starts counting at the next opening', () => {
    // P3 created Mon 2026-11-23 06:00 EST; 240 min from 08:00 EST → 12:00 EST.
    const c = clocksAt(ticket({ createdAt: '2026-11-23T11:00:00Z' }), '2026-11-23T14:00:00Z');
    expect(clockToJson(c.firstResponse!)).toMatchObject({
      targetMinutes: 240,
      dueAt: '2026-11-23T17:00:00Z',
      elapsedMinutes: 60,
      usedPct: 25,
    });
    // Resolution 1440: Mon 600 + Tue 600 + Wed 08:00-12:00 EST.
    expect(clockToJson(c.resolution!).dueAt).toBe('2026-11-25T17:00:00Z');
    expect(c.calendar.name).toBe('business');
  });

  it('pause and resume across a night', () => {
    // P2 created Tue 16:00 EST; waiting on the customer 17:00 EST → Wed 10:00 EST.
    const t = ticket({ level: 2, createdAt: '2026-11-24T21:00:00Z' });
    const history = [
      { category: 'open' as const, at: '2026-11-24T21:00:00Z' },
      { category: 'waiting_customer' as const, at: '2026-11-24T22:00:00Z' },
    ];
    // Wed 09:00 EST, still waiting: 60 min used; if work resumed now, 420 left → Wed 16:00 EST.
    const waiting = clocksAt(
      { ...t, status: { ...t.status, category: 'waiting_customer' } },
      '2026-11-25T14:00:00Z',
      history,
    );
    expect(waiting.resolution).toMatchObject({ paused: true, elapsedMinutes: 60, usedPct: 12 });
    expect(formatInstant(waiting.resolution!.dueAt)).toBe('2026-11-25T21:00:00Z');
    expect(waiting.pauses).toEqual([{ from: at('2026-11-24T22:00:00Z'), to: Infinity }]);
    // Resumed Wed 10:00 EST; at 12:00 EST: 60 + 120 = 180 min; 420 left from 10:00 → due Wed 17:00 EST.
    const resumed = clocksAt(t, '2026-11-25T17:00:00Z', [...history, { category: 'open', at: '2026-11-25T15:00:00Z' }]);
    expect(resumed.resolution).toMatchObject({ paused: false, elapsedMinutes: 180, usedPct: 37 });
    expect(formatInstant(resumed.resolution!.dueAt)).toBe('2026-11-25T22:00:00Z');
  });

  it('VIP company or contact: max(1, floor(target × slaFactor))', () => {
    const vipCo = clocksAt(ticket({ level: 2, company: { id: '1', vip: true } }), '2026-11-23T14:00:00Z');
    expect(vipCo.firstResponse!.targetMinutes).toBe(30);
    expect(vipCo.resolution!.targetMinutes).toBe(240);
    expect(formatInstant(vipCo.firstResponse!.dueAt)).toBe('2026-11-23T13:30:00Z');
    const vipContact = clocksAt(
      ticket({ level: 1, contact: { id: '7', vip: true } }),
      '2026-11-23T14:00:00Z',
      undefined,
      0.3,
    );
    expect(vipContact.firstResponse!.targetMinutes).toBe(4); // floor(15 × 0.3)
    const tiny = clocksAt(
      ticket({ level: 1, company: { id: '1', vip: true } }),
      '2026-11-23T14:00:00Z',
      undefined,
      0.01,
    );
    expect(tiny.firstResponse!.targetMinutes).toBe(1);
    expect(clocksAt(ticket({ level: 2 }), '2026-11-23T14:00:00Z').firstResponse!.targetMinutes).toBe(60);
  });

  it('a 24×7 P1 next to a business-hours P3 created on a Saturday morning', () => {
    const created = '2026-11-21T15:00:00Z'; // Sat 10:00 EST
    const p1 = clocksAt(ticket({ level: 1, createdAt: created }), '2026-11-21T15:10:00Z');
    expect(p1.calendar.name).toBe('always');
    expect(clockToJson(p1.firstResponse!)).toMatchObject({
      dueAt: '2026-11-21T15:15:00Z',
      elapsedMinutes: 10,
      usedPct: 66,
    });
    expect(clockToJson(p1.resolution!).dueAt).toBe('2026-11-21T19:00:00Z');
    const p3 = clocksAt(ticket({ level: 3, createdAt: created }), '2026-11-21T15:10:00Z');
    // Sat 10:00-13:00 (180) + Mon 08:00-09:00 EST (60).
    expect(clockToJson(p3.firstResponse!).dueAt).toBe('2026-11-23T14:00:00Z');
    // 180 + Mon 600 + Tue 600 + Wed 08:00-09:00 EST (60).
    expect(clockToJson(p3.resolution!).dueAt).toBe('2026-11-25T14:00:00Z');
  });

  it('stops at firstRespondedAt / resolvedAt; no mapped priority → no clocks', () => {
    const t = ticket({ level: 2, createdAt: '2026-11-23T13:00:00Z', firstRespondedAt: '2026-11-23T14:30:00Z' });
    const c = clocksAt(t, '2026-11-24T13:00:00Z');
    expect(c.firstResponse).toMatchObject({ stopped: true, breached: true, elapsedMinutes: 90 });
    expect(c.resolution).toMatchObject({ stopped: false, breached: true, elapsedMinutes: 600 });
    const resolved = clocksAt({ ...t, resolvedAt: '2026-11-23T15:00:00Z' }, '2026-11-24T13:00:00Z');
    expect(resolved.resolution).toMatchObject({ stopped: true, breached: false, elapsedMinutes: 120, usedPct: 25 });
    const none = clocksAt(ticket({ level: null, statusCategory: 'waiting_customer' }), '2026-11-24T13:00:00Z', [
      { category: 'waiting_customer', at: '2026-11-23T12:00:00Z' },
    ]);
    expect(none.firstResponse).toBeUndefined();
    expect(none.resolution).toBeUndefined();
    expect(none.calendar.name).toBe('business');
    expect(none.pauses).toEqual([{ from: at('2026-11-23T12:00:00Z'), to: Infinity }]);
  });

  it('a closed ticket without resolvedAt stops when it was closed', () => {
    const t = ticket({
      level: 2,
      statusCategory: 'closed',
      createdAt: '2026-11-23T13:00:00Z',
      updatedAt: '2026-11-23T20:00:00Z',
    });
    const c = clocksAt(t, '2026-11-30T13:00:00Z', [{ category: 'resolved', at: '2026-11-23T15:00:00Z' }]);
    expect(c.resolution).toMatchObject({ stopped: true, elapsedMinutes: 120 });
    expect(c.firstResponse).toMatchObject({ stopped: true, elapsedMinutes: 120, breached: true });
    expect(clocksAt(t, '2026-11-30T13:00:00Z').resolution).toMatchObject({ stopped: true, elapsedMinutes: 420 });
  });
});
