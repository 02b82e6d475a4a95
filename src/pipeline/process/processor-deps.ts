import type { Logger } from '../../contract/index.js';
import type { Metrics } from '../metrics/prometheus.js';
import type { AuditStore } from '../../store/audit-store.js';
import type { BackfillStore } from '../../store/backfill-store.js';
import type { CountersStore } from '../../store/counters-store.js';
import type { DeadLetterStore } from '../../store/dead-letter-store.js';
import type { InstanceStore } from '../../store/instance-store.js';
import type { ScheduleStore } from '../../store/schedule-store.js';
import type { TicketStore } from '../../store/ticket-store.js';
import type { TimelineStore } from '../../store/timeline-store.js';

import type { Runtimes } from '../outbound/instance-runtime.js';
import type { PolicyEngine } from '../policy/policy-engine.js';
import type { EscalationMetricsRecorder } from '../metrics/escalation-metrics-service.js';
import type { NotifyInput } from '../notify/notifiers.js';
import type { Trigger } from '../queue/queues.js';
import type { PolicyFacts } from '../../store/ticket-counters.js';
import type { WriteGuard } from './write-guard.js';

/** What the ticket processor works with (built once per worker process). */
export interface ProcessorDeps {
  runtimes: Runtimes;
  engine: PolicyEngine;
  /** Policy facts per instance id (SLA rules, recurring windows, groups). */
  facts: (instanceId: string) => PolicyFacts;
  tickets: TicketStore;
  audit: AuditStore;
  deadLetters: DeadLetterStore;
  schedule: ScheduleStore;
  counters: CountersStore;
  instances: InstanceStore;
  /** Backfill progress: every evaluation counts once for a backfill that listed the ticket. */
  backfill?: BackfillStore;
  /** Observed snapshots for backtests (`--from-history`); absent → not recorded. */
  timelines?: TimelineStore;
  notify: (input: NotifyInput) => Promise<void>;
  metrics?: Metrics;
  /** Escalation-metrics histories (docs/spec.md §5), fed after every evaluation; absent → nothing recorded. */
  escalationMetrics?: EscalationMetricsRecorder;
  log: Logger;
  now: () => number;
  /**
   * How long after a note POST that got no answer the PSA surely lists the note if it stored it (its commit delay):
   * the marker scan that decides whether to post again runs only after this. @defaultValue 60_000
   */
  noteSettleMs?: number;
}

export interface TicketTask {
  instanceId: string;
  ticketId: string;
  trigger: Trigger;
  deleted?: boolean;
  /** An earlier attempt of this job failed: connectors check markers before writing. */
  retry: boolean;
  /**
   * No BullMQ attempt is left after this one: a transient PSA write failure is dead-lettered now instead of being
   * retried by the job's backoff. @defaultValue true (callers outside a job get the dead letter at once)
   */
  finalAttempt?: boolean;
  /** The job's ticket lock, checked before each PSA write (absent outside a job: nothing to lose). */
  guard?: WriteGuard;
}
