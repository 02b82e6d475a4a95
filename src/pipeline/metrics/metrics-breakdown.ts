import type { MetricsHistoryStore } from '../../store/metrics-history-store.js';
import type { TicketStore } from '../../store/ticket-store.js';

import { computeEscalationMetrics } from './escalation-metrics.js';
import type { EscalationMetrics } from './escalation-metrics.js';

// Escalation metrics split by company or category (the console's Metrics page, issue 16): the same computation as
// `GET /api/metrics/escalations`, over the histories of each group's tickets. Company and category come from the
// stored ticket (its last read); tickets whose state is gone fall under "(unknown)".

export type BreakdownDimension = 'company' | 'category';

export interface MetricsBreakdownQuery {
  instance: string;
  from: number;
  to: number;
  by: BreakdownDimension;
}

export interface MetricsGroup {
  key: string;
  /** Tickets of the group with history in the window. */
  tickets: number;
  metrics: EscalationMetrics;
}

export function createMetricsBreakdown(deps: {
  histories: MetricsHistoryStore;
  tickets: TicketStore;
  tiers: readonly string[];
}) {
  return async (q: MetricsBreakdownQuery): Promise<MetricsGroup[]> => {
    const histories = await deps.histories.since(q.instance, q.from);
    const records = await Promise.all(histories.map((h) => deps.tickets.get(q.instance, h.ticketId)));
    const groups = new Map<string, typeof histories>();
    histories.forEach((h, i) => {
      const t = records[i]?.ticket;
      const key = !t
        ? '(unknown)'
        : q.by === 'company'
          ? (t.company.name ?? t.company.id)
          : t.category.length
            ? t.category.join(' / ')
            : '(no category)';
      const list = groups.get(key) ?? [];
      list.push(h);
      groups.set(key, list);
    });
    return [...groups]
      .map(([key, hs]) => ({
        key,
        tickets: hs.length,
        metrics: computeEscalationMetrics(hs, { instance: q.instance, from: q.from, to: q.to, tiers: deps.tiers }),
      }))
      .sort((a, b) => b.tickets - a.tickets || a.key.localeCompare(b.key));
  };
}
