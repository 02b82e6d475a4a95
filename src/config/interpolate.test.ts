import { describe, expect, it } from 'vitest';

import { describeInterpolationIssue, interpolate } from './interpolate.js';

const env: Record<string, string> = { HOST: 'cw.example.com', EMPTY: '', PORT: '8443' };
const lookup = (name: string) => env[name];

describe('interpolate', () => {
  it('replaces ${NAME}, several times in one string', () => {
    expect(interpolate('https://${HOST}:${PORT}/x', lookup)).toEqual({
      value: 'https://cw.example.com:8443/x',
      interpolated: true,
      issues: [],
    });
  });

  it('leaves strings without references untouched', () => {
    expect(interpolate('plain $HOST {HOST}', lookup)).toEqual({
      value: 'plain $HOST {HOST}',
      interpolated: false,
      issues: [],
    });
  });

  it('uses the default when unset or empty (shell :- semantics), else the value', () => {
    expect(interpolate('${NOPE:-fallback}', lookup).value).toBe('fallback');
    expect(interpolate('${EMPTY:-fallback}', lookup).value).toBe('fallback');
    expect(interpolate('${HOST:-fallback}', lookup).value).toBe('cw.example.com');
    expect(interpolate('${NOPE:-}', lookup)).toEqual({ value: '', interpolated: true, issues: [] });
    expect(interpolate('${NOPE:-a:-b c}', lookup).value).toBe('a:-b c');
  });

  it('reports missing and empty variables by name', () => {
    expect(interpolate('${NOPE}/${EMPTY}', lookup).issues).toEqual([
      { kind: 'missing', name: 'NOPE' },
      { kind: 'empty', name: 'EMPTY' },
    ]);
    expect(describeInterpolationIssue({ kind: 'missing', name: 'NOPE' })).toBe('environment variable NOPE is not set');
  });

  it('reports malformed references', () => {
    expect(interpolate('${1BAD}', lookup).issues).toEqual([{ kind: 'invalid', reference: '${1BAD}' }]);
    expect(interpolate('x ${HOST', lookup).issues).toEqual([{ kind: 'invalid', reference: '${HOST' }]);
    expect(interpolate('${}', lookup).issues).toEqual([{ kind: 'invalid', reference: '${}' }]);
  });

  it('writes $${NAME} as a literal ${NAME}', () => {
    expect(interpolate('cost $${HOST}', lookup)).toEqual({ value: 'cost ${HOST}', interpolated: false, issues: [] });
  });

  it('never re-expands a value that itself contains ${…}', () => {
    expect(interpolate('${X}', (n) => (n === 'X' ? '${HOST}' : undefined)).value).toBe('${HOST}');
  });
});
