import { retention, ticketDedupeId } from './queues.js';
/**
 * Asks for one evaluation of a ticket. `keepLastIfActive` deduplication by ticket (RELIABILITY §2): while the
 * ticket's job waits (debounce), further kicks are absorbed; while it runs, the latest kick is kept and becomes
 * exactly one follow-up job when it finishes. So at most one job per ticket is ever runnable.
 */
export async function kickTicket(queue, kick, policy = {}) {
    const data = {
        instanceId: kick.instanceId,
        ticketId: kick.ticketId,
        trigger: kick.trigger,
        enqueuedAt: kick.now ?? Date.now(),
        ...(kick.deleted ? { deleted: true } : {}),
        ...(kick.deadLetterId ? { deadLetterId: kick.deadLetterId } : {}),
    };
    await queue.add('evaluate', data, {
        deduplication: { id: ticketDedupeId(kick.instanceId, kick.ticketId), keepLastIfActive: true },
        delay: Math.max(0, Math.round(kick.delayMs ?? 0)),
        attempts: policy.attempts ?? 6,
        backoff: { type: 'exponential', delay: policy.backoffMs ?? 1_000, jitter: 0.5 },
        ...retention,
    });
}
//# sourceMappingURL=kick.js.map