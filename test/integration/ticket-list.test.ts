import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TicketListPage } from '../../src/pipeline/read/ticket-list.js';

import { waitFor } from '../helpers/wait.js';
import { startHarness } from './metrics-harness.js';
import type { Harness } from './metrics-harness.js';

// Issue 16 "At risk": `GET /api/tickets?instance=&sort=risk` lists open tickets across instances through the real
// service, sorted by the next SLA due instant or scheduled check, with business time left, filters and paging.

describe('GET /api/tickets (open tickets by risk)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('enforce');
    // Entered T1 1.5 h, 0.5 h and 1 h ago: t1-timeout (2 h) is due in 0.5 h, 1.5 h and 1 h.
    for (const [id, hoursAgo] of [
      [6001, 1.5],
      [6002, 0.5],
      [6003, 1],
    ] as const) {
      h.t1Ticket(id, hoursAgo);
      expect(await h.deliver(id)).toBe(202);
    }
    await waitFor(async () => {
      const ids = [6001, 6002, 6003];
      const records = await Promise.all(ids.map((id) => h.running.stores.tickets.get('acme-cw', String(id))));
      return records.every((r) => r?.nextCheckAt);
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sorts by the earliest next check / SLA due instant and says what is due', async () => {
    const { status, body } = await h.api<TicketListPage>('/api/tickets?instance=acme-cw&sort=risk');
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    expect(body.items.map((t) => t.ticketId)).toEqual(['6001', '6003', '6002']);
    const first = body.items[0]!;
    expect(first).toMatchObject({
      instanceId: 'acme-cw',
      psa: 'connectwise',
      tier: 'T1',
      company: expect.any(String),
      calendar: { name: 'always', timezone: 'UTC', openNow: true },
    });
    expect(first.risk).toEqual({ at: first.nextCheckAt, kind: 'check' });
    // Half an hour left on the 2-hour timeout (generous bounds: evaluation time on a loaded machine).
    const left = Date.parse(first.risk!.at) - Date.parse(body.asOf);
    expect(left).toBeGreaterThan(20 * 60_000);
    expect(left).toBeLessThanOrEqual(31 * 60_000);
    // A 24×7 calendar: business time left is wall time left (asOf is rounded to the second).
    for (const c of first.clocks)
      expect(Math.abs(c.businessRemainingMs - (Date.parse(c.dueAt) - Date.parse(body.asOf)))).toBeLessThan(1_000);
  });

  it('pages with nextCursor and filters by tier, group and company', async () => {
    const p1 = await h.api<TicketListPage>('/api/tickets?limit=2');
    expect(p1.body.items.map((t) => t.ticketId)).toEqual(['6001', '6003']);
    expect(p1.body.nextCursor).toBe('2');
    const p2 = await h.api<TicketListPage>(`/api/tickets?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body).toMatchObject({ nextCursor: null, items: [expect.objectContaining({ ticketId: '6002' })] });
    expect((await h.api<TicketListPage>('/api/tickets?tier=T2')).body.items).toEqual([]);
    expect((await h.api<TicketListPage>('/api/tickets?tier=T1')).body.total).toBe(3);
    expect((await h.api<TicketListPage>('/api/tickets?company=no-such-company')).body.total).toBe(0);
    const company = p1.body.items[0]!.company;
    expect(
      (await h.api<TicketListPage>(`/api/tickets?company=${encodeURIComponent(company.slice(0, 3).toLowerCase())}`))
        .body.total,
    ).toBe(3);
    const group = p1.body.items[0]!.location!;
    expect((await h.api<TicketListPage>(`/api/tickets?group=${encodeURIComponent(group)}`)).body.total).toBe(3);
  });

  it('escalation metrics split by company and category (console Metrics page) group the same histories', async () => {
    const now = Date.now();
    const window = { instance: 'acme-cw', from: now - 86_400_000, to: now + 60_000 };
    const byCompany = await waitFor(async () => {
      const groups = await h.running.read.escalationMetricsBy!({ ...window, by: 'company' });
      return groups.reduce((n, g) => n + g.tickets, 0) === 3 ? groups : undefined;
    });
    const company = (await h.api<TicketListPage>('/api/tickets')).body.items[0]!.company;
    expect(byCompany.map((g) => [g.key, g.tickets])).toEqual([[company, 3]]);
    const whole = await h.running.read.escalationMetrics!(window);
    expect(byCompany[0]!.metrics.tiers).toEqual(whole.tiers);
    const byCategory = await h.running.read.escalationMetricsBy!({ ...window, by: 'category' });
    expect(byCategory.reduce((n, g) => n + g.tickets, 0)).toBe(3);
  });

  it('bad input is a 400, an unknown instance a 404, no token a 401', async () => {
    expect((await h.api('/api/tickets?cursor=abc')).status).toBe(400);
    expect((await h.api('/api/tickets?sort=sideways')).status).toBe(400);
    expect((await h.api('/api/tickets?limit=501')).status).toBe(400);
    expect((await h.api('/api/tickets?instance=nope')).status).toBe(404);
    expect((await fetch(`${h.base}/api/tickets`)).status).toBe(401);
  });
});
