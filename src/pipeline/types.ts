import type { WebhookEvent } from '../contract/index.js';
import type { AuditEntry, DeadLetter, EscalationQuery, InstanceStatus } from '../store/models.js';

/**
 * The seam between the HTTP layer and the pipeline. The webhook route verifies and parses through the
 * connector, then calls `ingest`; the 202 goes out only after `ingest` resolved (the event is durably in Redis).
 */
export interface IngestRequest {
  instanceId: string;
  event: WebhookEvent;
  /** Epoch ms the request arrived. */
  receivedAt: number;
  requestId: string;
}

export interface IngestResult {
  /** `<instanceId>:<event id>` as returned in the 202 body. */
  eventId: string;
  duplicate: boolean;
}

/** Thrown (by code) when Redis can't take the event: the route answers 503 `unavailable`. */
export class PipelineUnavailableError extends Error {
  readonly code = 'unavailable' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineUnavailableError';
  }
}

export interface ReadinessReport {
  redis: boolean;
  /** null for the `api` role (no workers in this process). */
  workers: boolean | null;
}

export interface Pipeline {
  /** Dedupes (≥ dedupeTtl, atomic) and enqueues durably. Throws PipelineUnavailableError when Redis is down. */
  ingest(req: IngestRequest): Promise<IngestResult>;
  /** Autotask deactivation notice: marks the webhook state, counts it, schedules ≤ 1 registration check / 10 min. */
  reportDeactivation(instanceId: string): Promise<void>;
  /** Queues a reconciliation sweep now; `full` starts a backfill (every open ticket evaluated once). */
  enqueueReconcile(instanceId: string, options?: { full?: boolean }): Promise<{ jobId: string }>;
  readiness(): Promise<ReadinessReport>;
  /** Stops accepting, lets in-flight jobs finish (bounded), closes connections. */
  close(): Promise<void>;
}

// ------------------------------------------------------------------ read models served by /api/* (docs/spec.md §5)

export interface TicketView {
  ticket: import('../contract/index.js').Ticket;
  state: import('../contract/index.js').TicketState;
  tier: string | null;
  clocks: import('../contract/index.js').Decision['clocks'];
  nextCheckAt: string | null;
  decisions: AuditEntry[];
  /** The PSA's own SLA due dates (and met flag) as last read; null when the PSA exposes none. */
  psaSla?: import('../contract/index.js').Ticket['psaSla'] | null;
  /** PSA due − our due, in minutes, per clock (null when either side has none). */
  slaDrift?: { firstResponse: number | null; resolution: number | null };
}

/** What the HTTP layer reads; implemented over Redis by `src/store`. */
export interface ReadModels {
  ticket(instanceId: string, ticketId: string): Promise<TicketView | null>;
  escalations(query: EscalationQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
  deadLetters(): Promise<{ items: DeadLetter[] }>;
  /** Re-queues a dead letter (re-fetch, re-evaluate, apply the new decision). False when the id is unknown. */
  retryDeadLetter(id: string): Promise<boolean>;
  instances(): Promise<InstanceStatus[]>;
  /** docs/spec.md §5 escalation metrics of one instance over [from, to) (epoch ms). Optional: fakes may omit it (503). */
  escalationMetrics?(query: {
    instance: string;
    from: number;
    to: number;
  }): Promise<import('./metrics/escalation-metrics.js').EscalationMetrics>;
  /** Open tickets across instances, sorted by risk (`GET /api/tickets`). Optional: fakes may omit it (503). */
  openTickets?(
    query: import('./read/ticket-list.js').TicketListQuery,
  ): Promise<import('./read/ticket-list.js').TicketListPage>;
  /** Escalation metrics per company or category (the console's Metrics page). Optional: fakes may omit it. */
  escalationMetricsBy?(
    query: import('./metrics/metrics-breakdown.js').MetricsBreakdownQuery,
  ): Promise<import('./metrics/metrics-breakdown.js').MetricsGroup[]>;
  /** Records the weekly review's verdict on an audit entry; null when the entry is unknown. Optional (fakes: 503). */
  review?(
    id: string,
    verdict: { appropriate: boolean; comment?: string },
  ): Promise<import('../store/review-store.js').Review | null>;
  /** RCA follow-ups requested in [from, to) per instance: done, overdue (listed), open, completion rate. */
  rcaStatus?(query: {
    from: number;
    to: number;
  }): Promise<{ instance: string; rca: import('./metrics/monthly-report.js').RcaStatus }[]>;
  /** Share of reviewed escalations judged appropriate over [from, to), overall and per rule. */
  reviewSummary?(query: {
    from: number;
    to: number;
    instance?: string;
  }): Promise<import('../store/review-store.js').ReviewSummary>;
  /**
   * The follow-through block of `GET /api/metrics/escalations` over [from, to): reviews, RCA status, breakdowns and
   * patterns, every instance together and each instance's own. Optional: fakes may omit it (503).
   */
  followThrough?(query: { from: number; to: number }): Promise<{
    all: import('./metrics/follow-through-metrics.js').FollowThroughMetrics;
    byInstance: Record<string, import('./metrics/follow-through-metrics.js').FollowThroughMetrics>;
  }>;
  /** The same over every instance (`instance: null`) with `byInstance`. */
  escalationMetricsAll?(query: {
    from: number;
    to: number;
  }): Promise<import('./metrics/escalation-metrics-service.js').AggregateEscalationMetrics>;
}
