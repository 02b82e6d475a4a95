import { describe, expect, it } from 'vitest';

import { formatProblem } from './problems.js';
import { readYaml } from './yaml-source.js';

const env: Record<string, string> = { INJECT: 'x\nmode: observe', FLOW: '{a: 1}', NUM: '42' };
const lookup = (name: string) => env[name];

describe('readYaml', () => {
  it('interpolates after parsing: a value can never add YAML structure', () => {
    const text = 'a:\n  key: ${INJECT}\n  flow: "${FLOW}"\n  num: ${NUM}\n  real: 42\n';
    const source = readYaml(text, lookup);
    expect(source.problems).toEqual([]);
    expect(source.value).toEqual({ a: { key: 'x\nmode: observe', flow: '{a: 1}', num: '42', real: 42 } });
  });

  it('does not interpolate keys or comments', () => {
    const source = readYaml('${KEY}: 1 # ${NOPE}\n', lookup);
    expect(source.problems).toEqual([]);
    expect(source.value).toEqual({ '${KEY}': 1 });
  });

  it('indexes lines: scalars on their own line, collections on their key line, missing paths at the parent', () => {
    const text = 'top:\n  list:\n    - a\n    - { b: 2 }\n  map:\n    x: 1\n';
    const { lines } = readYaml(text, lookup);
    expect(lines.valueLine(['top', 'list', 0])).toBe(3);
    expect(lines.valueLine(['top', 'list', 1, 'b'])).toBe(4);
    expect(lines.valueLine(['top', 'map'])).toBe(5);
    expect(lines.keyLine(['top', 'map', 'x'])).toBe(6);
    expect(lines.valueLine(['top', 'map', 'missing'])).toBe(5);
    expect(lines.valueLine(['nowhere'])).toBe(1);
  });

  it('resolves anchors, aliases and merge keys', () => {
    const text = 'base: &b { x: 1, y: "${NUM}" }\nother:\n  <<: *b\n  z: 3\ncopy: *b\n';
    const source = readYaml(text, lookup);
    expect(source.value).toEqual({ base: { x: 1, y: '42' }, other: { x: 1, y: '42', z: 3 }, copy: { x: 1, y: '42' } });
    expect(source.lines.valueLine(['copy', 'x'])).toBe(1);
  });

  it('reports env problems with the value path and line', () => {
    const source = readYaml('a:\n  - b: ${MISSING}\n', lookup);
    expect(source.problems.map(formatProblem)).toEqual(['a[0].b: environment variable MISSING is not set (line 2)']);
  });

  it('refuses an alias bomb', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    const source = readYaml(bomb, lookup);
    expect(source.value).toBeUndefined();
    expect(source.problems).toHaveLength(1);
    expect(source.problems[0]!.path).toBe('(yaml)');
  });
});
