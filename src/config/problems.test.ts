import { z } from 'zod';
import { describe, expect, it } from 'vitest';

import { formatPath, formatProblem, zodProblems } from './problems.js';
import type { LineIndex } from './problems.js';

const noLines: LineIndex = { valueLine: () => undefined, keyLine: () => undefined };

describe('formatPath', () => {
  it('uses dots for keys, zero-based brackets for indices, quotes odd keys', () => {
    expect(formatPath(['policies', 'standard', 'rules', 4, 'when', 'timeInTier'])).toBe(
      'policies.standard.rules[4].when.timeInTier',
    );
    expect(formatPath(['instances', 0, 'mapping', 'members', 'net.alice'])).toBe(
      'instances[0].mapping.members["net.alice"]',
    );
    expect(formatPath(['calendars', 'x', 'hours', 'mon-fri'])).toBe('calendars.x.hours.mon-fri');
    expect(formatPath([])).toBe('(root)');
  });
});

describe('formatProblem', () => {
  it('matches docs/spec.md §6', () => {
    expect(formatProblem({ path: 'a.b', message: 'bad', line: 3, severity: 'error' })).toBe('a.b: bad (line 3)');
    expect(formatProblem({ path: 'a.b', message: 'bad', severity: 'error' })).toBe('a.b: bad');
  });
});

describe('zodProblems', () => {
  const lines = (schema: z.ZodType, value: unknown) => {
    const r = schema.safeParse(value, { reportInput: true });
    return r.success ? [] : zodProblems(r.error.issues, ['x'], noLines).map(formatProblem);
  };

  it('explains one-or-many unions by the branch that got furthest', () => {
    const oneOrMany = z.union([z.string(), z.array(z.string())]);
    expect(lines(oneOrMany, 5)).toEqual(['x: expected a string or a list, got 5']);
    expect(lines(oneOrMany, ['a', 7])).toEqual(['x[1]: expected a string, got 7']);
  });

  it('reports each unknown key at its own path', () => {
    expect(lines(z.object({ a: z.number() }).strict(), { a: 1, b: 2, c: 3 })).toEqual([
      'x.b: unknown key',
      'x.c: unknown key',
    ]);
  });

  it('says "is required", "must not be empty" and lists enum options', () => {
    expect(lines(z.object({ a: z.string() }), {})).toEqual(['x.a: is required']);
    expect(lines(z.array(z.string()).min(1), [])).toEqual(['x: must not be empty']);
    expect(lines(z.enum(['a', 'b']), 'c')).toEqual(['x: expected one of a, b, got "c"']);
  });
});
