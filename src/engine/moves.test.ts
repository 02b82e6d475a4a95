import { describe, expect, it } from 'vitest';

import { RuleSchema } from '../contract/index.js';
import type { Ticket } from '../contract/index.js';
import { reassignOf } from './__fixtures__/decision-helpers.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { compilePolicy } from './compile.js';
import { evaluate } from './evaluate.js';

/** Move targets (docs/spec.md §2 "Move target") with one-rule policies on the ConnectWise mapping of the example. */

const example = loadExample();

function withRule(then: Record<string, unknown>, when: Record<string, unknown> = {}) {
  return compilePolicy(
    example.input('acme-cw', (p) => ({ ...p, rules: [RuleSchema.parse({ id: 'r', kind: 'tiered', when, then })] })),
  );
}
const at = (location: Ticket['location'], extra: Partial<Ticket> = {}) => cwTicket({ location, ...extra });
const now = '2026-11-24T14:05:00Z';
const T1 = { queue: { id: '1' }, team: { id: '3' } };
const T3 = { queue: { id: '12' }, team: { id: '27' } };

describe('move targets', () => {
  it('escalateTo alone: the tier’s first location and the first group whose location equals it', () => {
    const d = evaluate({ ticket: at(T1), policy: withRule({ escalateTo: 'T2' }), now });
    expect(reassignOf(d)).toMatchObject({
      tier: 'T2',
      group: 'tier2',
      owner: 't2.erin',
      location: { board: 1, team: 4 },
    });
  });

  it('escalateTo a tier whose first location has no group: owner unchanged', () => {
    const d = evaluate({ ticket: at(T1), policy: withRule({ escalateTo: 'T4' }), now });
    const r = reassignOf(d);
    expect(r).toMatchObject({ tier: 'T4', location: { board: 14 } });
    expect(r?.group).toBeUndefined();
    expect(r?.owner).toBeUndefined();
  });

  it('escalateTo with group: the group’s location (inside that tier) and an owner from the group', () => {
    const d = evaluate({ ticket: at(T1), policy: withRule({ escalateTo: 'T2', group: 'network' }), now });
    expect(reassignOf(d)).toMatchObject({
      tier: 'T2',
      group: 'network',
      owner: 'net.alice',
      location: { board: 5, team: 9 },
    });
  });

  it('escalateTo the current tier is not a move (a higher tier is required)', () => {
    expect(
      evaluate({ ticket: at(T3), policy: withRule({ escalateTo: 'T3', group: 'security' }), now }).reasons,
    ).toEqual([]);
  });

  it('group alone may move within the tier, to another location', () => {
    const d = evaluate({ ticket: at(T3), policy: withRule({ group: 'security' }), now });
    expect(reassignOf(d)).toMatchObject({ tier: 'T3', group: 'security', location: { board: 12, team: 30 } });
  });

  it('next: one step right, with the first group of that tier’s first location', () => {
    expect(reassignOf(evaluate({ ticket: at(T1), policy: withRule({ escalateTo: 'next' }), now }))).toMatchObject({
      tier: 'T2',
      group: 'tier2',
    });
    expect(reassignOf(evaluate({ ticket: at(T3), policy: withRule({ escalateTo: 'next' }), now }))).toMatchObject({
      tier: 'T4',
      location: { board: 14 },
    });
  });

  it('next with a group of the next tier uses the group', () => {
    const d = evaluate({ ticket: at(T1), policy: withRule({ escalateTo: 'next', group: 'network' }), now });
    expect(reassignOf(d)).toMatchObject({ tier: 'T2', group: 'network', owner: 'net.alice' });
  });

  it('reassign.from names the previous tier and owner; tier null when the ticket sits outside the mapping', () => {
    const d = evaluate({
      ticket: at({ queue: { id: '99' } }, { owner: null }),
      policy: withRule({ escalateTo: 'T2' }),
      now,
    });
    expect(reassignOf(d)?.from).toEqual({ tier: null, owner: null });
  });

  it('ticket.tier, when given, is used as is (no location needed)', () => {
    const d = evaluate({ ticket: at({}, { tier: 'T2' }), policy: withRule({ escalateTo: 'next' }), now });
    expect(reassignOf(d)).toMatchObject({ tier: 'T3', from: { tier: 'T2' } });
  });

  it('Halo team names match case-insensitively', () => {
    const halo = compilePolicy(
      example.input('initech-halo', (p) => ({
        ...p,
        rules: [RuleSchema.parse({ id: 'r', kind: 'tiered', when: {}, then: { group: 'network' } })],
      })),
    );
    const d = evaluate({ ticket: cwTicket({ location: { team: { id: '7', name: 'NETWORK ' } } }), policy: halo, now });
    expect(d.reasons).toEqual([]);
    const fromT1 = evaluate({
      ticket: cwTicket({ location: { team: { id: '1', name: '1st line support' } } }),
      policy: halo,
      now,
    });
    expect(reassignOf(fromT1)).toMatchObject({
      tier: 'T2',
      group: 'network',
      owner: 'net.alice',
      from: { tier: 'T1' },
    });
  });

  it('a group not mapped in this instance only notifies (group alone), or falls back to the tier (with escalateTo)', () => {
    const input = example.input('globex-at', (p) => ({
      ...p,
      rules: [
        RuleSchema.parse({
          id: 'g',
          kind: 'functional',
          when: { category: 'Network' },
          then: { group: 'network', notify: ['managers'] },
        }),
        RuleSchema.parse({
          id: 't',
          kind: 'tiered',
          when: { text: 'escalate' },
          then: { escalateTo: 'T2', group: 'network' },
        }),
      ],
    }));
    const { network: _dropped, ...groups } = input.instance.groupLocations;
    const globex = compilePolicy({ ...input, instance: { ...input.instance, groupLocations: groups } });
    const t1 = { queue: { id: '29682833' } };
    const g = evaluate({ ticket: cwTicket({ location: t1, category: ['Network', 'Switch'] }), policy: globex, now });
    expect(reassignOf(g)).toBeUndefined();
    expect(g.actions).toEqual([{ type: 'notify', rule: 'g', notifier: 'managers' }]);
    const t = evaluate({ ticket: cwTicket({ location: t1, title: 'please escalate' }), policy: globex, now });
    expect(reassignOf(t)).toMatchObject({ rule: 't', tier: 'T2', group: 'tier2', location: { queueID: 29682969 } });
  });
});
