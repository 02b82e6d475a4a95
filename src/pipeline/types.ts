import type { WebhookEvent } from '../contract/index.js';

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
  /** Queues a reconciliation sweep now. */
  enqueueReconcile(instanceId: string): Promise<{ jobId: string }>;
  readiness(): Promise<ReadinessReport>;
  /** Stops accepting, lets in-flight jobs finish (bounded), closes connections. */
  close(): Promise<void>;
}
