/**
 * Every Redis key the service writes outside BullMQ's own `bull:*` keys, in one place (STYLE: "all key names in
 * one file"). Ids from PSAs are used verbatim inside keys: they never contain secrets, and keys are binary-safe.
 *
 * Redis Cluster (docs/redis.md, docs/decisions/0005-redis-cluster-hash-tags.md): with `hashTag` the prefix becomes
 * the hash tag `{esc}`, so EVERY key below lands in one slot, and every MULTI, MGET and script may combine any of
 * them (the audit, dead-letter and schedule indexes span instances, so a per-instance tag would not do). A key
 * family added here must start with `${p}:` to inherit the tag; `keys.test.ts` checks it. Without `hashTag` (one
 * Redis, Sentinel) the names stay `esc:…` as they always were.
 */
export interface KeyOptions {
  /** @defaultValue 'esc' */
  prefix?: string;
  /** Wrap the prefix in a Redis Cluster hash tag (`{esc}:…`): set when the connection is a Cluster. */
  hashTag?: boolean;
}

/** The prefix of our keys: `esc`, or the hash tag `{esc}` on a Redis Cluster. */
export function keyPrefix(options: KeyOptions = {}): string {
  const p = options.prefix ?? 'esc';
  return options.hashTag ? `{${p}}` : p;
}

/**
 * BullMQ's key prefix (its keys are `<prefix>:<queue>:…`): its default `bull` on one Redis, the hash tag `{bull}` on a
 * Redis Cluster, so that every queue's Lua scripts (which touch several keys of a queue, and the deduplication keys)
 * run in one slot. Every Queue and Worker of a process must use the same prefix.
 */
export function bullPrefix(hashTag: boolean): string {
  return hashTag ? '{bull}' : 'bull';
}

export function createKeys(options: KeyOptions = {}) {
  const p = keyPrefix(options);
  return {
    prefix: p,
    /** JSON record of one ticket (state, last decision, pending write). */
    ticket: (instance: string, ticketId: string) => `${p}:t:${instance}:${ticketId}`,
    /** Per-ticket processing lock (no two workers act on one ticket at once). */
    ticketLock: (instance: string, ticketId: string) => `${p}:lock:t:${instance}:${ticketId}`,
    /** ZSET of scheduled checks: member = `<instance>\n<ticketId>`, score = due epoch ms. */
    schedule: () => `${p}:schedule`,
    /** Audit entry JSON by id. */
    auditEntry: (id: string) => `${p}:audit:e:${id}`,
    /** ZSET indexes of audit entries with actions (score = at ms). */
    auditIndexAll: () => `${p}:audit:ix:all`,
    auditIndexInstance: (instance: string) => `${p}:audit:ix:i:${instance}`,
    auditIndexRule: (rule: string) => `${p}:audit:ix:r:${rule}`,
    auditIndexInstanceRule: (instance: string, rule: string) => `${p}:audit:ix:ir:${instance}:${rule}`,
    /** ZSET of every audit entry of one ticket (decisions and events such as ticket_gone). */
    auditIndexTicket: (instance: string, ticketId: string) => `${p}:audit:ix:t:${instance}:${ticketId}`,
    deadLetter: (id: string) => `${p}:dl:e:${id}`,
    deadLetterIndex: () => `${p}:dl:ix`,
    /** HASH of instance status fields (webhook, lastEventAt, psa, psaCheckedAt). */
    instance: (instance: string) => `${p}:inst:${instance}`,
    /** At most one registration check per instance per 10 minutes. */
    registrationCheckGuard: (instance: string) => `${p}:inst:${instance}:regcheck`,
    /** Reconciliation: cursor (ISO instant), resumable page token, next due time and the cluster-wide lock. */
    reconcileCursor: (instance: string) => `${p}:rec:${instance}:cursor`,
    reconcilePage: (instance: string) => `${p}:rec:${instance}:page`,
    reconcileDue: (instance: string) => `${p}:rec:${instance}:due`,
    reconcileLock: (instance: string) => `${p}:rec:${instance}:lock`,
    /** Backfill (every open ticket once): HASH progress, LIST listed ids in order, SET not yet evaluated, SET seen. */
    backfill: (instance: string) => `${p}:rec:${instance}:bf`,
    backfillQueue: (instance: string) => `${p}:rec:${instance}:bf:q`,
    backfillPending: (instance: string) => `${p}:rec:${instance}:bf:pending`,
    backfillSeen: (instance: string) => `${p}:rec:${instance}:bf:seen`,
    /** Sliding windows of the sweep and background lanes of the rate budget (`rl:<id>:w:<lane>`). */
    rateLaneWindow: (instance: string, lane: string) => `${p}:rl:${instance}:w:${lane}`,
    /** Circuit breaker: consecutive failures, open-until (ms), one probe per interval. */
    breaker: (instance: string) => `${p}:cb:${instance}`,
    breakerProbe: (instance: string) => `${p}:cb:${instance}:probe`,
    /** Per-ticket retries in the current hour. */
    ticketRetries: (instance: string, ticketId: string) => `${p}:retries:${instance}:${ticketId}`,
    /**
     * Ownership counters of one instance, read and written together by the claim script (counters-store.ts): HASH
     * group → round-robin cursor, HASH ticketId → member (open tickets we know of), HASH member → open-ticket count.
     * One family per instance: a Redis Cluster hash tag on the instance segment puts all three in one slot.
     */
    groupCursors: (instance: string) => `${p}:gc:${instance}`,
    ticketOwners: (instance: string) => `${p}:own:${instance}`,
    memberLoads: (instance: string) => `${p}:load:${instance}`,
    /** ZSET ticketId → createdAt ms, per instance and `same` combination (company / category values). */
    recurring: (instance: string, signature: string) => `${p}:rec-t:${instance}:${signature}`,
    /** Shared rate limiter of one instance: sliding window, concurrency leases, Retry-After pause. */
    rateWindow: (instance: string) => `${p}:rl:${instance}:w`,
    rateLeases: (instance: string) => `${p}:rl:${instance}:c`,
    ratePause: (instance: string) => `${p}:rl:${instance}:pause`,
    /** SharedCache entries handed to connectors (signing keys, tokens, lookups). */
    cache: (instance: string, key: string) => `${p}:cache:${instance}:${key}`,
    /** Escalation-metrics history JSON of one ticket, and a ZSET per instance (score = end ms, +inf while open). */
    metricsHistory: (instance: string, ticketId: string) => `${p}:mx:t:${instance}:${ticketId}`,
    metricsHistoryIndex: (instance: string) => `${p}:mx:ix:${instance}`,
    /** Observed snapshots of one ticket (LIST of {at, ticket} JSON) and a ZSET per instance (score = last change ms). */
    timeline: (instance: string, ticketId: string) => `${p}:tl:${instance}:${ticketId}`,
    timelineIndex: (instance: string) => `${p}:tl-ix:${instance}`,
    /** Weekly review verdict of one audit entry (JSON), and a ZSET of reviewed entries (score = review ms). */
    review: (auditId: string) => `${p}:review:e:${auditId}`,
    reviewIndex: () => `${p}:review:ix`,
    /** Quiet hours: LIST of held notifications of one notifier, the digest being sent, and its send lock. */
    quietHeld: (notifier: string) => `${p}:quiet:${notifier}:held`,
    quietSending: (notifier: string) => `${p}:quiet:${notifier}:sending`,
    quietLock: (notifier: string) => `${p}:quiet:${notifier}:lock`,
    /** Epoch ms at which a worker process last saw its heartbeat on the shared `events` queue consumed (by anyone). */
    heartbeat: (processId: string) => `${p}:hb:${processId}`,
    /** Epoch ms at which a worker process last saw its own heartbeat queue consumed (only its own workers can). */
    heartbeatOwn: (processId: string) => `${p}:hb:${processId}:own`,
    /** ZSET processId → last heartbeat ms: per-process heartbeat queues of processes gone for long are removed. */
    heartbeatProcesses: () => `${p}:hb:procs`,
  };
}

export type Keys = ReturnType<typeof createKeys>;
