import { randomUUID } from 'node:crypto';
import { eventDedupeId, retention } from './queues.js';
import { PipelineUnavailableError } from './types.js';
async function withTimeout(promise, ms) {
    let timer;
    try {
        return await Promise.race([
            promise,
            new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
            }),
        ]);
    }
    finally {
        clearTimeout(timer);
    }
}
/**
 * The request-path half of the pipeline: dedupe + durable enqueue in ONE Redis script (BullMQ's `addJob` with
 * throttle-mode deduplication), so 50 parallel identical deliveries create exactly one job and a redelivery after
 * the job completed and was removed is still a duplicate for `dedupeTtl`. Each add carries a fresh job id: BullMQ
 * answers with the existing job's id when the delivery was a duplicate.
 */
export function createIngest(options) {
    const timeoutMs = options.timeoutMs ?? 800;
    return async (req) => {
        const eventId = `${req.instanceId}:${req.event.eventId}`;
        const jobId = `e-${randomUUID()}`;
        const data = {
            instanceId: req.instanceId,
            ticketId: req.event.ticketId,
            action: req.event.action,
            eventId: req.event.eventId,
            receivedAt: req.receivedAt,
            requestId: req.requestId,
            ...(req.event.actor === undefined ? {} : { actor: req.event.actor }),
            ...(req.event.version === undefined ? {} : { version: req.event.version }),
        };
        try {
            const job = await withTimeout(options.events.add('event', data, {
                jobId,
                deduplication: { id: eventDedupeId(req.instanceId, req.event.eventId), ttl: options.dedupeTtlMs },
                attempts: 10,
                backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
                // Gone as soon as it is processed: the TTL'd dedupe key, not the job, remembers the delivery.
                removeOnComplete: true,
                removeOnFail: retention.removeOnFail,
            }), timeoutMs);
            return { eventId, duplicate: job.id !== jobId };
        }
        catch (e) {
            throw new PipelineUnavailableError('the event queue is unavailable (Redis down?)', { cause: e });
        }
    };
}
//# sourceMappingURL=ingest.js.map