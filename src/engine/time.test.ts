import { describe, expect, it } from 'vitest';

import { formatInstant, localRangeToReal, parseInstant, weekdayOf, zoneOffsets } from './time.js';

describe('instants', () => {
  it('parses any RFC 3339 offset; a missing zone reads as UTC', () => {
    expect(parseInstant('2026-11-24T15:00:00Z')).toBe(Date.UTC(2026, 10, 24, 15));
    expect(parseInstant('2026-11-24T10:00:00-05:00')).toBe(Date.UTC(2026, 10, 24, 15));
    expect(parseInstant('2026-11-24T16:00:00.500+01:00')).toBe(Date.UTC(2026, 10, 24, 15, 0, 0, 500));
    expect(parseInstant('2026-11-24T15:00:00')).toBe(Date.UTC(2026, 10, 24, 15));
    expect(parseInstant('2026-11-24 15:00:00')).toBe(Date.UTC(2026, 10, 24, 15));
    expect(parseInstant('2026-11-24')).toBe(Date.UTC(2026, 10, 24));
    expect(parseInstant('yesterday')).toBeNaN();
  });

  it('formats without a fraction, truncating or rounding up', () => {
    expect(formatInstant(Date.UTC(2026, 10, 24, 15, 0, 0, 999))).toBe('2026-11-24T15:00:00Z');
    expect(formatInstant(Date.UTC(2026, 10, 24, 15, 0, 0, 1), 'ceil')).toBe('2026-11-24T15:00:01Z');
    expect(formatInstant(Date.UTC(2026, 10, 24, 15), 'ceil')).toBe('2026-11-24T15:00:00Z');
  });
});

describe('local wall-clock ranges', () => {
  const local = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);
  const ny = zoneOffsets('America/New_York');
  const iso = (pieces: [number, number][]) => pieces.map(([a, b]) => [formatInstant(a), formatInstant(b)]);

  it('weekday numbers start on Monday', () => {
    expect(weekdayOf(Date.UTC(2026, 10, 23) / 86_400_000)).toBe(0); // Mon 2026-11-23
    expect(weekdayOf(Date.UTC(1969, 11, 28) / 86_400_000)).toBe(6); // Sun, before the epoch
  });

  it('a plain range converts with the zone offset', () => {
    expect(iso(localRangeToReal(ny, local(2026, 11, 24, 8), local(2026, 11, 24, 18)))).toEqual([
      ['2026-11-24T13:00:00Z', '2026-11-24T23:00:00Z'],
    ]);
  });

  it('spring forward: skipped boundaries move forward by the gap', () => {
    expect(iso(localRangeToReal(ny, local(2026, 3, 8, 2, 30), local(2026, 3, 8, 4)))).toEqual([
      ['2026-03-08T07:30:00Z', '2026-03-08T08:00:00Z'],
    ]);
    expect(iso(localRangeToReal(ny, local(2026, 3, 8, 0), local(2026, 3, 8, 2, 30)))).toEqual([
      ['2026-03-08T05:00:00Z', '2026-03-08T07:00:00Z'],
      ['2026-03-08T07:00:00Z', '2026-03-08T07:30:00Z'],
    ]);
  });

  it('fall back: every real instant whose wall time is in the range', () => {
    expect(iso(localRangeToReal(ny, local(2026, 11, 1, 1, 30), local(2026, 11, 1, 3)))).toEqual([
      ['2026-11-01T05:30:00Z', '2026-11-01T06:00:00Z'],
      ['2026-11-01T06:30:00Z', '2026-11-01T08:00:00Z'],
    ]);
    expect(iso(localRangeToReal(ny, local(2026, 11, 1, 0), local(2026, 11, 2, 0)))).toEqual([
      ['2026-11-01T04:00:00Z', '2026-11-01T06:00:00Z'],
      ['2026-11-01T06:00:00Z', '2026-11-02T05:00:00Z'],
    ]);
  });

  it('rejects an unknown zone', () => {
    expect(() => zoneOffsets('Nowhere/Special')).toThrow(/unknown IANA time zone/);
  });
});

describe('the canonical fast path agrees with Date.parse', () => {
  it.each([
    '2026-11-24T15:00:00Z',
    '2026-11-24T15:00:00.123Z',
    '2028-02-29T23:59:59Z',
    '2026-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-24T24:00:00Z',
    '2026-11-24T15:60:00Z',
    '2026-11-24X15:00:00Z',
    '0000-01-01T00:00:00Z',
  ])('%s', (value) => {
    expect(parseInstant(value)).toBe(Date.parse(value));
  });
});
