import type { Queue } from 'bullmq';

import { canonicalTicketId } from '../../contract/index.js';

import { retention, ticketDedupeId } from './queues.js';
import type { TicketJob, Trigger } from './queues.js';

export interface KickOptions {
  instanceId: string;
  ticketId: string;
  trigger: Trigger;
  deleted?: boolean;
  /** Debounce: the evaluation runs this long from now (events for the ticket meanwhile join it). */
  delayMs?: number;
  deadLetterId?: string;
  now?: number;
}

export interface TicketJobPolicy {
  /** @defaultValue 6 */
  attempts?: number;
  /** First backoff of a failed evaluation (exponential, jittered). @defaultValue 1_000 */
  backoffMs?: number;
}

/**
 * Asks for one evaluation of a ticket. `keepLastIfActive` deduplication by ticket (docs/reliability.md §2): while the
 * ticket's job waits (debounce), further kicks are absorbed; while it runs, the latest kick is kept and becomes
 * exactly one follow-up job when it finishes. So at most one job per ticket is ever runnable.
 */
export async function kickTicket(queue: Queue, kick: KickOptions, policy: TicketJobPolicy = {}): Promise<void> {
  // The canonical id (src/contract/ids.ts) keys the job, and through it the lock, the state, the schedule and markers.
  const ticketId = canonicalTicketId(kick.ticketId) ?? kick.ticketId;
  const data: TicketJob = {
    instanceId: kick.instanceId,
    ticketId,
    trigger: kick.trigger,
    enqueuedAt: kick.now ?? Date.now(),
    // Absorbed into a job already waiting, a delete loses this flag: harmless, the fetch decides either way (404/410 →
    // gone; a ConnectWise merged ticket reads as closed, so nothing is written and its record expires as closed).
    ...(kick.deleted ? { deleted: true } : {}),
    ...(kick.deadLetterId ? { deadLetterId: kick.deadLetterId } : {}),
  };
  await queue.add('evaluate', data, {
    deduplication: { id: ticketDedupeId(kick.instanceId, ticketId), keepLastIfActive: true },
    delay: Math.max(0, Math.round(kick.delayMs ?? 0)),
    attempts: policy.attempts ?? 6,
    backoff: { type: 'exponential', delay: policy.backoffMs ?? 1_000, jitter: 0.5 },
    ...retention,
  });
}
