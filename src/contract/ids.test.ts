import { describe, expect, it } from 'vitest';

import { canonicalNumericTicketId, canonicalTicketId } from './ids.js';

describe('canonicalTicketId', () => {
  it('drops leading zeros and surrounding whitespace of numeric ids', () => {
    expect(canonicalTicketId('0001234')).toBe('1234');
    expect(canonicalTicketId(' 1234 ')).toBe('1234');
    expect(canonicalTicketId('\t0001234\n')).toBe('1234');
    expect(canonicalTicketId(1234)).toBe('1234');
    expect(canonicalTicketId('000')).toBe('0');
    expect(canonicalTicketId('98765432109876543210')).toBe('98765432109876543210'); // no precision lost
  });

  it('keeps non-numeric ids as trimmed strings', () => {
    expect(canonicalTicketId(' INC-0042 ')).toBe('INC-0042');
    expect(canonicalTicketId('T20261206.0001')).toBe('T20261206.0001');
  });

  it('refuses empty, fractional, negative, oversized, control-character and non-string ids', () => {
    for (const bad of ['', '   ', 1.5, -3, Number.NaN, 'a'.repeat(129), 'x\ny', null, undefined, {}, ['1']]) {
      expect(canonicalTicketId(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe('canonicalNumericTicketId', () => {
  it('accepts positive numeric ids only', () => {
    expect(canonicalNumericTicketId('0001234')).toBe('1234');
    expect(canonicalNumericTicketId(42)).toBe('42');
    expect(canonicalNumericTicketId('0')).toBeUndefined();
    expect(canonicalNumericTicketId(0)).toBeUndefined();
    expect(canonicalNumericTicketId('INC-1')).toBeUndefined();
    expect(canonicalNumericTicketId('1234567890123456')).toBeUndefined(); // > 15 digits is no PSA's ticket id
  });
});
