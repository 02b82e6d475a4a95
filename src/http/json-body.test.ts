import { describe, expect, it } from 'vitest';

import { nestingExceeds, readJsonBody } from './json-body.js';

const read = (text: string, limits = { maxDepth: 4, maxEntries: 5 }) => readJsonBody(Buffer.from(text), limits);

describe('readJsonBody', () => {
  it('parses ordinary JSON', () => {
    expect(read('{"a":[1,{"b":"c"}]}')).toEqual({ ok: true, value: { a: [1, { b: 'c' }] } });
    expect(read('  "text" ')).toEqual({ ok: true, value: 'text' });
  });

  it('refuses empty and malformed bodies', () => {
    expect(read('')).toMatchObject({ ok: false, reason: 'empty' });
    expect(read('{"a":')).toMatchObject({ ok: false, reason: 'not_json' });
    expect(read("{'a':1}")).toMatchObject({ ok: false, reason: 'not_json' });
  });

  it('refuses prototype-poisoning keys, also unicode-escaped, instead of stripping them', () => {
    expect(read('{"__proto__":{"x":1}}')).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(read('{"a":{"constructor":{"prototype":{"x":1}}}}')).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(read('{"\\u005f\\u005fproto__":{"x":1}}')).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(read('{"constructor":"fine","proto":1}')).toMatchObject({ ok: true });
  });

  it('bounds depth (counting only structure outside strings) and width', () => {
    expect(read('[[[[1]]]]')).toMatchObject({ ok: true });
    expect(read('[[[[[1]]]]]')).toMatchObject({ ok: false, reason: 'too_deep' });
    expect(read('{"a":"[[[[[[[[[[","b":"\\"[[[[[[["}')).toMatchObject({ ok: true });
    expect(read('[1,2,3,4,5]')).toMatchObject({ ok: true });
    expect(read('[1,2,3,4,5,6]')).toMatchObject({ ok: false, reason: 'too_wide' });
    expect(read('{"a":[{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6}]}')).toMatchObject({
      ok: false,
      reason: 'too_wide',
    });
  });

  it('refuses the shortest too-wide bodies (the width walk is skipped only below 2 bytes per allowed entry)', () => {
    // maxEntries 5: the shortest 6-entry array is 13 bytes, the shortest 6-entry object 25 (> 2 × 5 either way).
    expect(read('[0,0,0,0,0,0]')).toMatchObject({ ok: false, reason: 'too_wide' });
    expect(read('{"a":0,"b":0,"c":0,"d":0,"e":0,"f":0}')).toMatchObject({ ok: false, reason: 'too_wide' });
    expect(read('[[],[],[],[],[],[]]')).toMatchObject({ ok: false, reason: 'too_wide' });
    expect(read('[0,0,0,0,0]')).toMatchObject({ ok: true });
  });

  it('stops the depth scan early on 10k-deep input', () => {
    const deep = Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(nestingExceeds(deep, 64)).toBe(true);
    expect(readJsonBody(deep)).toMatchObject({ ok: false, reason: 'too_deep' });
  });
});
