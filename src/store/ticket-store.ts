import type { Action, Decision, Location, StatusCategory, Ticket, TicketState } from '../contract/index.js';

import type { Keys } from './keys.js';
import { scanKeys } from './redis.js';
import type { RedisClient } from './redis.js';

/** Our last applied reassign: what a later tier/owner difference is compared with (manual-change detection). */
export interface LastReassign {
  rule: string;
  at: string;
  tier: string | null;
  location: Location;
  /** Group member name we assigned (absent: owner left unchanged). */
  owner?: string;
  /** That member's PSA identity (`mapping.members` entry), used to recognise the owner on later reads. */
  ownerIdentity?: unknown;
}

/** A decision recorded before its first write; a retried job completes it instead of deciding afresh (docs/spec.md §4). */
export interface PendingWrite {
  auditId: string;
  at: string;
  trigger: string;
  decision: Decision;
  actions: Action[];
  /** Action id per action index (deterministic: instance, ticket, rule, tier visit). */
  actionIds: string[];
  /**
   * A note POST ended without an answer (timeout, reset, 5xx): the PSA may have stored it and list it only later.
   * No note is posted again before `since` (epoch ms) + the settle time, when a fresh marker scan decides.
   */
  notesInDoubt?: { since: number; rounds: number };
}

/** Everything stored about one ticket (`esc:t:<instance>:<ticket>`). */
export interface TicketRecord {
  v: 1;
  instanceId: string;
  ticketId: string;
  psa: string;
  ticket: Ticket;
  version: string;
  firstSeenAt: string;
  observedAt: string;
  /** Derived tier at the last observation and when the current visit began. */
  tier: string | null;
  tierSince: string;
  statusCategory: StatusCategory;
  statusHistory: { category: StatusCategory; at: string }[];
  owner: { id: string; name?: string } | null;
  fired: NonNullable<TicketState['fired']>;
  escalations: NonNullable<TicketState['escalations']>;
  lastReassign?: LastReassign;
  /** A tier/owner that differs from our last reassign, first seen at `at` (`sig` = tier + owner id). */
  manualChange?: { sig: string; at: string };
  tags: string[];
  lastDecision?: Decision;
  lastEvaluatedAt?: string;
  nextCheckAt: string | null;
  pending?: PendingWrite;
  /** Ids of actions applied (or proposed) in earlier evaluations: the same action in the same visit is not repeated. */
  appliedActionIds?: string[];
  /** RCA follow-up (policy.rca): requested when the qualifying ticket was resolved; overdue notified once. */
  rca?: { requestedAt: string; overdueNotifiedAt?: string };
  /** Our latest customer note's "Next update by" promise (`updateOverdue`). */
  updatePromise?: { madeAt: string; by: string };
  /** Latest owner activity seen after our last move (a status change by the owner we assigned): ends the handoff. */
  ownerActivityAt?: string;
}

export interface TicketStoreOptions {
  /**
   * Records of resolved/closed tickets expire this long after the write that saw them closed (`retention.tickets`);
   * records of open tickets never expire (a reopened ticket's next write clears the TTL). @defaultValue 30 days
   */
  closedRetentionMs?: number;
}

const isClosed = (record: Pick<TicketRecord, 'statusCategory'>): boolean =>
  record.statusCategory === 'resolved' || record.statusCategory === 'closed';

/**
 * Per-ticket records. Bounded (docs/redis-keys.md): open tickets are the PSA's open tickets; closed ones expire, and a
 * ticket reopened after that is rebuilt from a fresh PSA read as if first seen (its notes are then written with marker
 * verification, so a rule that fired before the close does not post its note a second time).
 */
export class TicketStore {
  private readonly closedRetentionMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    options: TicketStoreOptions = {},
  ) {
    this.closedRetentionMs = Math.max(1, Math.round(options.closedRetentionMs ?? 30 * 86_400_000));
  }

  async get(instanceId: string, ticketId: string): Promise<TicketRecord | undefined> {
    const raw = await this.redis.get(this.keys.ticket(instanceId, ticketId));
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as TicketRecord;
    return parsed.v === 1 ? parsed : undefined;
  }

  /** Stores the record: with a TTL of the retention when the ticket is resolved/closed, without one (PERSIST) otherwise. */
  async put(record: TicketRecord): Promise<void> {
    const key = this.keys.ticket(record.instanceId, record.ticketId);
    if (isClosed(record)) await this.redis.set(key, JSON.stringify(record), 'PX', this.closedRetentionMs);
    else await this.redis.set(key, JSON.stringify(record));
  }

  async delete(instanceId: string, ticketId: string): Promise<void> {
    await this.redis.del(this.keys.ticket(instanceId, ticketId));
  }

  /**
   * Every stored ticket of one instance (SCAN + MGET in batches: no index to keep in step with writes). Cost grows
   * with the number of stored tickets; fine for the tens of thousands an MSP has open or recently closed.
   */
  async list(instanceId: string): Promise<TicketRecord[]> {
    const out: TicketRecord[] = [];
    // `*` and `?` in an instance id would widen the MATCH: escape the glob characters.
    const pattern = `${this.keys.ticket(instanceId, '').replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const keys of scanKeys(this.redis, pattern)) {
      for (const raw of await this.redis.mget(keys)) {
        if (raw === null) continue;
        const parsed = JSON.parse(raw) as TicketRecord;
        if (parsed.v === 1 && parsed.instanceId === instanceId) out.push(parsed);
      }
    }
    return out;
  }
}
