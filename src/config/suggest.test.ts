import { describe, expect, it } from 'vitest';

import { closest, unknownKeyMessage } from './suggest.js';

describe('closest', () => {
  it('finds typos within two edits, and case-only differences', () => {
    expect(closest('timeInTeir')).toBe('timeInTier');
    expect(closest('escalteTo')).toBe('escalateTo');
    expect(closest('Tiers')).toBe('tiers');
    expect(closest('notfy')).toBe('notify');
  });

  it('suggests nothing for unrelated or very short words', () => {
    expect(closest('banana')).toBeUndefined();
    expect(closest('xy')).toBeUndefined();
  });

  it('uses the caller candidates when given', () => {
    expect(unknownKeyMessage('boardStatusOnMov', ['boardStatusOnMove'])).toBe(
      'unknown key (did you mean "boardStatusOnMove"?)',
    );
    expect(unknownKeyMessage('zzz', ['tiers'])).toBe('unknown key');
  });
});
