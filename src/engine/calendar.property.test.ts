import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';

import { compileCalendar, parseWeeklyHours } from './calendar.js';
import { addBusinessSkipping, businessElapsed, computeClock, pauseIntervals } from './clocks.js';
import type { StatusChange } from './clocks.js';
import type { CalendarConfig, StatusCategory } from '../contract/index.js';

// Invariants of business-time arithmetic over random calendars (zones with 1 h and 30 min DST shifts, half-hour
// offsets, night shifts, holidays), random instants in 2025-2027 and random pause histories.
const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');
const T1 = Date.parse('2027-12-31T00:00:00Z');
const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns'];
const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const range = fc
  .tuple(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 96 }))
  .map(([a, b]) => `${hhmm(a * 15)}-${hhmm(b * 15)}`);
const dayKey = fc
  .tuple(fc.constantFrom(...days), fc.constantFrom(...days), fc.boolean())
  .map(([a, b, isRange]) => (isRange ? `${a}-${b}` : a));
const calendarConfig: fc.Arbitrary<CalendarConfig> = fc.record({
  timezone: fc.constantFrom(...zones),
  hours: fc.dictionary(
    dayKey,
    fc.array(range, { minLength: 1, maxLength: 3 }).map((r) => r.join(',')),
    {
      minKeys: 1,
      maxKeys: 4,
    },
  ),
  holidays: fc
    .array(fc.integer({ min: 0, max: 1094 }), { maxLength: 12 })
    .map((ds) => ds.map((d) => new Date(T0 + d * DAY).toISOString().slice(0, 10))),
});
/** Calendars with some open time (a calendar with no hours is covered by unit tests). */
const openCalendar = calendarConfig.filter((c) => parseWeeklyHours(c.hours).some((d) => d.length > 0));
const instant = fc.integer({ min: T0, max: T1 });
const businessMs = fc.integer({ min: 1, max: 20 * DAY });

const categories: StatusCategory[] = ['new', 'open', 'waiting_customer', 'waiting_vendor', 'scheduled'];
const pauseOn: StatusCategory[] = ['waiting_customer', 'waiting_vendor', 'scheduled'];
const history = fc.array(
  fc.record({ category: fc.constantFrom(...categories), at: fc.integer({ min: 0, max: 30 * DAY }) }),
  { maxLength: 8 },
);

describe('business time invariants', () => {
  it('adding then measuring round-trips, and the due instant is the earliest one', () => {
    fc.assert(
      fc.property(openCalendar, instant, businessMs, (config, from, ms) => {
        const cal = compileCalendar('p', config);
        const due = cal.addBusiness(from, ms);
        expect(due).toBeGreaterThan(from);
        expect(cal.businessBetween(from, due)).toBe(ms);
        expect(cal.businessBetween(from, due - 1)).toBe(ms - 1);
      }),
    );
  });

  it('due instants never fall outside open hours, except at the end of an open period', () => {
    fc.assert(
      fc.property(openCalendar, instant, businessMs, (config, from, ms) => {
        const cal = compileCalendar('p', config);
        const due = cal.addBusiness(from, ms);
        // The last business millisecond is [due - 1, due): open. `due` itself is open or the end of that period.
        expect(cal.isOpen(due - 1)).toBe(true);
        if (!cal.isOpen(due)) expect(cal.nextEdge(due - 1)).toBe(due);
      }),
    );
  });

  it('edges and openings agree with isOpen', () => {
    fc.assert(
      fc.property(openCalendar, instant, (config, t) => {
        const cal = compileCalendar('p', config);
        const edge = cal.nextEdge(t);
        expect(edge).toBeGreaterThan(t);
        if (edge === Infinity) {
          // Open for good (24×7 with no holiday ahead).
          expect(cal.businessBetween(t, t + 400 * DAY)).toBe(400 * DAY);
          return;
        }
        expect(cal.isOpen(edge - 1)).toBe(cal.isOpen(t));
        expect(cal.isOpen(edge)).toBe(!cal.isOpen(t));
        expect(cal.businessBetween(t, edge)).toBe(cal.isOpen(t) ? edge - t : 0);
        const open = cal.nextOpen(t);
        expect(cal.isOpen(open)).toBe(true);
        expect(open === t || cal.businessBetween(t, open) === 0).toBe(true);
      }),
    );
  });

  it('matches a wall-clock oracle away from DST changes', () => {
    const offsetAt = (zone: string, t: number) => DateTime.fromMillis(t, { zone }).offset;
    fc.assert(
      fc.property(openCalendar, instant, (config, t) => {
        const zone = config.timezone;
        fc.pre(offsetAt(zone, t - 3 * DAY) === offsetAt(zone, t + 3 * DAY));
        const week = parseWeeklyHours(config.hours);
        const local = DateTime.fromMillis(t, { zone });
        const minute = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / MIN;
        const openOn = (d: DateTime, m: number) =>
          !config.holidays.includes(d.toISODate() ?? '') &&
          (week[d.weekday - 1] ?? []).some(([s, e]) => s <= m && m < e);
        const expected = openOn(local, minute) || openOn(local.minus({ days: 1 }), minute + 1440);
        expect(compileCalendar('p', config).isOpen(t)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('skipping pauses: round-trips and never lands inside a pause', () => {
    fc.assert(
      fc.property(
        openCalendar,
        instant,
        businessMs,
        history,
        fc.constantFrom(...categories),
        (config, from, ms, h, cur) => {
          const cal = compileCalendar('p', config);
          const entries: StatusChange[] = h.map((e) => ({ category: e.category, at: from + e.at }));
          const pauses = pauseIntervals({
            history: entries,
            current: cur,
            pauseOn,
            createdAt: from,
            now: from + 30 * DAY,
          });
          const due = addBusinessSkipping(cal, from, ms, pauses);
          if (due === Infinity) {
            expect(pauses.at(-1)?.to).toBe(Infinity);
            expect(businessElapsed(cal, from, pauses.at(-1)!.from, pauses)).toBeLessThan(ms);
            return;
          }
          expect(businessElapsed(cal, from, due, pauses)).toBe(ms);
          expect(businessElapsed(cal, from, due - 1, pauses)).toBe(ms - 1);
          // Never inside a pause: running out exactly where a pause starts is the only contact allowed.
          expect(pauses.some((p) => p.from < due && due <= p.to)).toBe(false);
        },
      ),
    );
  });
});

describe('clock invariants', () => {
  const clockArgs = fc.record({
    config: openCalendar,
    createdAt: instant,
    h: history,
    current: fc.constantFrom(...categories),
    target: fc.integer({ min: 1, max: 3000 }),
    stop: fc.option(fc.integer({ min: 0, max: 30 * DAY }), { nil: undefined }),
    a: fc.integer({ min: 0, max: 40 * DAY }),
    b: fc.integer({ min: 0, max: 40 * DAY }),
  });
  type ClockArgs = typeof clockArgs extends fc.Arbitrary<infer T> ? T : never;
  const clockAt = (args: ClockArgs, cal: ReturnType<typeof compileCalendar>, offset: number) => {
    const now = args.createdAt + offset;
    const entries = args.h.map((e) => ({ category: e.category, at: args.createdAt + e.at }));
    const pauses = pauseIntervals({ history: entries, current: args.current, pauseOn, createdAt: args.createdAt, now });
    const stopAt = args.stop === undefined ? undefined : args.createdAt + args.stop;
    return computeClock({ calendar: cal, createdAt: args.createdAt, targetMinutes: args.target, pauses, now, stopAt });
  };

  it('clocks are monotonic in now', () => {
    fc.assert(
      fc.property(clockArgs, (args) => {
        const cal = compileCalendar('p', args.config);
        const [lo, hi] = args.a <= args.b ? [args.a, args.b] : [args.b, args.a];
        const early = clockAt(args, cal, lo);
        const late = clockAt(args, cal, hi);
        expect(late.elapsedMs).toBeGreaterThanOrEqual(early.elapsedMs);
        expect(late.usedPct).toBeGreaterThanOrEqual(early.usedPct);
        expect(late.dueAt).toBeGreaterThanOrEqual(early.dueAt);
        if (early.breached) expect(late.breached).toBe(true);
        if (early.stopped) expect(late).toEqual(early);
      }),
    );
  });

  it('elapsed never moves while paused or after the stop', () => {
    fc.assert(
      fc.property(clockArgs, (args) => {
        const cal = compileCalendar('p', args.config);
        const [lo, hi] = args.a <= args.b ? [args.a, args.b] : [args.b, args.a];
        const early = clockAt(args, cal, lo);
        const late = clockAt(args, cal, hi);
        const entries = args.h.map((e) => ({ category: e.category, at: args.createdAt + e.at }));
        const pauses = pauseIntervals({
          history: entries,
          current: args.current,
          pauseOn,
          createdAt: args.createdAt,
          now: args.createdAt + hi,
        });
        const samePause = pauses.some((p) => p.from <= args.createdAt + lo && args.createdAt + hi < p.to);
        if (samePause || early.stopped) expect(late.elapsedMs).toBe(early.elapsedMs);
        if (early.paused && !late.stopped && samePause) expect(late.paused).toBe(true);
      }),
    );
  });
});
