import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

// Issue 17 item 7: the canonical example shows each follow-through key with a comment (on its line or the line
// above). That it loads and passes check-config is proven by the example's own tests (src/config, cli-check-config).

const lines = readFileSync(new URL('../../examples/escalator.yaml', import.meta.url), 'utf8').split('\n');

describe('examples/escalator.yaml shows each issue-17 feature with a comment', () => {
  it.each([
    ['overrides:'],
    ['calendarFor:'],
    ['- { site:'],
    ['quietHours:'],
    ['rca:'],
    ['notPickedUpFor:'],
    ['updateOverdue:'],
  ])('%s', (key) => {
    const i = lines.findIndex((l) => l.includes(key) && !l.trimStart().startsWith('#'));
    expect(i, `${key} is in the example`).toBeGreaterThanOrEqual(0);
    const commented = [lines[i - 1] ?? '', lines[i]!, lines[i + 1] ?? ''].some((l) => l.includes('#'));
    expect(commented, `${key} has a comment near line ${i + 1}`).toBe(true);
  });
});
