import { describe, expect, it } from 'vitest';

import { computePatterns } from './patterns.js';
import type { TicketFacts } from './patterns.js';

const from = Date.parse('2026-11-01T00:00:00Z');
const to = Date.parse('2026-12-01T00:00:00Z');
const t = (id: string, company: string, category: string, moves: [string, string][]): TicketFacts => ({
  instanceId: 'acme',
  ticketId: id,
  company,
  category,
  firstSeenAt: '2026-11-10T12:00:00Z',
  escalations: moves.map(([tier, at]) => ({ rule: 'r', tier, at })),
});

describe('computePatterns', () => {
  const tickets = [
    // Contoso: 2 escalated tickets, both reach T3 (share 1 > fleet 0.5).
    t('1', 'Contoso', 'Firewall', [
      ['T2', '2026-11-10T14:00:00Z'],
      ['T3', '2026-11-10T15:30:00Z'],
    ]),
    t('2', 'Contoso', 'Firewall', [['T3', '2026-11-11T03:00:00Z']]),
    t('3', 'Contoso', 'Firewall', [['T2', '2026-11-12T14:00:00Z']]),
    // Fabrikam: 3 escalated tickets, none to T3.
    t('4', 'Fabrikam', 'Email', [['T2', '2026-11-13T14:00:00Z']]),
    t('5', 'Fabrikam', 'Email', []),
    t('6', 'Fabrikam', 'Email', []),
    t('7', 'Fabrikam', 'Printing', [['T2', '2026-11-14T14:00:00Z']]),
    t('8', 'Fabrikam', 'Printing', [['T2', '2026-10-14T14:00:00Z']]), // October: outside the month, and not seen in it
  ];
  const p = computePatterns(tickets, { from, to, tier3: 'T3', timezone: 'America/New_York' });

  it('breaks our moves down by company, category, local hour and weekday', () => {
    expect(p.escalations).toBe(6);
    expect(p.escalatedTickets).toBe(5);
    expect(p.byCompany).toEqual({ Contoso: 4, Fabrikam: 2 });
    expect(p.byCategory).toEqual({ Firewall: 4, Email: 1, Printing: 1 });
    // 14:00Z = 09:00 New York (EST); 15:30Z = 10:30; 03:00Z on the 11th = 22:00 on Tuesday the 10th.
    expect(p.byHour[9]).toBe(4);
    expect(p.byHour[10]).toBe(1);
    expect(p.byHour[22]).toBe(1);
    expect(p.byWeekday).toEqual({ mon: 0, tue: 3, wed: 0, thu: 1, fri: 1, sat: 1, sun: 0 }); // 10th Tue, 12th Thu, 13th Fri, 14th Sat
  });

  it('flags companies whose Tier 3 share is above the fleet and groups the Tier 3 audit by category', () => {
    expect(p.tier3.fleetShare).toBe(0.4); // 2 of 5 escalated tickets reached T3
    expect(p.tier3.companiesAboveFleet).toEqual([
      { company: 'Contoso', escalatedTickets: 3, tier3Tickets: 2, share: 0.667 },
    ]);
    expect(p.tier3.auditByCategory).toEqual({ Firewall: 2 });
  });

  it('names categories that escalate >= 80 % of the time (with at least 3 tickets) as functional-rule candidates', () => {
    expect(p.functionalRuleCandidates).toEqual([
      {
        category: 'Firewall',
        tickets: 3,
        escalated: 3,
        rate: 1,
        suggestion: 'candidate for a functional rule: send "Firewall" tickets to their skill group directly',
      },
    ]);
  });
});
