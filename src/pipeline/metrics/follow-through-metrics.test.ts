import { describe, expect, it } from 'vitest';

import { CalendarSchema, PolicySchema } from '../../contract/index.js';
import type { AppConfig } from '../../config/types.js';
import type { Review } from '../../store/review-store.js';
import type { TicketRecord } from '../../store/ticket-store.js';

import { computeFollowThrough, metricsBlock } from './follow-through-metrics.js';

// Issue 17: the follow-through block of `GET /api/metrics/escalations`, one computation shared with `report --month`:
// per instance (its own calendar's timezone) and every instance together.

const policy = (calendar: string, rca?: unknown) =>
  PolicySchema.parse({ calendar, rules: [], ...(rca ? { rca } : {}) });
const config = {
  tiers: ['T1', 'T2', 'T3'],
  calendars: {
    ny: CalendarSchema.parse({ timezone: 'America/New_York', hours: { 'mon-fri': '08:00-18:00' } }),
    syd: CalendarSchema.parse({ timezone: 'Australia/Sydney', hours: { 'mon-fri': '08:00-18:00' } }),
  },
  policies: { us: policy('ny', { after: ['emergency'], within: '5d', heading: 'RCA:' }), au: policy('syd') },
  instances: [{ info: { id: 'cw', policy: 'us' } }, { info: { id: 'halo', policy: 'au' } }],
} as unknown as Pick<AppConfig, 'calendars' | 'policies' | 'instances' | 'tiers'>;

function record(
  instanceId: string,
  ticketId: string,
  o: {
    company: string;
    category?: string;
    moves: [string, string][];
    rca?: TicketRecord['rca'];
    notes?: { at: string; text: string }[];
  },
): TicketRecord {
  return {
    v: 1,
    instanceId,
    ticketId,
    firstSeenAt: '2026-11-02T12:00:00Z',
    ticket: {
      company: { id: o.company, name: o.company },
      category: o.category ? [o.category] : [],
      recentNotes: (o.notes ?? []).map((n) => ({ ...n, ours: false, internal: true })),
    },
    escalations: o.moves.map(([at, tier]) => ({ rule: 'r', kind: 'tiered', tier, at })),
    ...(o.rca ? { rca: o.rca } : {}),
  } as unknown as TicketRecord;
}

const w = { from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') };

describe('computeFollowThrough', () => {
  // 14:00Z on Monday 2 Nov: 09:00 in New York (Mon), 01:00 Tuesday in Sydney.
  const records = [
    record('cw', '1', {
      company: 'Contoso',
      category: 'Security',
      moves: [['2026-11-02T14:00:00Z', 'T3']],
      rca: { requestedAt: '2026-11-03T10:00:00Z' },
      notes: [{ at: '2026-11-04T10:00:00Z', text: 'RCA: phishing' }],
    }),
    record('cw', '2', {
      company: 'Contoso',
      moves: [['2026-11-02T14:00:00Z', 'T2']],
      rca: { requestedAt: '2026-11-03T10:00:00Z', overdueNotifiedAt: '2026-11-10T23:00:00Z' },
    }),
    record('halo', '1', { company: 'Wallaby', moves: [['2026-11-02T14:00:00Z', 'T2']] }),
    record('gone', '9', { company: 'Old', moves: [['2026-11-02T14:00:00Z', 'T2']] }),
  ];
  const reviews: Review[] = [
    {
      id: 'a',
      instanceId: 'cw',
      ticketId: '1',
      rules: ['emergency'],
      appropriate: true,
      reviewedAt: '2026-11-05T00:00:00Z',
    },
    {
      id: 'b',
      instanceId: 'halo',
      ticketId: '1',
      rules: ['t1-timeout'],
      appropriate: false,
      reviewedAt: '2026-11-05T00:00:00Z',
    },
  ];
  const r = computeFollowThrough(records, reviews, config, w);

  it('per instance: local hour and weekday of its calendar, its RCA heading, its reviews', () => {
    const cw = metricsBlock(r.byInstance['cw']!);
    expect(cw.breakdowns.byHour[9]).toBe(2);
    expect(cw.breakdowns.byWeekday['mon']).toBe(2);
    expect(cw.breakdowns.byCompany).toEqual({ Contoso: 2 });
    expect(cw.breakdowns.byCategory).toEqual({ Security: 1, '(none)': 1 });
    expect(cw.rca).toEqual({ required: 2, done: 1, overdue: 1, open: 0, completionRate: 0.5 });
    expect(cw.reviews).toEqual({
      reviewed: 1,
      appropriate: 1,
      share: 1,
      byRule: { emergency: { reviewed: 1, appropriate: 1, share: 1 } },
    });
    const halo = metricsBlock(r.byInstance['halo']!);
    expect(halo.breakdowns.byHour[1]).toBe(1);
    expect(halo.breakdowns.byWeekday['tue']).toBe(1);
    expect(halo.reviews.share).toBe(0);
  });

  it("every instance together: sums, each ticket on its own instance's clock, unconfigured instances left out", () => {
    const all = metricsBlock(r.all);
    expect(all.patterns.escalations).toBe(3);
    expect(all.breakdowns.byCompany).toEqual({ Contoso: 2, Wallaby: 1 });
    expect(all.breakdowns.byHour[9]).toBe(2);
    expect(all.breakdowns.byHour[1]).toBe(1);
    expect(all.rca).toEqual({ required: 2, done: 1, overdue: 1, open: 0, completionRate: 0.5 });
    expect(all.reviews).toMatchObject({ reviewed: 2, appropriate: 1, share: 0.5 });
    // One of three escalated tickets reached T3; Contoso (1 of 2) is above the fleet's third.
    expect(all.patterns.tier3.fleetShare).toBe(0.333);
    expect(all.patterns.tier3.companiesAboveFleet.map((c) => c.company)).toEqual(['Contoso']);
  });
});
