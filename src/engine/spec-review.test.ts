import { describe, expect, it } from 'vitest';

import { recurringKey, RuleSchema } from '../contract/index.js';
import type { Policy, Ticket, TicketState } from '../contract/index.js';
import { notes, notifiers, priorityOf, reasonRules, reassignOf, tags } from './__fixtures__/decision-helpers.js';
import { cwTicket, loadExample } from './__fixtures__/example-policy.js';
import { compilePolicy } from './compile.js';
import { evaluate } from './evaluate.js';
import { deriveTicketTier } from './index.js';

/**
 * Independent review of docs/spec.md §2–§4 against the engine: one table per normative sentence that no other test pinned,
 * with expectations computed by hand. Base ticket (cwTicket): ConnectWise T1 (board 1, team 3), P3, owner alice,
 * created Tue 2026-11-24 09:00 EST (14:00Z); business hours Mon–Fri 08:00–18:00 New York (13:00Z–23:00Z).
 */

const example = loadExample();
const acme = example.compile('acme-cw');
const NOW = '2026-11-24T14:05:00Z';

function policyWith(
  rules: readonly Record<string, unknown>[],
  instance = 'acme-cw',
  patch: (p: Policy) => Policy = (p) => p,
) {
  return compilePolicy(example.input(instance, (p) => patch({ ...p, rules: rules.map((r) => RuleSchema.parse(r)) })));
}
const oneRule = (when: Record<string, unknown>, then: Record<string, unknown> = { notify: ['managers'] }) =>
  policyWith([{ id: 'r', kind: 'functional', when, then }]);
const fires = (policy: ReturnType<typeof oneRule>, ticket: Partial<Ticket>, state?: TicketState, now = NOW): boolean =>
  evaluate({ ticket: cwTicket(ticket), ...(state ? { state } : {}), policy, now }).reasons.some((r) => r.rule === 'r');

describe('docs/spec.md §2 tiers: a location matches when every key it names equals the ticket value; more keys win; else null', () => {
  it.each([
    [{ queue: { id: '1' }, team: { id: '3' } }, 'T1'],
    [{ queue: { id: '5' }, team: { id: '9' } }, 'T2'],
    [{ queue: { id: '12' }, team: { id: '30' } }, 'T3'],
    [{ queue: { id: '14' }, team: { id: '99' } }, 'T4'], // T4 names only the board: any team matches
    [{ queue: { id: '14' } }, 'T4'],
    [{ queue: { id: '1' }, team: { id: '99' } }, null],
    [{ queue: { id: '1' } }, null], // T1 needs the team too
    [{}, null],
  ] as const)('%j → %s', (location, tier) => {
    expect(deriveTicketTier(cwTicket({ location }), acme.instance)).toBe(tier);
  });

  it('ticket.tier, when present, is used as given (even against its location)', () => {
    expect(deriveTicketTier(cwTicket({ tier: 'T3' }), acme.instance)).toBe('T3');
    const d = evaluate({ ticket: cwTicket({ tier: 'T3', title: 'ransomware' }), policy: acme, now: NOW });
    // T3 → the security location of T3 is a different location of the same tier, but escalateTo T3 needs a higher tier.
    expect(reassignOf(d)).toBeUndefined();
  });
});

describe('docs/spec.md §2 recurring: only the `same` fields are required; tickets without them never match', () => {
  const rule = (same: string[]) => oneRule({ recurring: { count: 3, within: '24h', same } });
  it.each([
    {
      name: 'company+category, both present, count reached',
      same: ['company', 'category'],
      ticket: {},
      count: 3,
      fires: true,
    },
    { name: 'company+category, count below', same: ['company', 'category'], ticket: {}, count: 2, fires: false },
    {
      name: 'company+category, no category',
      same: ['company', 'category'],
      ticket: { category: [] },
      count: 9,
      fires: false,
    },
    {
      name: 'company+category, no company id',
      same: ['company', 'category'],
      ticket: { company: { id: '', vip: false } },
      count: 9,
      fires: false,
    },
    {
      name: 'category only, no company id',
      same: ['category'],
      ticket: { company: { id: '', vip: false } },
      count: 3,
      fires: true,
    },
    { name: 'company only, no category', same: ['company'], ticket: { category: [] }, count: 3, fires: true },
    {
      name: 'category only, blank segments only',
      same: ['category'],
      ticket: { category: [' ', ''] },
      count: 9,
      fires: false,
    },
  ])('$name → $fires', ({ same, ticket, count, fires: expected }) => {
    expect(fires(rule(same), ticket as Partial<Ticket>, { recurringCount: count })).toBe(expected);
  });
});

describe('recurring windows: each condition reads the count of its own window (state.recurringCounts)', () => {
  const policy = policyWith([
    {
      id: 'day',
      kind: 'functional',
      when: { recurring: { count: 3, within: '24h', same: ['company', 'category'] } },
      then: { tag: 'day' },
    },
    {
      id: 'week',
      kind: 'functional',
      when: { recurring: { count: 5, within: '7d', same: ['company'] } },
      then: { tag: 'week' },
    },
  ]);
  const day = recurringKey(86_400_000, ['company', 'category']);
  const week = recurringKey(7 * 86_400_000, ['company']);
  const fired = (state: TicketState) => reasonRules(evaluate({ ticket: cwTicket({}), state, policy, now: NOW })).sort();

  it('names a window by its length in ms and its sorted fields', () => {
    expect(day).toBe('86400000:category,company');
    expect(recurringKey(86_400_000, ['category', 'company'])).toBe(day);
  });
  it.each([
    { counts: { [day]: 3, [week]: 4 }, expected: ['day'] },
    { counts: { [day]: 2, [week]: 5 }, expected: ['week'] },
    { counts: { [day]: 3, [week]: 5 }, expected: ['day', 'week'] },
    { counts: { [day]: 0, [week]: 0 }, expected: [] },
  ])('$counts → $expected', ({ counts, expected }) => {
    // recurringCount (the single count of docs/spec.md §4) would fire both: the per-window counts take precedence.
    expect(fired({ recurringCount: 9, recurringCounts: counts })).toEqual(expected);
  });
  it('falls back to recurringCount for a window it does not list', () => {
    expect(fired({ recurringCount: 5, recurringCounts: { [day]: 0 } })).toEqual(['week']);
    expect(fired({ recurringCount: 3 })).toEqual(['day']);
  });
});

describe('docs/spec.md §2 text: Unicode lower case, tokens are maximal runs of letters and digits, phrases match contiguously', () => {
  it.each([
    ['e-mail', 'E MAIL not syncing', true],
    ['email', 'e-mail broken', false],
    ['e mail', 'E-Mail broken', true],
    ['o365', 'O365 tenant down', true],
    ['o365', 'O 365 tenant down', false],
    ['malware', 'anti-malware alert', true],
    ['malware', 'antimalware update', false],
    ['data leak', 'DATA_LEAK suspected', true],
    ['data leak', 'data\n\tleak', true],
    ['data leak', 'leak of data', false],
    ['café', 'CAFE\u0301 machine broken', true], // decomposed accent, NFC-equal
    ['Überweisung', 'ÜBERWEISUNG fehlgeschlagen', true],
    ['ошибка', 'Критическая ОШИБКА сервера', true],
    ['数据泄露', '发现 数据泄露。', true],
    ['数据', '发现数据泄露', false], // one run of letters is one token
    ['site down', 'Site  --  DOWN!', true],
    ['C++', 'c compiler', true], // "C++" has the single token "c"
  ] as const)('%j in %j → %s', (phrase, title, expected) => {
    expect(fires(oneRule({ text: phrase }), { title, description: undefined, latestNote: undefined })).toBe(expected);
  });

  it('reads title, description and latestNote, but a phrase never spans two fields', () => {
    const p = oneRule({ text: 'data leak' });
    expect(fires(p, { title: 'x', description: 'x', latestNote: 'possible data leak' })).toBe(true);
    expect(fires(p, { title: 'data', description: 'leak', latestNote: undefined })).toBe(false);
    // recentNotes other than the latest are not read.
    expect(
      fires(p, {
        title: 'x',
        description: undefined,
        latestNote: undefined,
        recentNotes: [{ at: NOW, internal: true, text: 'data leak', ours: false }],
      }),
    ).toBe(false);
  });
});

describe('docs/spec.md §2 category: case-insensitive segments, * one segment, ** any number, descendants match', () => {
  it.each([
    ['Network/*', ['Network', 'Firewall', 'Cisco'], true],
    ['Network/*', ['Network'], false],
    ['Firewall', ['Firewall', 'Rules'], true],
    ['Firewall', ['Network', 'Firewall'], false],
    ['Network/**', ['Network'], true],
    ['**/Cisco', ['Cisco'], true],
    ['**/Cisco', ['Network', 'Firewall', 'Cisco', 'ASA'], true],
    ['*/Firewall', ['Firewall'], false],
    ['*/Firewall', ['Network', 'FIREWALL'], true],
    ['Network/*/Cisco', ['Network', 'Cisco'], false],
    ['network/FIREWALL', ['Network', 'firewall', 'x'], true],
    ['*', ['Anything'], true],
    ['Network', [], false],
  ] as const)('%j vs %j → %s', (pattern, category, expected) => {
    expect(fires(oneRule({ category: pattern }), { category: [...category] })).toBe(expected);
  });
});

describe('docs/spec.md §4 near misses: 0.9 × threshold ≤ v < threshold while every other condition holds', () => {
  const T2 = { queue: { id: '1' }, team: { id: '4' } };
  const P2 = { id: '5', name: 'Priority 2', level: 2 as const };

  it.each([
    // t1-timeout (2h): 108 business minutes is exactly 90 %.
    { now: '2026-11-24T15:48:00Z', expected: [{ rule: 't1-timeout', matched: { timeInTier: 108, threshold: 120 } }] },
    { now: '2026-11-24T15:47:59Z', expected: [] },
    { now: '2026-11-24T15:59:59Z', expected: [{ rule: 't1-timeout', matched: { timeInTier: 119, threshold: 120 } }] },
  ])('time: at $now', ({ now, expected }) => {
    const d = evaluate({ ticket: cwTicket(), policy: acme, now });
    expect(d.nearMisses.map(({ rule, matched }) => ({ rule, matched }))).toEqual(expected);
  });

  it.each([
    // sla-risk (resolution ≥ 80 %) on P2 (480 min): 90 % of 80 = 72 % = 345.6 business minutes.
    { now: '2026-11-24T19:46:00Z', expected: [{ rule: 'sla-risk', matched: { resolution: 72, threshold: 80 } }] },
    { now: '2026-11-24T19:45:00Z', expected: [] },
  ])('percent: at $now', ({ now, expected }) => {
    const ticket = cwTicket({ location: T2, priority: P2, firstRespondedAt: '2026-11-24T14:30:00Z' });
    const d = evaluate({ ticket, policy: acme, now });
    expect(d.nearMisses.map(({ rule, matched }) => ({ rule, matched }))).toEqual(expected);
  });

  it('is no near miss when another condition fails (not VIP)', () => {
    const vip = evaluate({
      ticket: cwTicket({ company: { id: '9', name: 'HQCorp', vip: true } }),
      policy: acme,
      now: '2026-11-24T14:27:00Z',
    });
    expect(vip.nearMisses.map((n) => n.rule)).toEqual(['vip-fast-lane']);
    const plain = evaluate({ ticket: cwTicket(), policy: acme, now: '2026-11-24T14:27:00Z' });
    expect(plain.nearMisses).toEqual([]);
  });
});

describe('docs/spec.md §2 when rules fire: what each matching rule contributes', () => {
  it('priority only raises; the highest raise wins and is attributed to its rule', () => {
    const p = policyWith([
      { id: 'to-p2', kind: 'hierarchical', when: { text: 'urgent' }, then: { priority: 'P2' } },
      { id: 'to-p1', kind: 'hierarchical', when: { text: 'urgent' }, then: { priority: 'P1' } },
      { id: 'to-p4', kind: 'hierarchical', when: { text: 'urgent' }, then: { priority: 'P4' } },
    ]);
    const run = (level: 1 | 2 | 3 | 4 | null) =>
      evaluate({
        ticket: cwTicket({ title: 'urgent', priority: { id: 'x', name: 'x', level } }),
        policy: p,
        now: NOW,
      }).actions.filter((a) => a.type === 'priority');
    expect(run(3)).toEqual([{ type: 'priority', rule: 'to-p1', priority: 'P1' }]);
    expect(run(null)).toEqual([{ type: 'priority', rule: 'to-p1', priority: 'P1' }]);
    expect(run(1)).toEqual([]);
  });

  it('a matching rule whose move lost contributes only notify and tag, and is listed in reasons', () => {
    const p = policyWith([
      { id: 'win', kind: 'tiered', when: { text: 'help' }, then: { escalateTo: 'T2', notify: ['managers'] } },
      {
        id: 'lost',
        kind: 'emergency',
        when: { text: 'help' },
        then: {
          escalateTo: 'T3',
          priority: 'P1',
          note: 'internal',
          customerNote: true,
          notify: ['oncall', 'managers'],
          tag: 'x',
        },
      },
    ]);
    const d = evaluate({ ticket: cwTicket({ title: 'help' }), policy: p, now: NOW });
    expect(reassignOf(d)).toMatchObject({ rule: 'win', tier: 'T2' });
    expect(priorityOf(d)).toBeUndefined();
    expect(notes(d)).toEqual([]);
    expect(d.actions.filter((a) => a.type === 'notify')).toEqual([
      { type: 'notify', rule: 'win', notifier: 'managers' },
      { type: 'notify', rule: 'lost', notifier: 'oncall' },
    ]);
    expect(tags(d)).toEqual(['x']);
    expect(reasonRules(d)).toEqual(['win', 'lost']);
  });

  it.each([
    {
      name: 'escalateTo: next at the top mapped tier (acme T4)',
      instance: 'acme-cw',
      then: { escalateTo: 'next' },
      location: { queue: { id: '14' } },
    },
    {
      name: 'escalateTo a tier unmapped here (Autotask T4)',
      instance: 'globex-at',
      then: { escalateTo: 'T4' },
      location: { queue: { id: '29682833' } },
    },
    {
      name: 'escalateTo: next past the top mapped tier (Autotask T3)',
      instance: 'globex-at',
      then: { escalateTo: 'next' },
      location: { queue: { id: '29683484' } },
    },
  ])('$name yields only its notify', ({ instance, then, location }) => {
    const p = policyWith(
      [
        {
          id: 'r',
          kind: 'hierarchical',
          when: { text: 'help' },
          then: { ...then, priority: 'P1', note: 'internal', customerNote: true, tag: 't', notify: ['managers'] },
        },
      ],
      instance,
    );
    const d = evaluate({ ticket: cwTicket({ title: 'help', location }), policy: p, now: NOW });
    expect(d.actions).toEqual([{ type: 'notify', rule: 'r', notifier: 'managers' }]);
    expect(reasonRules(d)).toEqual(['r']);
  });

  it('`next` from tier null never matches (no notify, no reason)', () => {
    const p = policyWith([
      { id: 'r', kind: 'hierarchical', when: { text: 'help' }, then: { escalateTo: 'next', notify: ['managers'] } },
    ]);
    const d = evaluate({ ticket: cwTicket({ title: 'help', location: { queue: { id: '99' } } }), policy: p, now: NOW });
    expect(d.actions).toEqual([]);
    expect(d.reasons).toEqual([]);
  });

  it('a rule whose move is impossible (down / same location) does not match at all', () => {
    const p = policyWith([
      { id: 'r', kind: 'functional', when: { text: 'help' }, then: { group: 'tier2', notify: ['managers'], tag: 't' } },
    ]);
    const at = (location: Ticket['location']) =>
      evaluate({ ticket: cwTicket({ title: 'help', location }), policy: p, now: NOW });
    expect(at({ queue: { id: '1' }, team: { id: '4' } }).reasons).toEqual([]); // already there
    expect(at({ queue: { id: '12' }, team: { id: '27' } }).reasons).toEqual([]); // T3 → T2 would be down
    expect(reassignOf(at({ queue: { id: '5' }, team: { id: '9' } }))).toMatchObject({ tier: 'T2', group: 'tier2' }); // same tier, other location
  });
});

describe('docs/spec.md §2 guards: hold and daily limit boundaries (real time)', () => {
  const vip = { company: { id: '9', name: 'HQCorp', vip: true } };
  const moved = [{ rule: 'earlier', kind: 'tiered', tier: 'T1', at: '2026-11-24T10:00:00Z' }];

  it.each([
    { lastManualChangeAt: '2026-11-24T10:41:00Z', held: true }, // hold ends 14:41
    { lastManualChangeAt: '2026-11-24T10:40:00Z', held: false }, // ended exactly now
  ])(
    'respectManualChangesFor 4h: manual change at $lastManualChangeAt, now 14:40 → held $held',
    ({ lastManualChangeAt, held }) => {
      const d = evaluate({
        ticket: cwTicket(vip),
        state: { escalations: moved, lastManualChangeAt },
        policy: acme,
        now: '2026-11-24T14:40:00Z',
      });
      expect(reassignOf(d) === undefined).toBe(held);
      expect(d.reasons.find((r) => r.rule === 'vip-fast-lane')?.suppressed).toBe(held ? 'manual_hold' : undefined);
      expect(notifiers(d)).toEqual(['managers']);
      if (held) expect(d.nextCheckAt).toBe('2026-11-24T14:41:00Z');
    },
  );

  it.each([
    { oldest: '2026-11-23T14:40:00Z', limited: false }, // exactly 24 h ago: out of the rolling window
    { oldest: '2026-11-23T14:41:00Z', limited: true },
  ])('3 per day: reassigns at $oldest, 10:00, 11:00, now 14:40 → limited $limited', ({ oldest, limited }) => {
    const escalations = [oldest, '2026-11-24T10:00:00Z', '2026-11-24T11:00:00Z'].map((at, i) => ({
      rule: `old${i}`,
      at,
    }));
    const d = evaluate({ ticket: cwTicket(vip), state: { escalations }, policy: acme, now: '2026-11-24T14:40:00Z' });
    expect(reassignOf(d) === undefined).toBe(limited);
    if (limited) {
      expect(d.reasons[0]).toMatchObject({ rule: 'vip-fast-lane', suppressed: 'daily_limit' });
      expect(d.nextCheckAt).toBe('2026-11-24T14:41:00Z');
    }
  });
});

describe('docs/spec.md §2/§4 Decision JSON: clocks, VIP and instants', () => {
  const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

  it('no mapped priority: clocks is {} and slaUsed conditions are false', () => {
    const p = oneRule({ slaUsed: { any: { gte: 1 } } });
    const d = evaluate({
      ticket: cwTicket({ priority: { id: 'x', name: 'x', level: null } }),
      policy: p,
      now: '2026-11-26T14:00:00Z',
    });
    expect(d.clocks).toEqual({});
    expect(d.reasons).toEqual([]);
  });

  it('a VIP contact (not company) halves the targets: max(1, floor(target × 0.5))', () => {
    const contact = { id: '7', name: 'CEO', vip: true };
    const p3 = evaluate({ ticket: cwTicket({ contact }), policy: acme, now: NOW }).clocks;
    expect([p3.firstResponse?.targetMinutes, p3.resolution?.targetMinutes]).toEqual([120, 720]);
    const p1 = evaluate({
      ticket: cwTicket({ contact, priority: { id: '4', name: 'P1', level: 1 } }),
      policy: acme,
      now: NOW,
    }).clocks;
    expect([p1.firstResponse?.targetMinutes, p1.resolution?.targetMinutes]).toEqual([7, 120]); // 15 × 0.5 = 7.5 → 7
  });

  it('instants are YYYY-MM-DDTHH:mm:ssZ without fraction, whatever offset or fraction came in', () => {
    const d = evaluate({
      ticket: cwTicket({ createdAt: '2026-11-24T09:00:00.250-05:00' }),
      policy: acme,
      now: '2026-11-24T09:30:00.500-05:00',
    });
    expect(d.nextCheckAt).toMatch(ISO);
    expect(d.clocks.firstResponse?.dueAt).toMatch(ISO);
    expect(d.clocks.resolution?.dueAt).toMatch(ISO);
    // t1-timeout at 2 business hours after 14:00:00.250Z, rounded up to the whole second.
    expect(d.nextCheckAt).toBe('2026-11-24T16:00:01Z');
    expect(Object.keys(d)).toEqual(['actions', 'reasons', 'nearMisses', 'clocks', 'nextCheckAt']);
    expect(Object.keys(d.clocks.resolution ?? {})).toEqual([
      'targetMinutes',
      'dueAt',
      'elapsedMinutes',
      'usedPct',
      'breached',
      'paused',
      'stopped',
    ]);
  });
});
