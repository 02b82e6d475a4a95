import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { createKeys } from './keys.js';

/** docs/redis-keys.md holds the bound of every key family; a family added to keys.ts without a row fails here. */
const doc = readFileSync(new URL('../../docs/redis-keys.md', import.meta.url), 'utf8');
/** Names in the first column of the key-family table (one row may name several functions). */
const documented = new Set(
  doc
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!)),
);

describe('docs/redis-keys.md', () => {
  it('gives every key family of keys.ts a row with its bound', () => {
    const families = Object.entries(createKeys())
      .filter(([, v]) => typeof v === 'function')
      .map(([name]) => name);
    expect(families.length).toBeGreaterThan(20);
    expect(families.filter((f) => !documented.has(f))).toEqual([]);
  });
});
