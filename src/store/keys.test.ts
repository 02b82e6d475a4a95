import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { bullPrefix, createKeys } from './keys.js';

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

describe('Redis Cluster hash tags', () => {
  it('puts every key family in the one slot of the {esc} tag, whatever the ids hold', () => {
    const keys = createKeys({ hashTag: true });
    const families = Object.entries(keys).filter(
      (e): e is [string, (...a: string[]) => string] => typeof e[1] === 'function',
    );
    expect(families.length).toBeGreaterThan(20);
    for (const [name, build] of families) {
      // Redis hashes only what is between the FIRST `{` and the next `}`: ids with braces cannot move a key.
      const key = build('inst{x}', 'ticket}{y', 'z');
      expect(key.startsWith('{esc}:'), `${name}: ${key}`).toBe(true);
    }
  });

  it('keeps the standalone names unchanged, and tags the BullMQ prefix only on a Cluster', () => {
    expect(createKeys().ticket('cw', '1')).toBe('esc:t:cw:1');
    expect(createKeys({ hashTag: true }).ticket('cw', '1')).toBe('{esc}:t:cw:1');
    expect(bullPrefix(false)).toBe('bull');
    expect(bullPrefix(true)).toBe('{bull}');
  });
});
