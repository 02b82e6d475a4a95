import { describe, expect, it } from 'vitest';

import type { Ticket, TicketState } from '../contract/index.js';
import { notes, notifiers, priorityOf, reasonRules, reassignOf, run, tags } from './__fixtures__/decision-helpers.js';
import { loadExample } from './__fixtures__/example-policy.js';

/**
 * Every rule of examples/escalator.yaml, firing and not firing, on the ConnectWise instance (acme-cw). The base
 * ticket (see cwTicket) is a T1 P3 ticket owned by alice, created Tue 2026-11-24 09:00 EST (14:00Z); business hours
 * are Mon–Fri 08:00–18:00 and Sat 09:00–13:00 America/New_York (13:00Z–23:00Z on weekdays in November).
 */

const acme = loadExample().compile('acme-cw');

const T2 = { queue: { id: '1' }, team: { id: '4' } };
const NETWORK = { queue: { id: '5' }, team: { id: '9' } };
const T3_TIER3 = { queue: { id: '12' }, team: { id: '27' } };
const T3_SECURITY = { queue: { id: '12' }, team: { id: '30' } };
const T4 = { queue: { id: '14' }, team: { id: '2' } };
const responded = { firstRespondedAt: '2026-11-24T14:01:00Z' };

interface Row {
  name: string;
  rule: string;
  fires: boolean;
  ticket?: Partial<Ticket>;
  state?: TicketState;
  now: string;
  /** Expected reassign (tier/group/owner) when the rule fires and wins the move. */
  move?: { tier: string | null; group?: string; owner?: string };
  priority?: string;
  notify?: string[];
  noteTemplates?: string[];
  tags?: string[];
}

const rows: Row[] = [
  // emergency-security
  {
    name: 'ransomware in the title',
    rule: 'emergency-security',
    fires: true,
    ticket: { title: 'Ransomware on file server' },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T3', group: 'security', owner: 'sec.carol' },
    priority: 'P1',
    notify: ['oncall', 'managers'],
    noteTemplates: ['handoff'],
  },
  {
    name: 'phrase "data leak" in the latest note',
    rule: 'emergency-security',
    fires: true,
    ticket: { latestNote: 'User reports a possible data-leak via OneDrive' },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T3', group: 'security', owner: 'sec.carol' },
    priority: 'P1',
  },
  {
    name: '"antimalware" is not the word malware',
    rule: 'emergency-security',
    fires: false,
    ticket: { title: 'Antimalware definitions out of date' },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'already at the security location',
    rule: 'emergency-security',
    fires: false,
    ticket: { title: 'Phishing mail', location: T3_SECURITY },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'in T4 (never down)',
    rule: 'emergency-security',
    fires: false,
    ticket: { title: 'Malware on laptop', location: T4 },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'from an unmapped location (tier null)',
    rule: 'emergency-security',
    fires: true,
    ticket: { title: 'Malware on laptop', location: { queue: { id: '99' } } },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T3', group: 'security', owner: 'sec.carol' },
  },
  // emergency-outage
  {
    name: '25 users affected',
    rule: 'emergency-outage',
    fires: true,
    ticket: { usersAffected: 25, priority: { id: '5', name: 'Priority 2', level: 2 } },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T3', group: 'tier3', owner: 't3.grace' },
    priority: 'P1',
    notify: ['oncall'],
    noteTemplates: ['handoff'],
  },
  {
    name: '"site down" in the description',
    rule: 'emergency-outage',
    fires: true,
    ticket: { description: 'Boston site down since 8am' },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T3', group: 'tier3' },
  },
  {
    name: '24 users and no outage words',
    rule: 'emergency-outage',
    fires: false,
    ticket: { usersAffected: 24 },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: '"outages" is not "outage"',
    rule: 'emergency-outage',
    fires: false,
    ticket: { title: 'Planned outages calendar' },
    now: '2026-11-24T14:05:00Z',
  },
  // functional-network
  {
    name: 'category Network/Switch',
    rule: 'functional-network',
    fires: true,
    ticket: { category: ['Network', 'Switch'] },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T2', group: 'network', owner: 'net.alice' },
    noteTemplates: ['handoff'],
  },
  {
    name: 'category Firewall/Rules, round-robin cursor 1',
    rule: 'functional-network',
    fires: true,
    ticket: { category: ['Firewall', 'Rules'] },
    state: { groupCursors: { network: 1 } },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T2', group: 'network', owner: 'net.bob' },
  },
  {
    name: 'category Network alone (Network/* needs a child)',
    rule: 'functional-network',
    fires: false,
    ticket: { category: ['Network'] },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'category Hardware/Firewall (Firewall is top-level only)',
    rule: 'functional-network',
    fires: false,
    ticket: { category: ['Hardware', 'Firewall'] },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'already in the network queue',
    rule: 'functional-network',
    fires: false,
    ticket: { category: ['VPN'], location: NETWORK },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'from T3 (never down)',
    rule: 'functional-network',
    fires: false,
    ticket: { category: ['VPN'], location: T3_TIER3 },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'from another T2 location (same tier, group only)',
    rule: 'functional-network',
    fires: true,
    ticket: { category: ['VPN'], location: T2 },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T2', group: 'network', owner: 'net.alice' },
  },
  // complexity-multi-user
  {
    name: 'T1 with 3 users affected, least-loaded',
    rule: 'complexity-multi-user',
    fires: true,
    ticket: { usersAffected: 3 },
    state: { memberLoads: { 't2.erin': 4, 't2.frank': 1 } },
    now: '2026-11-24T14:05:00Z',
    move: { tier: 'T2', group: 'tier2', owner: 't2.frank' },
    noteTemplates: ['handoff'],
  },
  {
    name: 'one user affected',
    rule: 'complexity-multi-user',
    fires: false,
    ticket: { usersAffected: 1 },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'usersAffected unknown',
    rule: 'complexity-multi-user',
    fires: false,
    ticket: { usersAffected: undefined },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'not in T1',
    rule: 'complexity-multi-user',
    fires: false,
    ticket: { usersAffected: 3, location: T2 },
    now: '2026-11-24T14:05:00Z',
  },
  // t1-timeout
  {
    name: 'T1 for 2 business hours',
    rule: 't1-timeout',
    fires: true,
    now: '2026-11-24T16:00:00Z',
    move: { tier: 'T2', group: 'tier2', owner: 't2.erin' },
    noteTemplates: ['handoff'],
  },
  { name: 'T1 for 1 h 59 business minutes', rule: 't1-timeout', fires: false, now: '2026-11-24T15:59:00Z' },
  {
    name: 'created 17:00 local: 1 h that evening + 1 h next morning',
    rule: 't1-timeout',
    fires: true,
    ticket: { createdAt: '2026-11-24T22:00:00Z' },
    now: '2026-11-25T14:00:00Z',
    move: { tier: 'T2', group: 'tier2' },
  },
  {
    name: 'created 17:00 local, overnight is not business time',
    rule: 't1-timeout',
    fires: false,
    ticket: { createdAt: '2026-11-24T22:00:00Z' },
    now: '2026-11-25T13:59:00Z',
  },
  {
    name: 'T1 visit started later (tierSince)',
    rule: 't1-timeout',
    fires: false,
    state: { tierSince: '2026-11-24T15:00:00Z' },
    now: '2026-11-24T16:30:00Z',
  },
  // t2-timeout
  {
    name: 'T2 for 8 business hours',
    rule: 't2-timeout',
    fires: true,
    ticket: { location: T2, ...responded },
    now: '2026-11-24T22:00:00Z',
    move: { tier: 'T3', group: 'tier3', owner: 't3.grace' },
    noteTemplates: ['handoff'],
  },
  {
    name: 'T2 for 7 business hours',
    rule: 't2-timeout',
    fires: false,
    ticket: { location: T2, ...responded },
    now: '2026-11-24T21:00:00Z',
  },
  // sla-risk
  {
    name: 'P2 at 80 % of resolution',
    rule: 'sla-risk',
    fires: true,
    ticket: { location: T2, priority: { id: '5', name: 'Priority 2', level: 2 }, ...responded },
    now: '2026-11-24T20:24:00Z',
    notify: ['managers'],
    noteTemplates: ['internal'],
  },
  {
    name: 'P2 at 79 %',
    rule: 'sla-risk',
    fires: false,
    ticket: { location: T2, priority: { id: '5', name: 'Priority 2', level: 2 }, ...responded },
    now: '2026-11-24T20:23:00Z',
  },
  {
    name: 'no mapped priority (no clocks)',
    rule: 'sla-risk',
    fires: false,
    ticket: { location: T2, priority: { id: '99', name: 'Unknown', level: null } },
    now: '2026-11-25T20:00:00Z',
  },
  // sla-breach
  {
    name: 'first response breached in T1 (t1-timeout already fired)',
    rule: 'sla-breach',
    fires: true,
    state: { fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] },
    now: '2026-11-24T18:00:00Z',
    move: { tier: 'T2', group: 'tier2', owner: 't2.erin' },
    notify: ['managers'],
    noteTemplates: ['customer'],
  },
  {
    name: 'responded in time, resolution at 17 %',
    rule: 'sla-breach',
    fires: false,
    ticket: responded,
    state: { fired: [{ rule: 't1-timeout', at: '2026-11-24T16:00:00Z', tier: 'T1' }] },
    now: '2026-11-24T18:00:00Z',
  },
  {
    name: 'breached at the top tier: notify only',
    rule: 'sla-breach',
    fires: true,
    ticket: { location: T4 },
    now: '2026-11-24T18:00:00Z',
    notify: ['managers'],
    noteTemplates: [],
  },
  // vip-fast-lane
  {
    name: 'VIP in T1 for 30 business minutes',
    rule: 'vip-fast-lane',
    fires: true,
    ticket: { company: { id: '9', name: 'HQCorp', vip: true } },
    now: '2026-11-24T14:30:00Z',
    move: { tier: 'T2', group: 'tier2', owner: 't2.erin' },
    notify: ['managers'],
    noteTemplates: ['handoff'],
  },
  {
    name: 'VIP contact counts too',
    rule: 'vip-fast-lane',
    fires: true,
    ticket: { contact: { id: '7', name: 'CEO', email: 'ceo@x.example', vip: true } },
    now: '2026-11-24T14:30:00Z',
    move: { tier: 'T2', group: 'tier2' },
  },
  {
    name: 'VIP after 29 minutes',
    rule: 'vip-fast-lane',
    fires: false,
    ticket: { company: { id: '9', name: 'HQCorp', vip: true } },
    now: '2026-11-24T14:29:00Z',
  },
  { name: 'not VIP after 30 minutes', rule: 'vip-fast-lane', fires: false, now: '2026-11-24T14:30:00Z' },
  // recurring-incident
  {
    name: 'third similar ticket in 24 h',
    rule: 'recurring-incident',
    fires: true,
    state: { recurringCount: 3 },
    now: '2026-11-24T14:05:00Z',
    notify: ['managers'],
    noteTemplates: ['internal'],
    tags: ['problem-candidate'],
  },
  {
    name: 'second similar ticket',
    rule: 'recurring-incident',
    fires: false,
    state: { recurringCount: 2 },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'no category (same: category can never match)',
    rule: 'recurring-incident',
    fires: false,
    ticket: { category: [] },
    state: { recurringCount: 5 },
    now: '2026-11-24T14:05:00Z',
  },
  // orphan
  {
    name: 'no owner after 30 business minutes',
    rule: 'orphan',
    fires: true,
    ticket: { owner: null },
    now: '2026-11-24T14:30:00Z',
    move: { tier: 'T2', group: 'tier2', owner: 't2.erin' },
    notify: ['oncall'],
    noteTemplates: [],
  },
  {
    name: 'no owner, waiting on the customer: age still counts',
    rule: 'orphan',
    fires: true,
    ticket: { owner: null, status: { id: '4', name: 'Waiting Customer', category: 'waiting_customer' } },
    now: '2026-11-24T14:30:00Z',
    move: { tier: 'T2', group: 'tier2' },
  },
  {
    name: 'no owner after 29 minutes',
    rule: 'orphan',
    fires: false,
    ticket: { owner: null },
    now: '2026-11-24T14:29:00Z',
  },
  { name: 'owned', rule: 'orphan', fires: false, now: '2026-11-24T14:30:00Z' },
  {
    name: 'unowned but already at the tier2 location',
    rule: 'orphan',
    fires: false,
    ticket: { owner: null, location: T2 },
    now: '2026-11-24T14:30:00Z',
  },
  // after-hours-p1
  {
    name: 'P1 at 21:00 local',
    rule: 'after-hours-p1',
    fires: true,
    ticket: {
      priority: { id: '4', name: 'Priority 1', level: 1 },
      createdAt: '2026-11-25T01:55:00Z',
      ...{ firstRespondedAt: '2026-11-25T01:56:00Z' },
    },
    now: '2026-11-25T02:00:00Z',
    move: { tier: 'T3', group: 'tier3', owner: 't3.grace' },
    notify: ['oncall'],
  },
  {
    name: 'P1 on Thanksgiving (holiday) at noon',
    rule: 'after-hours-p1',
    fires: true,
    ticket: {
      priority: { id: '4', name: 'Priority 1', level: 1 },
      createdAt: '2026-11-26T16:55:00Z',
      firstRespondedAt: '2026-11-26T16:56:00Z',
    },
    now: '2026-11-26T17:00:00Z',
    move: { tier: 'T3', group: 'tier3' },
  },
  {
    name: 'P1 in business hours',
    rule: 'after-hours-p1',
    fires: false,
    ticket: { priority: { id: '4', name: 'Priority 1', level: 1 }, ...responded },
    now: '2026-11-24T14:05:00Z',
  },
  {
    name: 'P2 at night',
    rule: 'after-hours-p1',
    fires: false,
    ticket: { priority: { id: '5', name: 'Priority 2', level: 2 }, createdAt: '2026-11-25T01:55:00Z' },
    now: '2026-11-25T02:00:00Z',
  },
];

describe('example rules (acme-cw)', () => {
  it.each(rows)('$rule: $name → fires=$fires', (row) => {
    const d = run(acme, { ticket: row.ticket, state: row.state, now: row.now });
    expect(reasonRules(d).includes(row.rule)).toBe(row.fires);
    if (!row.fires) {
      expect(d.actions.filter((a) => a.rule === row.rule)).toEqual([]);
      return;
    }
    const reassign = reassignOf(d);
    if (row.move) {
      expect(reassign?.rule).toBe(row.rule);
      expect(reassign).toMatchObject(row.move);
    } else {
      expect(reassign?.rule).not.toBe(row.rule);
    }
    if (row.priority) expect(priorityOf(d)).toBe(row.priority);
    if (row.notify)
      expect(
        notifiers(d).filter((n) =>
          d.actions.some((a) => a.type === 'notify' && a.notifier === n && a.rule === row.rule),
        ),
      ).toEqual(row.notify);
    if (row.noteTemplates)
      expect(
        notes(d)
          .filter((n) => n.rule === row.rule)
          .map((n) => n.template),
      ).toEqual(row.noteTemplates);
    if (row.tags) expect(tags(d)).toEqual(row.tags);
  });
});
