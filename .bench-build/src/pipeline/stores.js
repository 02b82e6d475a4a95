import { AuditStore } from '../store/audit-store.js';
import { CountersStore } from '../store/counters-store.js';
import { DeadLetterStore } from '../store/dead-letter-store.js';
import { InstanceStore } from '../store/instance-store.js';
import { createKeys } from '../store/keys.js';
import { ScheduleStore } from '../store/schedule-store.js';
import { TicketStore } from '../store/ticket-store.js';
import { TimelineStore } from '../store/timeline-store.js';
/** Every Redis repository on one connection, with the retention of the config. */
export function createStores(redis, config, now = Date.now) {
    const keys = createKeys();
    return {
        keys,
        tickets: new TicketStore(redis, keys),
        audit: new AuditStore(redis, keys, { retentionMs: config.retention.auditMs, now }),
        deadLetters: new DeadLetterStore(redis, keys, { retentionMs: config.retention.deadLettersMs, now }),
        schedule: new ScheduleStore(redis, keys),
        counters: new CountersStore(redis, keys),
        instances: new InstanceStore(redis, keys),
        timelines: new TimelineStore(redis, keys, { retentionMs: config.retention.auditMs, now }),
    };
}
//# sourceMappingURL=stores.js.map