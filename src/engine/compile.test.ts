import { describe, expect, it } from 'vitest';

import type { Ticket } from '../contract/index.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { compilePolicy, PolicyCompileError } from './compile.js';
import { evaluate, tierOf } from './evaluate.js';
import { deriveTicketTier } from './index.js';
import type { CompileInput } from './types.js';

const example = loadExample();

function problems(input: CompileInput): readonly string[] {
  try {
    compilePolicy(input);
    return [];
  } catch (err) {
    if (err instanceof PolicyCompileError) return err.problems;
    throw err;
  }
}

describe('compilePolicy', () => {
  it('compiles every instance of the example config', () => {
    for (const id of ['acme-cw', 'globex-at', 'initech-halo']) expect(() => example.compile(id)).not.toThrow();
  });

  it('lists every cross-reference problem at once', () => {
    const input = example.input('acme-cw', (p) => ({
      ...p,
      rules: [
        {
          id: 'a',
          kind: 'tiered',
          when: { tier: ['T9'], outsideCalendar: 'nights' },
          then: { escalateTo: 'T7', notify: ['pager'] },
        },
        { id: 'b', kind: 'functional', when: {}, then: { group: 'storage', note: 'nope' } },
        { id: 'c', kind: 'functional', when: {}, then: { escalateTo: 'T2', group: 'security' } },
        { id: 'c', kind: 'functional', when: {}, then: {} },
      ],
    }));
    expect(problems(input)).toEqual([
      'policies.standard.rules[0].when.tier: unknown tier "T9"',
      'policies.standard.rules[0].when.outsideCalendar: unknown calendar "nights"',
      'policies.standard.rules[0].then.escalateTo: unknown tier "T7" (expected one of T1, T2, T3, T4 or next)',
      'policies.standard.rules[0].then.notify: unknown notifier "pager"',
      'policies.standard.rules[1].then.group: unknown group "storage"',
      'policies.standard.rules[1].then.note: unknown template "nope" (expected handoff, internal or a templates name)',
      'policies.standard.rules[2].then.group: the location of group "security" is not a location of tier T2',
      'policies.standard.rules: duplicate rule id "c"',
    ]);
  });

  it('rejects the same location under two tiers', () => {
    const input = example.input('acme-cw');
    const bad = {
      ...input,
      instance: { ...input.instance, tierLocations: { ...input.instance.tierLocations, T4: { board: 1, team: 3 } } },
    };
    expect(problems(bad)).toEqual([
      'instances.acme-cw.mapping.tiers.T4: location {"board":1,"team":3} is also listed under T1',
    ]);
  });

  it('derives the tier from the location naming more keys when several match', () => {
    const input = example.input('acme-cw');
    const policy = compilePolicy({
      ...input,
      instance: { ...input.instance, tierLocations: { T1: { board: 1 }, T2: { board: 1, team: 4 } } },
    });
    const at = (team: string): Ticket => cwTicket({ location: { queue: { id: '1' }, team: { id: team } } });
    expect(tierOf(policy, at('4'))).toBe('T2');
    expect(tierOf(policy, at('3'))).toBe('T1');
    expect(deriveTicketTier(at('4'), policy.instance)).toBe('T2');
    expect(tierOf(policy, cwTicket({ location: { queue: { id: '2' } } }))).toBeNull();
  });

  it('is deterministic: identical inputs give an identical Decision', () => {
    const a = example.compile('acme-cw');
    const b = example.compile('acme-cw');
    const t = cwTicket({ title: 'ransomware', usersAffected: 40 });
    const now = '2026-11-24T14:05:00Z';
    expect(JSON.stringify(evaluate({ ticket: t, policy: a, now }))).toBe(
      JSON.stringify(evaluate({ ticket: t, policy: b, now })),
    );
    expect(JSON.stringify(evaluate({ ticket: t, policy: a, now: new Date(now) }))).toBe(
      JSON.stringify(evaluate({ ticket: t, policy: a, now: Date.parse(now) })),
    );
  });

  it('refuses a policy object that compilePolicy did not build, and an invalid now', () => {
    const { engine: _engine, ...plain } = example.compile('acme-cw');
    expect(() => evaluate({ ticket: cwTicket(), policy: plain, now: 0 })).toThrow(TypeError);
    expect(() => evaluate({ ticket: cwTicket(), policy: example.compile('acme-cw'), now: 'soon' })).toThrow(RangeError);
  });
});
