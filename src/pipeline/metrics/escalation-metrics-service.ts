import type { Decision, Logger, Ticket } from '../../contract/index.js';
import type { AppConfig } from '../../config/types.js';
import { compileCalendars } from '../../engine/calendar.js';
import type { BusinessCalendar } from '../../engine/types.js';
import type { MetricsHistoryStore } from '../../store/metrics-history-store.js';

import { recordEvaluation, recordGone } from './escalation-metrics-history.js';
import type { OurMoves } from './escalation-metrics-history.js';
import { computeEscalationMetrics } from './escalation-metrics.js';
import type { EscalationMetrics } from './escalation-metrics.js';

/** What the ticket processor feeds after each evaluation (failures are logged, never fail the job). */
export interface EscalationMetricsRecorder {
  /** After an evaluation: the ticket as read, the decision and the stored state (`TicketRecord` fits `ours`). */
  record(args: {
    instanceId: string;
    ticket: Ticket;
    decision?: Decision;
    ours?: OurMoves;
    mode?: 'enforce' | 'observe';
    now: number;
  }): Promise<void>;
  gone(instanceId: string, ticketId: string, now: number): Promise<void>;
}

export interface EscalationMetricsQuery {
  instance: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/** Every instance together (`instance: null`) plus each one in `byInstance`. */
export type AggregateEscalationMetrics = Omit<EscalationMetrics, 'instance' | 'tier3Audit'> & {
  instance: null;
  tier3Audit: (EscalationMetrics['tier3Audit'][number] & { instance: string })[];
  byInstance: Record<string, EscalationMetrics>;
};

export interface EscalationMetricsService extends EscalationMetricsRecorder {
  query(q: EscalationMetricsQuery): Promise<EscalationMetrics>;
  /** All configured instances over [from, to): one aggregate over every ticket history, and each instance's own. */
  queryAll(q: Omit<EscalationMetricsQuery, 'instance'>): Promise<AggregateEscalationMetrics>;
}

export interface EscalationMetricsServiceOptions {
  store: MetricsHistoryStore;
  config: Pick<AppConfig, 'calendars' | 'policies' | 'instances' | 'tiers'>;
  log: Logger;
}

type BusinessMinutes = (ticket: Ticket, fromMs: number, toMs: number) => number;

/**
 * Business minutes in the ticket's clock calendar (docs/spec.md §2: the priority's `calendar` override, else the policy's);
 * real minutes when the instance, policy or calendar is unknown.
 */
export function businessMinutesFor(
  config: EscalationMetricsServiceOptions['config'],
  instanceId: string,
): BusinessMinutes {
  let calendars: Record<string, BusinessCalendar> = {};
  try {
    calendars = compileCalendars(config.calendars);
  } catch {
    // check-config rejects bad calendars before serve starts; real minutes are the safe fallback here
  }
  const policyName = config.instances.find((i) => i.info.id === instanceId)?.info.policy;
  const policy = policyName === undefined ? undefined : config.policies[policyName];
  return (ticket, fromMs, toMs) => {
    const level = ticket.priority.level;
    const name = (level === null ? undefined : policy?.sla[`P${level}`]?.calendar) ?? policy?.calendar;
    const cal = name === undefined ? undefined : calendars[name];
    const ms = cal ? cal.businessBetween(fromMs, toMs) : Math.max(0, toMs - fromMs);
    return Math.round((ms / 60_000) * 100) / 100;
  };
}

/** Each configured instance's metrics, and one aggregate over every instance's ticket histories. */
async function queryAllInstances(
  store: MetricsHistoryStore,
  config: EscalationMetricsServiceOptions['config'],
  from: number,
  to: number,
): Promise<AggregateEscalationMetrics> {
  const byInstance: Record<string, EscalationMetrics> = {};
  const all = [];
  for (const i of config.instances) {
    const id = i.info.id;
    const histories = await store.since(id, from);
    byInstance[id] = computeEscalationMetrics(histories, { instance: id, from, to, tiers: config.tiers });
    // Ticket ids repeat across PSAs: the aggregate keys each history by instance and ticket.
    all.push(...histories.map((h) => ({ ...h, instanceId: '', ticketId: `${id}\n${h.ticketId}` })));
  }
  const {
    instance: _all,
    tier3Audit: _t3,
    ...merged
  } = computeEscalationMetrics(all, { instance: '', from, to, tiers: config.tiers });
  const tier3Audit = Object.entries(byInstance)
    .flatMap(([instance, m]) => m.tier3Audit.map((row) => ({ ...row, instance })))
    .sort((a, b) => (a.arrivedAt < b.arrivedAt ? -1 : a.arrivedAt > b.arrivedAt ? 1 : 0));
  return { instance: null, ...merged, tier3Audit, byInstance };
}

/** Records histories through the store and computes docs/spec.md §5 metrics from them. */
export function createEscalationMetricsService(options: EscalationMetricsServiceOptions): EscalationMetricsService {
  const { store, config, log } = options;
  const clocks = new Map<string, BusinessMinutes>();
  const clockOf = (id: string): BusinessMinutes => {
    let c = clocks.get(id);
    if (!c) clocks.set(id, (c = businessMinutesFor(config, id)));
    return c;
  };
  const toleranceMin = (id: string): number =>
    (config.instances.find((i) => i.info.id === id)?.slaDriftToleranceMs ?? 5 * 60_000) / 60_000;
  return {
    async record({ instanceId, ticket, decision, ours, mode, now }) {
      try {
        const prev = await store.get(instanceId, ticket.ref.id);
        const bm = clockOf(instanceId);
        const next = recordEvaluation(prev, {
          instanceId,
          ticket,
          now,
          ...(decision ? { decision } : {}),
          ...(ours ? { ours } : {}),
          ...(mode ? { mode } : {}),
          businessMinutes: (a, b) => bm(ticket, a, b),
          slaDriftToleranceMin: toleranceMin(instanceId),
        });
        await store.put(next);
      } catch (e) {
        log.warn(
          { err: { message: e instanceof Error ? e.message : String(e) }, instance: instanceId, ticket: ticket.ref.id },
          'escalation metrics: history not recorded',
        );
      }
    },
    async gone(instanceId, ticketId, now) {
      try {
        const prev = await store.get(instanceId, ticketId);
        if (prev) await store.put(recordGone(prev, now));
      } catch (e) {
        log.warn(
          { err: { message: e instanceof Error ? e.message : String(e) }, instance: instanceId, ticket: ticketId },
          'escalation metrics: end not recorded',
        );
      }
    },
    async query({ instance, from, to }) {
      const histories = await store.since(instance, from);
      return computeEscalationMetrics(histories, { instance, from, to, tiers: config.tiers });
    },
    queryAll: ({ from, to }) => queryAllInstances(store, config, from, to),
  };
}
