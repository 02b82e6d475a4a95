import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { formatLocal, formatSpan, isoInstant, parseIsoFast } from './format.js';

describe('isoInstant', () => {
  it('matches toISOString without the fraction', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        expect(isoInstant(ms)).toBe(new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      }),
      { numRuns: 5000 },
    );
  });

  it('rounds up with ceil', () => {
    expect(isoInstant(Date.parse('2026-11-24T16:00:00.001Z'), true)).toBe('2026-11-24T16:00:01Z');
    expect(isoInstant(Date.parse('2026-11-24T16:00:00.000Z'), true)).toBe('2026-11-24T16:00:00Z');
    expect(isoInstant(Date.parse('2028-02-29T23:59:59.999Z'))).toBe('2028-02-29T23:59:59Z');
  });
});

describe('formatLocal', () => {
  it('shows the wall-clock time and zone abbreviation on both sides of a DST change', () => {
    expect(formatLocal(Date.parse('2026-03-08T06:59:00Z'), 'America/New_York')).toBe('2026-03-08 01:59 EST');
    expect(formatLocal(Date.parse('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('2026-03-08 03:00 EDT');
    expect(formatLocal(Date.parse('2026-10-25T00:59:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:59 GMT+2');
    expect(formatLocal(Date.parse('2026-10-25T01:00:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:00 GMT+1');
    expect(formatLocal(Date.parse('2026-11-24T18:00:00Z'), 'UTC')).toBe('2026-11-24 18:00 UTC');
  });
});

describe('formatSpan', () => {
  it.each([
    [0, '0m'],
    [59_999, '0m'],
    [45 * 60_000, '45m'],
    [125 * 60_000, '2h 05m'],
    [(3 * 1440 + 4 * 60 + 7) * 60_000, '3d 4h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatSpan(ms)).toBe(text);
  });
});

describe('parseIsoFast', () => {
  it('inverts isoInstant and agrees with Date.parse on canonical instants', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(100, 0, 1), max: 253_402_300_799_999 }), (ms) => {
        const whole = Math.floor(ms / 1000) * 1000;
        expect(parseIsoFast(isoInstant(ms))).toBe(whole);
        expect(parseIsoFast(new Date(ms).toISOString())).toBe(ms);
      }),
      { numRuns: 5000 },
    );
  });

  it('returns NaN for other shapes and impossible dates (callers fall back to the general parser)', () => {
    for (const s of [
      '2026-11-24T14:00:00+01:00',
      '2026-11-24 14:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-24T24:00:00Z',
      '2026-11-24T14:00:00.5Z',
      'x026-11-24T14:00:00Z',
    ]) {
      expect(parseIsoFast(s)).toBeNaN();
    }
    expect(parseIsoFast('2028-02-29T23:59:59.999Z')).toBe(Date.parse('2028-02-29T23:59:59.999Z'));
  });
});
