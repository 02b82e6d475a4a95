import type { RedisClient } from './redis.js';

import { AuditStore } from './audit-store.js';
import { BackfillStore } from './backfill-store.js';
import { CountersStore } from './counters-store.js';
import { DeadLetterStore } from './dead-letter-store.js';
import { InstanceStore } from './instance-store.js';
import { createKeys } from './keys.js';
import type { Keys } from './keys.js';
import { ScheduleStore } from './schedule-store.js';
import { TicketStore } from './ticket-store.js';
import { TimelineStore } from './timeline-store.js';

/** The `retention:` settings the stores apply, in ms (the config's `RetentionConfig` is one). */
export interface StoreRetention {
  auditMs: number;
  deadLettersMs: number;
  ticketsMs?: number;
}

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
export function createStores(
  redis: RedisClient,
  config: { retention: StoreRetention },
  now: () => number = Date.now,
): Stores {
  // On a Redis Cluster every key carries the {esc} hash tag (keys.ts).
  const keys = createKeys({ hashTag: redis.isCluster });
  return {
    keys,
    tickets: new TicketStore(
      redis,
      keys,
      config.retention.ticketsMs === undefined ? {} : { closedRetentionMs: config.retention.ticketsMs },
    ),
    audit: new AuditStore(redis, keys, { retentionMs: config.retention.auditMs, now }),
    deadLetters: new DeadLetterStore(redis, keys, { retentionMs: config.retention.deadLettersMs, now }),
    schedule: new ScheduleStore(redis, keys),
    counters: new CountersStore(redis, keys),
    instances: new InstanceStore(redis, keys),
    backfill: new BackfillStore(redis, keys),
    timelines: new TimelineStore(redis, keys, { retentionMs: config.retention.auditMs, now }),
  };
}
