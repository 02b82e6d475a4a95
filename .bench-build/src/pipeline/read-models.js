import { toEngineState } from './state.js';
/** Seconds since the oldest waiting job of this instance was queued (0 when none). Looks at the first 200 per queue. */
async function queueLag(queues, instanceId, now) {
    let oldest = Infinity;
    for (const q of queues) {
        const jobs = await q.getJobs(['waiting'], 0, 199, true);
        for (const j of jobs) {
            if (j.data?.instanceId === instanceId)
                oldest = Math.min(oldest, j.timestamp);
        }
    }
    return Number.isFinite(oldest) ? Math.max(0, Math.round((now - oldest) / 100) / 10) : 0;
}
/** Instants are written `YYYY-MM-DDTHH:mm:ssZ` (SPEC §2); stores keep millisecond ISO strings. */
const toSecond = (instant) => instant.replace(/\.\d+Z$/, 'Z');
const entryOut = (entry) => ({ ...entry, at: toSecond(entry.at) });
/** `ReadModels` over Redis for `/api/*` (SPEC §5). */
export function createReadModels(deps) {
    return {
        async ticket(instanceId, ticketId) {
            const record = await deps.tickets.get(instanceId, ticketId);
            if (!record)
                return null;
            return {
                ticket: record.ticket,
                state: toEngineState(record, { recurringCount: 0, groupCursors: {}, memberLoads: {} }),
                tier: record.tier,
                clocks: record.lastDecision?.clocks ?? {},
                nextCheckAt: record.nextCheckAt,
                decisions: (await deps.audit.forTicket(instanceId, ticketId)).map(entryOut),
            };
        },
        async escalations(query) {
            const page = await deps.audit.query(query);
            return { ...page, items: page.items.map(entryOut) };
        },
        async deadLetters() {
            const items = await deps.deadLetters.list();
            return { items: items.map(({ id, at, instanceId, ticketId, actions, error }) => ({ id, at: toSecond(at), instanceId, ticketId, actions, error })) };
        },
        async retryDeadLetter(id) {
            const letter = await deps.deadLetters.get(id);
            if (!letter)
                return false;
            // A notifier letter re-sends its notifications; any other retry re-fetches, re-evaluates and applies the new
            // decision (SPEC §4), through the ticket's own queue.
            if (letter.kind === 'notifier' && deps.retryNotifiers)
                await deps.retryNotifiers(letter);
            else
                await deps.kick({ instanceId: letter.instanceId, ticketId: letter.ticketId, trigger: 'dead_letter_retry', deadLetterId: id, now: deps.now() });
            await deps.deadLetters.remove(id);
            return true;
        },
        async instances() {
            const now = deps.now();
            return Promise.all(deps.runtimes.all().map(async (rt) => {
                const { info } = rt.loaded;
                const [status, lag, pausedUntil] = await Promise.all([deps.instances.get(info.id), queueLag(deps.lagQueues, info.id, now), rt.limiter.pausedUntil()]);
                return {
                    id: info.id,
                    kind: info.kind,
                    mode: info.mode,
                    webhook: status.webhook,
                    lastEventAt: status.lastEventAt === null ? null : toSecond(status.lastEventAt),
                    queueLag: lag,
                    rateLimit: {
                        requests: info.rateLimit.requests,
                        perMs: info.rateLimit.per,
                        pausedUntil: pausedUntil !== null && pausedUntil > now ? toSecond(new Date(pausedUntil).toISOString()) : null,
                    },
                    // SPEC §5 knows ok | unreachable | auth_failed: before any PSA call there is no failure to report, and
                    // `psaCheckedAt: null` says it was not checked yet (start-up never calls a PSA).
                    psa: status.psa === 'unknown' ? 'ok' : status.psa,
                    psaCheckedAt: status.psaCheckedAt === null ? null : toSecond(status.psaCheckedAt),
                };
            }));
        },
    };
}
//# sourceMappingURL=read-models.js.map