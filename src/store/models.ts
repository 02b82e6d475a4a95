import type { Decision, WebhookState } from '../contract/index.js';

/**
 * The records the Redis stores keep and the HTTP layer serves as they are (audit trail, dead letters, instance status):
 * defined here, below the pipeline, so a store never imports upward.
 */

export type ResultStatus = 'applied' | 'proposed' | 'skipped' | 'failed' | 'dead_letter';

/** One decision in the audit trail (docs/spec.md §5 `GET /api/escalations`). */
export interface AuditEntry {
  id: string;
  at: string;
  instanceId: string;
  psa: string;
  ticketId: string;
  mode: 'enforce' | 'observe';
  /** What triggered the evaluation: webhook, scheduled, reconcile, dead_letter_retry, … */
  trigger?: string;
  decision: Decision;
  results: { action: string; actionId?: string; status: ResultStatus; error?: { code: string; message: string } }[];
  /** `ticket_gone` and similar events carry no decision actions. */
  event?: string;
}

export interface DeadLetter {
  id: string;
  at: string;
  instanceId: string;
  ticketId: string;
  actions: unknown[];
  error: { code: string; message: string };
}

export interface InstanceStatus {
  id: string;
  kind: string;
  mode: 'enforce' | 'observe';
  webhook: WebhookState;
  lastEventAt: string | null;
  queueLag: number;
  rateLimit: { requests: number; perMs: number; pausedUntil: string | null };
  /** `unknown` until the first PSA call, then what the latest call said. */
  psa: 'ok' | 'unreachable' | 'auth_failed' | 'rate_limited' | 'unknown';
  /** When the PSA was last reached (or failed); null before the first call. */
  psaCheckedAt?: string | null;
  /** The latest PSA error (code and time), kept after the PSA recovered; null when none was seen. */
  psaLastError?: { code: string; at: string } | null;
  /** The instance's circuit breaker (open after repeated 5xx/timeouts; one probe per interval). */
  breaker?: { state: 'closed' | 'open'; openedAt: string | null };
  /** Progress of the backfill (every open ticket evaluated once); null when none ever ran. */
  backfill?: {
    listed: number;
    evaluated: number;
    remaining: number;
    startedAt: string;
    completedAt: string | null;
    listing: boolean;
  } | null;
}

export interface EscalationQuery {
  instance?: string;
  rule?: string;
  since?: string;
  /** @defaultValue 50 (max 500) */
  limit: number;
  cursor?: string;
}
