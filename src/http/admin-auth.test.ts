import { describe, expect, it } from 'vitest';

import { bearerMatches } from './admin-auth.js';

const TOKEN = 'k9Qv2m0c7yXo3RZt1pW8sLd4hGf6bNe5';

describe('bearerMatches', () => {
  it('accepts exactly `Bearer <token>` (scheme case-insensitive, surrounding spaces tolerated)', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`  Bearer   ${TOKEN} `, TOKEN)).toBe(true);
  });

  it('refuses wrong, truncated, extended, empty and differently-schemed credentials without throwing', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${TOKEN.slice(1)}`,
      `Bearer ${TOKEN}0`,
      `Basic ${TOKEN}`,
      TOKEN,
      `Bearer ${TOKEN} extra`,
      `Bearer ${'x'.repeat(10_000)}`,
    ]) {
      expect(bearerMatches(header, TOKEN)).toBe(false);
    }
  });

  it('refuses everything when no token is configured', () => {
    expect(bearerMatches('Bearer ', undefined)).toBe(false);
    expect(bearerMatches('Bearer undefined', undefined)).toBe(false);
    expect(bearerMatches('Bearer x', '')).toBe(false);
  });
});
