import type { RedisClient } from '../store/redis.js';

import type { AppConfig } from '../config/types.js';
import { AuditStore } from '../store/audit-store.js';
import { BackfillStore } from '../store/backfill-store.js';
import { CountersStore } from '../store/counters-store.js';
import { DeadLetterStore } from '../store/dead-letter-store.js';
import { InstanceStore } from '../store/instance-store.js';
import { createKeys } from '../store/keys.js';
import type { Keys } from '../store/keys.js';
import { ScheduleStore } from '../store/schedule-store.js';
import { TicketStore } from '../store/ticket-store.js';
import { TimelineStore } from '../store/timeline-store.js';

export interface Stores {
  keys: Keys;
  tickets: TicketStore;
  audit: AuditStore;
  deadLetters: DeadLetterStore;
  schedule: ScheduleStore;
  counters: CountersStore;
  instances: InstanceStore;
  backfill: BackfillStore;
  /** Observed ticket snapshots (backtest `--from-history`). */
  timelines: TimelineStore;
}

/** Every Redis repository on one connection, with the retention of the config. */
export function createStores(redis: RedisClient, config: Pick<AppConfig, 'retention'>, now: () => number = Date.now): Stores {
  // On a Redis Cluster every key carries the {esc} hash tag (keys.ts).
  const keys = createKeys({ hashTag: redis.isCluster });
  return {
    keys,
    tickets: new TicketStore(redis, keys, config.retention.ticketsMs === undefined ? {} : { closedRetentionMs: config.retention.ticketsMs }),
    audit: new AuditStore(redis, keys, { retentionMs: config.retention.auditMs, now }),
    deadLetters: new DeadLetterStore(redis, keys, { retentionMs: config.retention.deadLettersMs, now }),
    schedule: new ScheduleStore(redis, keys),
    counters: new CountersStore(redis, keys),
    instances: new InstanceStore(redis, keys),
    backfill: new BackfillStore(redis, keys),
    timelines: new TimelineStore(redis, keys, { retentionMs: config.retention.auditMs, now }),
  };
}
