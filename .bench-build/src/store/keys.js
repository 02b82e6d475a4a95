export function createKeys(options = {}) {
    const p = options.prefix ?? 'esc';
    return {
        prefix: p,
        /** JSON record of one ticket (state, last decision, pending write). */
        ticket: (instance, ticketId) => `${p}:t:${instance}:${ticketId}`,
        /** Per-ticket processing lock (no two workers act on one ticket at once). */
        ticketLock: (instance, ticketId) => `${p}:lock:t:${instance}:${ticketId}`,
        /** ZSET of scheduled checks: member = `<instance>\n<ticketId>`, score = due epoch ms. */
        schedule: () => `${p}:schedule`,
        /** Audit entry JSON by id. */
        auditEntry: (id) => `${p}:audit:e:${id}`,
        /** ZSET indexes of audit entries with actions (score = at ms). */
        auditIndexAll: () => `${p}:audit:ix:all`,
        auditIndexInstance: (instance) => `${p}:audit:ix:i:${instance}`,
        auditIndexRule: (rule) => `${p}:audit:ix:r:${rule}`,
        auditIndexInstanceRule: (instance, rule) => `${p}:audit:ix:ir:${instance}:${rule}`,
        /** ZSET of every audit entry of one ticket (decisions and events such as ticket_gone). */
        auditIndexTicket: (instance, ticketId) => `${p}:audit:ix:t:${instance}:${ticketId}`,
        deadLetter: (id) => `${p}:dl:e:${id}`,
        deadLetterIndex: () => `${p}:dl:ix`,
        /** HASH of instance status fields (webhook, lastEventAt, psa, psaCheckedAt). */
        instance: (instance) => `${p}:inst:${instance}`,
        /** At most one registration check per instance per 10 minutes. */
        registrationCheckGuard: (instance) => `${p}:inst:${instance}:regcheck`,
        /** Reconciliation: cursor (ISO instant), resumable page token, next due time and the cluster-wide lock. */
        reconcileCursor: (instance) => `${p}:rec:${instance}:cursor`,
        reconcilePage: (instance) => `${p}:rec:${instance}:page`,
        reconcileDue: (instance) => `${p}:rec:${instance}:due`,
        reconcileLock: (instance) => `${p}:rec:${instance}:lock`,
        /** HASH group → round-robin cursor (per instance). */
        groupCursors: (instance) => `${p}:gc:${instance}`,
        /** HASH ticketId → member (open tickets we know of) and HASH member → count. */
        ticketOwners: (instance) => `${p}:own:${instance}`,
        memberLoads: (instance) => `${p}:load:${instance}`,
        /** ZSET ticketId → createdAt ms, per instance and `same` combination (company / category values). */
        recurring: (instance, signature) => `${p}:rec-t:${instance}:${signature}`,
        /** Shared rate limiter of one instance: sliding window, concurrency leases, Retry-After pause. */
        rateWindow: (instance) => `${p}:rl:${instance}:w`,
        rateLeases: (instance) => `${p}:rl:${instance}:c`,
        ratePause: (instance) => `${p}:rl:${instance}:pause`,
        /** SharedCache entries handed to connectors (signing keys, tokens, lookups). */
        cache: (instance, key) => `${p}:cache:${instance}:${key}`,
        /** Escalation-metrics history JSON of one ticket, and a ZSET per instance (score = end ms, +inf while open). */
        metricsHistory: (instance, ticketId) => `${p}:mx:t:${instance}:${ticketId}`,
        metricsHistoryIndex: (instance) => `${p}:mx:ix:${instance}`,
        /** Observed snapshots of one ticket (LIST of {at, ticket} JSON) and a ZSET per instance (score = last change ms). */
        timeline: (instance, ticketId) => `${p}:tl:${instance}:${ticketId}`,
        timelineIndex: (instance) => `${p}:tl-ix:${instance}`,
        /** Epoch ms at which a worker process last saw its own heartbeat job consumed. */
        heartbeat: (processId) => `${p}:hb:${processId}`,
    };
}
//# sourceMappingURL=keys.js.map