import { describe, expect, it } from 'vitest';

import { compileOwnerStrategy, mod, nextCursor, oncallIndex, pickOwner } from './ownership.js';
import type { CompiledInstance } from './types.js';

const DAY = 86_400_000;

function instance(members: Record<string, unknown>, requireMapping: boolean): CompiledInstance {
  return {
    id: 'x',
    tiers: ['T1'],
    tierLocations: {},
    groupLocations: {},
    members,
    membersRequireMapping: requireMapping,
    locationKeys: {},
    priorities: {},
  };
}
const cw = instance({}, false);

describe('ownership strategies', () => {
  const rr = compileOwnerStrategy({ assign: 'round-robin', members: ['a', 'b', 'c'] });

  it('round-robin starts at the stored cursor and wraps', () => {
    const pick = (cursor?: number) =>
      pickOwner({
        group: 'g',
        strategy: rr,
        instance: cw,
        state: cursor === undefined ? {} : { groupCursors: { g: cursor } },
        now: 0,
      });
    expect(pick().owner).toBe('a');
    expect(pick(1).owner).toBe('b');
    expect(pick(2).owner).toBe('c');
    expect(pick(3).owner).toBe('a');
    expect(pick(7).owner).toBe('b');
    expect(nextCursor(['a', 'b', 'c'], 'c')).toBe(0);
    expect(nextCursor(['a', 'b', 'c'], 'a')).toBe(1);
  });

  it('round-robin skips members unmapped in Autotask/Halo', () => {
    const at = instance({ a: { resourceID: 1, roleID: 2 }, c: { resourceID: 3, roleID: 2 } }, true);
    expect(pickOwner({ group: 'g', strategy: rr, instance: at, state: { groupCursors: { g: 1 } }, now: 0 })).toEqual({
      owner: 'c',
      ownerUnmapped: false,
    });
  });

  it('least-loaded picks the fewest open tickets, ties to the first listed', () => {
    const ll = compileOwnerStrategy({ assign: 'least-loaded', members: ['erin', 'frank', 'gus'] });
    const pick = (loads: Record<string, number>) =>
      pickOwner({ group: 'g', strategy: ll, instance: cw, state: { memberLoads: loads }, now: 0 }).owner;
    expect(pick({ erin: 3, frank: 1, gus: 2 })).toBe('frank');
    expect(pick({ erin: 2, frank: 2, gus: 2 })).toBe('erin');
    expect(pick({ erin: 2, frank: 5 })).toBe('gus');
    expect(pick({})).toBe('erin');
  });

  it('oncall rotates every period from start, with a true modulo before start', () => {
    const start = Date.parse('2026-01-05T09:00:00-05:00');
    const oc = compileOwnerStrategy({
      assign: 'oncall',
      members: [],
      oncall: { rotation: ['carol', 'dave', 'eve'], start: '2026-01-05T09:00:00-05:00', every: 7 * DAY },
    });
    const at = (t: number) => pickOwner({ group: 'g', strategy: oc, instance: cw, state: {}, now: t }).owner;
    expect(at(start)).toBe('carol');
    expect(at(start + 7 * DAY - 1)).toBe('carol');
    expect(at(start + 7 * DAY)).toBe('dave');
    expect(at(start + 14 * DAY)).toBe('eve');
    expect(at(start + 21 * DAY)).toBe('carol');
    expect(at(start - 1)).toBe('eve');
    expect(at(start - 7 * DAY)).toBe('eve');
    expect(at(start - 7 * DAY - 1)).toBe('dave');
    expect(mod(-4, 3)).toBe(2);
    if (oc.k === 'oncall') expect(oncallIndex(oc, start - 22 * DAY)).toBe(mod(-4, 3));
  });

  it('oncall skips an unmapped on-call member to the next in the rotation', () => {
    const start = Date.parse('2026-01-05T14:00:00Z');
    const oc = compileOwnerStrategy({
      assign: 'oncall',
      members: [],
      oncall: { rotation: ['carol', 'dave'], start: '2026-01-05T14:00:00Z', every: DAY },
    });
    const halo = instance({ dave: { agent_id: 17 } }, true);
    expect(pickOwner({ group: 'g', strategy: oc, instance: halo, state: {}, now: start }).owner).toBe('dave');
  });

  it('reports ownerUnmapped when no member is mapped, and picks nobody for `none`', () => {
    const halo = instance({}, true);
    expect(pickOwner({ group: 'g', strategy: rr, instance: halo, state: {}, now: 0 })).toEqual({ ownerUnmapped: true });
    const none = compileOwnerStrategy({ assign: 'none', members: ['a'] });
    expect(pickOwner({ group: 'g', strategy: none, instance: cw, state: {}, now: 0 })).toEqual({
      ownerUnmapped: false,
    });
  });
});
