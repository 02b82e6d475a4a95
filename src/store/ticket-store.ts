import type { Redis } from 'ioredis';

import type { Action, Decision, Location, StatusCategory, Ticket, TicketState } from '../contract/index.js';

import type { Keys } from './keys.js';

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

/** A decision recorded before its first write; a retried job completes it instead of deciding afresh (SPEC §4). */
export interface PendingWrite {
  auditId: string;
  at: string;
  trigger: string;
  decision: Decision;
  actions: Action[];
  /** Action id per action index (deterministic: instance, ticket, rule, tier visit). */
  actionIds: string[];
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

export class TicketStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(instanceId: string, ticketId: string): Promise<TicketRecord | undefined> {
    const raw = await this.redis.get(this.keys.ticket(instanceId, ticketId));
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as TicketRecord;
    return parsed.v === 1 ? parsed : undefined;
  }

  async put(record: TicketRecord): Promise<void> {
    await this.redis.set(this.keys.ticket(record.instanceId, record.ticketId), JSON.stringify(record));
  }

  async delete(instanceId: string, ticketId: string): Promise<void> {
    await this.redis.del(this.keys.ticket(instanceId, ticketId));
  }
}
