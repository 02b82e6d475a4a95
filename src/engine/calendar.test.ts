import { describe, expect, it } from 'vitest';

import { ALWAYS_CALENDAR, compileCalendar, compileCalendars, parseWeeklyHours } from './calendar.js';
import { formatInstant } from './time.js';
import type { CalendarConfig } from '../contract/index.js';

// Every expected value below is hand-computed and written in UTC. Zones: America/New_York is UTC-5 (EST) /
// UTC-4 (EDT, 2026-03-08 02:00 → 2026-11-01 02:00); Europe/Berlin is UTC+1 (CET) / UTC+2 (CEST,
// 2026-03-29 02:00 → 2026-10-25 03:00).
const at = (iso: string): number => Date.parse(iso);
const MIN = 60_000;
const cal = (timezone: string, hours: Record<string, string>, holidays: string[] = []) =>
  compileCalendar('test', { timezone, hours, holidays });

/** The example config's `business` calendar. */
const business = cal('America/New_York', { 'mon-fri': '08:00-18:00', sat: '09:00-13:00' }, [
  '2026-11-26',
  '2026-12-25',
  '2027-01-01',
]);
const add = (c: ReturnType<typeof cal>, from: string, minutes: number) =>
  formatInstant(c.addBusiness(at(from), minutes * MIN));
const between = (c: ReturnType<typeof cal>, a: string, b: string) => c.businessBetween(at(a), at(b)) / MIN;

describe('weekly hours parsing', () => {
  it("expands day ranges, wrapping ranges and comma lists, and merges one day's ranges", () => {
    const week = parseWeeklyHours({
      'fri-mon': '08:00-12:00,11:00-14:00',
      'tue, thu': '00:00-24:00',
      wed: '22:00-06:00',
    });
    expect(week).toEqual([
      [[480, 840]], // mon (from fri-mon)
      [[0, 1440]], // tue
      [[1320, 1800]], // wed: a night shift runs 6 h into thursday
      [[0, 1440]], // thu
      [[480, 840]], // fri
      [[480, 840]], // sat
      [[480, 840]], // sun
    ]);
  });

  it('merges ranges given for the same day under two keys', () => {
    expect(parseWeeklyHours({ 'mon-fri': '08:00-12:00', mon: '12:00-13:00,07:00-09:00' })[0]).toEqual([[420, 780]]);
  });

  it('rejects malformed keys, values and zones with the calendar name', () => {
    expect(() => compileCalendar('b', { timezone: 'Mars/Olympus', hours: {}, holidays: [] })).toThrow(
      /calendar "b".*Mars/,
    );
    expect(() => cal('UTC', { mon: '8-17' })).toThrow(/invalid hours/);
    expect(() => cal('UTC', { mon: '08:00-24:30' })).toThrow(/invalid hours/);
    expect(() => cal('UTC', { funday: '08:00-17:00' })).toThrow(/invalid day key/);
    expect(() => cal('UTC', { constructor: '08:00-17:00' })).toThrow(/invalid day key/);
    expect(() => cal('UTC', { mon: '08:00-17:00' }, ['2026-13'])).toThrow(/invalid holiday/);
  });
});

describe('weekends', () => {
  it('skips from friday evening over saturday hours and sunday', () => {
    // Fri 2026-11-20 17:00 EST: 60 min until 18:00, then Sat 09:00-10:00 EST.
    expect(add(business, '2026-11-20T22:00:00Z', 120)).toBe('2026-11-21T15:00:00Z');
    // Sat 12:30 EST: 30 min until 13:00, Sunday closed, Mon 08:00-08:30 EST.
    expect(add(business, '2026-11-21T17:30:00Z', 60)).toBe('2026-11-23T13:30:00Z');
    expect(business.isOpen(at('2026-11-22T17:00:00Z'))).toBe(false); // Sunday noon
    // Fri 00:00 EST → Mon 00:00 EST: Friday 600 + Saturday 240.
    expect(between(business, '2026-11-20T05:00:00Z', '2026-11-23T05:00:00Z')).toBe(840);
    expect(formatInstant(business.nextOpen(at('2026-11-22T17:00:00Z')))).toBe('2026-11-23T13:00:00Z');
  });
});

describe('holidays', () => {
  it('skips a holiday (Thanksgiving, Thu 2026-11-26)', () => {
    // Wed 17:00 EST: 60 min, Thursday closed, Fri 08:00-09:00 EST.
    expect(add(business, '2026-11-25T22:00:00Z', 120)).toBe('2026-11-27T14:00:00Z');
    expect(business.isOpen(at('2026-11-26T15:00:00Z'))).toBe(false);
    expect(between(business, '2026-11-26T05:00:00Z', '2026-11-27T05:00:00Z')).toBe(0);
    expect(formatInstant(business.nextEdge(at('2026-11-26T15:00:00Z')))).toBe('2026-11-27T13:00:00Z');
  });

  it('removes only the ranges that start on the holiday (night shift)', () => {
    const nights = cal('UTC', { 'mon-fri': '22:00-06:00' }, ['2026-11-27']);
    expect(nights.isOpen(at('2026-11-27T03:00:00Z'))).toBe(true); // Thursday's shift runs into the holiday
    expect(nights.isOpen(at('2026-11-27T23:00:00Z'))).toBe(false); // Friday's shift is removed
    expect(nights.isOpen(at('2026-11-28T03:00:00Z'))).toBe(false);
    expect(formatInstant(nights.nextEdge(at('2026-11-27T03:00:00Z')))).toBe('2026-11-27T06:00:00Z');
  });
});

describe('a multi-range day (Europe/Berlin, CET)', () => {
  const split = cal('Europe/Berlin', { 'mon-fri': '08:00-12:00,13:00-17:00' });
  it('stops the clock over lunch', () => {
    // Mon 2026-01-12 11:30 CET: 30 min until 12:00, lunch, 13:00-13:30 CET.
    expect(add(split, '2026-01-12T10:30:00Z', 60)).toBe('2026-01-12T12:30:00Z');
    expect(between(split, '2026-01-11T23:00:00Z', '2026-01-12T23:00:00Z')).toBe(480);
    expect(split.isOpen(at('2026-01-12T11:30:00Z'))).toBe(false);
    expect(formatInstant(split.nextOpen(at('2026-01-12T11:15:00Z')))).toBe('2026-01-12T12:00:00Z');
    expect(formatInstant(split.nextEdge(at('2026-01-12T10:00:00Z')))).toBe('2026-01-12T11:00:00Z');
    // Running out exactly at 12:00 gives 12:00, not the 13:00 reopening.
    expect(add(split, '2026-01-12T10:30:00Z', 30)).toBe('2026-01-12T11:00:00Z');
  });
});

describe('DST in America/New_York', () => {
  it('business hours follow the local clock across spring forward', () => {
    // Sat 2026-03-07 12:00 EST: 60 min to 13:00 EST; Mon 08:00 EDT is 12:00Z (was 13:00Z the week before).
    expect(add(business, '2026-03-07T17:00:00Z', 120)).toBe('2026-03-09T13:00:00Z');
    expect(between(business, '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).toBe(840);
  });

  it('business hours follow the local clock across fall back', () => {
    // Sat 2026-10-31 12:00 EDT: 60 min; Mon 08:00 EST is 13:00Z.
    expect(add(business, '2026-10-31T16:00:00Z', 120)).toBe('2026-11-02T14:00:00Z');
  });

  it('moves skipped local times forward by the gap and counts repeated ones per real minute', () => {
    const sundays = (hours: string) => cal('America/New_York', { sun: hours });
    // 2026-03-08 01:00 EST (06:00Z) → 05:00 EDT (09:00Z): 3 real hours.
    expect(between(sundays('01:00-05:00'), '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z')).toBe(180);
    // 02:30 does not exist: it starts at 03:30 EDT (07:30Z) and runs to 04:00 EDT (08:00Z).
    const skipped = sundays('02:30-04:00');
    expect(between(skipped, '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z')).toBe(30);
    expect(formatInstant(skipped.nextOpen(at('2026-03-08T06:00:00Z')))).toBe('2026-03-08T07:30:00Z');
    // 2026-11-01 00:00 EDT (04:00Z) → 03:00 EST (08:00Z): 4 real hours.
    expect(between(sundays('00:00-03:00'), '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')).toBe(240);
    // 01:00-01:30 happens twice: 05:00-05:30Z (EDT) and 06:00-06:30Z (EST).
    const repeated = sundays('01:00-01:30');
    expect(between(repeated, '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z')).toBe(60);
    expect(repeated.isOpen(at('2026-11-01T05:45:00Z'))).toBe(false); // 01:45 EDT
    expect(repeated.isOpen(at('2026-11-01T06:15:00Z'))).toBe(true); // 01:15 EST
  });

  it('a night shift over fall back lasts 9 real hours', () => {
    const nights = cal('America/New_York', { sat: '22:00-06:00' });
    // Sat 2026-10-31 22:00 EDT (02:00Z) → Sun 06:00 EST (11:00Z).
    expect(between(nights, '2026-10-31T00:00:00Z', '2026-11-02T00:00:00Z')).toBe(540);
    expect(formatInstant(nights.nextEdge(at('2026-11-01T03:00:00Z')))).toBe('2026-11-01T11:00:00Z');
  });

  it('24×7 is real elapsed time across both switches', () => {
    // With a holiday the calendar goes through the interval path (not the always-open shortcut).
    const nyAllDay = cal('America/New_York', { 'mon-sun': '00:00-24:00' }, ['2026-12-25']);
    for (const c of [nyAllDay, cal('America/New_York', { 'mon-sun': '00:00-24:00' })]) {
      expect(between(c, '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z')).toBe(23 * 60); // local Sunday 03-08
      expect(between(c, '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z')).toBe(25 * 60); // local Sunday 11-01
      expect(add(c, '2026-03-07T20:00:00Z', 24 * 60)).toBe('2026-03-08T20:00:00Z');
      expect(add(c, '2026-10-31T20:00:00Z', 24 * 60)).toBe('2026-11-01T20:00:00Z');
    }
    expect(between(nyAllDay, '2026-12-25T05:00:00Z', '2026-12-26T05:00:00Z')).toBe(0);
  });
});

describe('DST in Europe/Berlin', () => {
  const office = cal('Europe/Berlin', { 'mon-fri': '08:00-17:00' }, ['2026-12-24']);
  it('business hours across spring forward and fall back', () => {
    // Fri 2026-03-27 16:00 CET (15:00Z): 60 min; Mon 08:00 CEST = 06:00Z.
    expect(add(office, '2026-03-27T15:00:00Z', 120)).toBe('2026-03-30T07:00:00Z');
    // Fri 2026-10-23 16:00 CEST (14:00Z): 60 min; Mon 08:00 CET = 07:00Z.
    expect(add(office, '2026-10-23T14:00:00Z', 120)).toBe('2026-10-26T08:00:00Z');
  });

  it('24×7 is real time; skipped and repeated local times', () => {
    const allDay = cal('Europe/Berlin', { 'mon-sun': '00:00-24:00' }, ['2026-12-24']);
    expect(between(allDay, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z')).toBe(23 * 60);
    expect(between(allDay, '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z')).toBe(25 * 60);
    expect(add(allDay, '2026-03-28T23:00:00Z', 24 * 60)).toBe('2026-03-29T23:00:00Z');
    // 02:15 on 2026-03-29 is skipped → 03:15 CEST (01:15Z); ends 03:30 CEST (01:30Z).
    expect(between(cal('Europe/Berlin', { sun: '02:15-03:30' }), '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z')).toBe(
      15,
    );
    // 02:00-02:30 on 2026-10-25 happens at 00:00-00:30Z (CEST) and 01:00-01:30Z (CET).
    expect(between(cal('Europe/Berlin', { sun: '02:00-02:30' }), '2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z')).toBe(
      60,
    );
    // Night shift Sat 22:00 CEST (20:00Z) → Sun 04:00 CET (03:00Z).
    expect(between(cal('Europe/Berlin', { sat: '22:00-04:00' }), '2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z')).toBe(
      420,
    );
  });
});

describe('night shifts', () => {
  const nights = cal('UTC', { 'mon-fri': '22:00-06:00' });
  it('a range belongs to the day it starts on', () => {
    expect(nights.isOpen(at('2026-11-23T03:00:00Z'))).toBe(false); // Monday 03:00 belongs to Sunday: closed
    expect(nights.isOpen(at('2026-11-24T03:00:00Z'))).toBe(true); // Monday's shift
    expect(nights.isOpen(at('2026-11-28T05:59:00Z'))).toBe(true); // Friday's shift runs into Saturday
    expect(nights.isOpen(at('2026-11-28T06:00:00Z'))).toBe(false);
    // Mon 2026-11-23 21:00: opens 22:00, 8 h to Tue 06:00, next opening Tue 22:00.
    expect(add(nights, '2026-11-23T21:00:00Z', 480)).toBe('2026-11-24T06:00:00Z');
    expect(add(nights, '2026-11-23T21:00:00Z', 481)).toBe('2026-11-24T22:01:00Z');
  });
  it('merges touching shifts into one open period', () => {
    const mixed = cal('UTC', { 'mon-fri': '22:00-06:00', 'tue-fri': '06:00-08:00' });
    expect(formatInstant(mixed.nextEdge(at('2026-11-23T23:00:00Z')))).toBe('2026-11-24T08:00:00Z');
  });
});

describe('built-in and fast paths', () => {
  it('adds `always` (24×7 UTC) unless the file defines it', () => {
    const own: CalendarConfig = { timezone: 'Europe/Berlin', hours: { mon: '09:00-10:00' }, holidays: [] };
    expect(Object.keys(compileCalendars({ business: ALWAYS_CALENDAR }))).toEqual(['business', 'always']);
    const compiled = compileCalendars({ always: own });
    expect(compiled.always?.timezone).toBe('Europe/Berlin');
    expect(compiled.always?.isOpen(at('2026-11-24T12:00:00Z'))).toBe(false);
    const always = compileCalendars({}).always;
    expect(always?.businessBetween(at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'))).toBe(24 * 60 * MIN);
    expect(always?.nextEdge(at('2026-03-08T00:00:00Z'))).toBe(Infinity);
  });

  it('a calendar with no hours is never open', () => {
    const never = cal('UTC', {});
    expect(never.isOpen(at('2026-11-24T12:00:00Z'))).toBe(false);
    expect(never.addBusiness(at('2026-11-24T12:00:00Z'), MIN)).toBe(Infinity);
    expect(never.nextOpen(at('2026-11-24T12:00:00Z'))).toBe(Infinity);
    expect(never.businessBetween(0, at('2026-11-24T12:00:00Z'))).toBe(0);
  });

  it('adding zero returns the start; spans over many windows add up', () => {
    expect(business.addBusiness(at('2026-11-22T12:00:00Z'), 0)).toBe(at('2026-11-22T12:00:00Z'));
    // 2027 (local year) has 261 weekdays and 52 Saturdays; Fri 2027-01-01 is a holiday.
    expect(between(business, '2027-01-01T05:00:00Z', '2028-01-01T05:00:00Z')).toBe(260 * 600 + 52 * 240);
  });
});

describe('instants outside 1970-2200', () => {
  it('are closed and cheap instead of generating millennia of intervals', () => {
    const year1 = Date.UTC(1, 0, 1);
    const year9999 = Date.UTC(9999, 0, 1);
    expect(business.isOpen(year9999)).toBe(false);
    expect(business.addBusiness(year9999, MIN)).toBe(Infinity);
    expect(business.nextOpen(year9999)).toBe(Infinity);
    // Business time before 1970 is not counted: 1970-01-01 was a Thursday (New Year's Day is a working day here).
    expect(business.businessBetween(year1, at('1970-01-02T05:00:00Z')) / MIN).toBe(600);
    expect(formatInstant(business.addBusiness(year1, 60 * MIN))).toBe('1970-01-01T14:00:00Z');
    expect(formatInstant(business.nextOpen(year1))).toBe('1970-01-01T13:00:00Z');
  });
});

describe('date overrides (calendars.<name>.overrides)', () => {
  // 2026-12-24 is a Thursday, 2026-12-25 a Friday (holiday); New York is EST (UTC-5) then.
  const xmas = compileCalendar('xmas', {
    timezone: 'America/New_York',
    hours: { 'mon-fri': '08:00-18:00' },
    holidays: ['2026-12-25'],
    overrides: { '2026-12-24': ['08:00-12:00'], '2026-12-26': ['10:00-12:00'], '2026-12-28': [] },
  });

  it('a Christmas Eve half-day: open 08:00-12:00 local only', () => {
    expect(xmas.isOpen(at('2026-12-24T13:00:00Z'))).toBe(true); // 08:00 local
    expect(xmas.isOpen(at('2026-12-24T16:59:00Z'))).toBe(true); // 11:59
    expect(xmas.isOpen(at('2026-12-24T17:00:00Z'))).toBe(false); // 12:00: closed for the afternoon
    expect(between(xmas, '2026-12-24T00:00:00Z', '2026-12-25T05:00:00Z')).toBe(240);
    // 3 business hours from 10:00 local on the 24th: 2 h that morning, then 1 h on the override Saturday 26th.
    expect(add(xmas, '2026-12-24T15:00:00Z', 180)).toBe('2026-12-26T16:00:00Z');
    expect(xmas.nextEdge(at('2026-12-24T15:00:00Z'))).toBe(at('2026-12-24T17:00:00Z'));
  });

  it('an empty list closes a weekday; a date without an override keeps its weekday hours', () => {
    // Monday 28th closed by override: 30 minutes from Saturday 11:30 local run into Tuesday 29th 08:00.
    expect(add(xmas, '2026-12-26T16:30:00Z', 60)).toBe('2026-12-29T13:30:00Z');
    expect(xmas.isOpen(at('2026-12-23T22:00:00Z'))).toBe(true); // Wednesday 17:00 local: normal hours
  });

  it('an override on a holiday wins (it is the more specific entry)', () => {
    const c = compileCalendar('h', {
      timezone: 'UTC',
      hours: { 'mon-fri': '09:00-17:00' },
      holidays: ['2026-12-24'],
      overrides: { '2026-12-24': ['09:00-10:00'] },
    });
    expect(c.isOpen(at('2026-12-24T09:30:00Z'))).toBe(true);
    expect(c.isOpen(at('2026-12-24T10:30:00Z'))).toBe(false);
  });

  it('a 24x7 calendar with an override is no longer treated as always open', () => {
    const c = compileCalendar('a', {
      timezone: 'UTC',
      hours: { 'mon-sun': '00:00-24:00' },
      holidays: [],
      overrides: { '2026-12-25': [] },
    });
    expect(c.isOpen(at('2026-12-25T12:00:00Z'))).toBe(false);
    expect(c.businessBetween(at('2026-12-24T00:00:00Z'), at('2026-12-27T00:00:00Z')) / MIN).toBe(2 * 1440);
  });

  it('rejects a malformed override date or range', () => {
    expect(() =>
      compileCalendar('bad', { timezone: 'UTC', hours: {}, holidays: [], overrides: { '2026-13-45x': [] } }),
    ).toThrow(/calendar "bad": invalid override date/);
    expect(() =>
      compileCalendar('bad', { timezone: 'UTC', hours: {}, holidays: [], overrides: { '2026-12-24': ['8-12'] } }),
    ).toThrow(/calendar "bad"/);
  });
});
