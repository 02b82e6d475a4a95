import type { Queue } from 'bullmq';

import { canonicalTicketId } from '../../contract/index.js';
import type { AuditStore } from '../../store/audit-store.js';
import type { BackfillStore } from '../../store/backfill-store.js';
import type { DeadLetterStore, StoredDeadLetter } from '../../store/dead-letter-store.js';
import type { InstanceStore } from '../../store/instance-store.js';
import { summarizeReviews } from '../../store/review-store.js';
import type { ReviewStore } from '../../store/review-store.js';
import type { TicketStore } from '../../store/ticket-store.js';

import type { InstanceRuntime, Runtimes } from '../outbound/instance-runtime.js';
import type { KickOptions } from '../queue/kick-ticket.js';
import { slaDrift } from '../metrics/sla-drift.js';
import { toEngineState } from '../../store/ticket-state.js';
import type { AuditEntry, DeadLetter, InstanceStatus } from '../../store/models.js';
import type { ReadModels, TicketView } from '../types.js';

export interface ReadModelDeps {
  tickets: TicketStore;
  audit: AuditStore;
  deadLetters: DeadLetterStore;
  instances: InstanceStore;
  backfill?: BackfillStore;
  runtimes: Runtimes;
  /** Queues whose waiting jobs count toward an instance's lag (`events`, `tickets`). */
  lagQueues: readonly Queue[];
  kick: (kick: KickOptions) => Promise<void>;
  now: () => number;
  /** Queues the re-send of a notifier dead letter (else it is retried like a PSA-write letter). */
  retryNotifiers?: (letter: StoredDeadLetter) => Promise<void>;
  /** Review verdicts (`POST /api/escalations/:id/review`); absent → the review routes answer 503. */
  reviews?: ReviewStore;
  /** RCA status per instance (`GET /api/escalations/rca`); absent → 503. */
  rcaStatus?: ReadModels['rcaStatus'];
}

/** Seconds since the oldest waiting job of this instance was queued (0 when none). Looks at the first 200 per queue. */
async function queueLag(queues: readonly Queue[], instanceId: string, now: number): Promise<number> {
  let oldest = Infinity;
  for (const q of queues) {
    const jobs = await q.getJobs(['waiting'], 0, 199, true);
    for (const j of jobs) {
      if ((j.data as { instanceId?: string } | undefined)?.instanceId === instanceId)
        oldest = Math.min(oldest, j.timestamp);
    }
  }
  return Number.isFinite(oldest) ? Math.max(0, Math.round((now - oldest) / 100) / 10) : 0;
}

/** Instants are written `YYYY-MM-DDTHH:mm:ssZ` (docs/spec.md §2); stores keep millisecond ISO strings. */
const toSecond = (instant: string): string => instant.replace(/\.\d+Z$/, 'Z');
const entryOut = (entry: AuditEntry): AuditEntry => ({ ...entry, at: toSecond(entry.at) });

/** Review verdicts and their summary (`POST /api/escalations/:id/review`); none without a review store (503). */
function reviewModels(deps: ReadModelDeps): Pick<ReadModels, 'review' | 'reviewSummary'> {
  const reviews = deps.reviews;
  if (!reviews) return {};
  return {
    async review(id, verdict) {
      const entry = await deps.audit.get(id);
      if (!entry) return null;
      const rules = [
        ...new Set([...entry.decision.actions.map((a) => a.rule), ...entry.decision.reasons.map((r) => r.rule)]),
      ];
      const review = {
        id,
        instanceId: entry.instanceId,
        ticketId: entry.ticketId,
        rules,
        appropriate: verdict.appropriate,
        ...(verdict.comment !== undefined ? { comment: verdict.comment } : {}),
        reviewedAt: toSecond(new Date(deps.now()).toISOString()),
      };
      await reviews.put(review);
      return review;
    },
    async reviewSummary(q) {
      return summarizeReviews(await reviews.list(q.from, q.to, q.instance));
    },
  };
}

/** One ticket as `GET /api/tickets/:instance/:id` shows it: stored state, clocks, decisions, the PSA's SLA drift. */
async function ticketView(deps: ReadModelDeps, instanceId: string, rawTicketId: string): Promise<TicketView | null> {
  const ticketId = canonicalTicketId(rawTicketId) ?? rawTicketId; // "0001234" reads ticket 1234
  const record = await deps.tickets.get(instanceId, ticketId);
  if (!record) return null;
  return {
    ticket: record.ticket,
    state: toEngineState(record, { recurringCount: 0, groupCursors: {}, memberLoads: {} }),
    tier: record.tier,
    clocks: record.lastDecision?.clocks ?? {},
    nextCheckAt: record.nextCheckAt,
    decisions: (await deps.audit.forTicket(instanceId, ticketId)).map(entryOut),
    psaSla: record.ticket.psaSla ?? null,
    slaDrift: slaDrift(record.ticket, record.lastDecision?.clocks),
  };
}

/** Re-queues a dead letter: a notifier letter re-sends; any other re-fetches, re-evaluates and applies (docs/spec.md §4). */
async function retryDeadLetter(deps: ReadModelDeps, id: string): Promise<boolean> {
  const letter = await deps.deadLetters.get(id);
  if (!letter) return false;
  if (letter.kind === 'notifier' && deps.retryNotifiers) await deps.retryNotifiers(letter);
  else
    await deps.kick({
      instanceId: letter.instanceId,
      ticketId: letter.ticketId,
      trigger: 'dead_letter_retry',
      deadLetterId: id,
      now: deps.now(),
    });
  await deps.deadLetters.remove(id);
  return true;
}

/** One instance's status for `GET /api/instances`: webhook, lag, pause, PSA health, breaker, backfill progress. */
async function instanceStatus(deps: ReadModelDeps, rt: InstanceRuntime, now: number): Promise<InstanceStatus> {
  const { info } = rt.loaded;
  const [status, lag, pausedUntil, backfill, breaker] = await Promise.all([
    deps.instances.get(info.id),
    queueLag(deps.lagQueues, info.id, now),
    rt.limiter.pausedUntil(),
    deps.backfill?.progress(info.id) ?? Promise.resolve(null),
    rt.breaker?.state(),
  ]);
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
    // Honest health (issue 13): `unknown` until the first PSA call (start-up never calls a PSA).
    psa: status.psa,
    psaCheckedAt: status.psaCheckedAt === null ? null : toSecond(status.psaCheckedAt),
    psaLastError:
      status.psaError && status.psaErrorAt ? { code: status.psaError, at: toSecond(status.psaErrorAt) } : null,
    ...(breaker
      ? { breaker: { state: breaker.state, openedAt: breaker.openedAt === null ? null : toSecond(breaker.openedAt) } }
      : {}),
    backfill:
      backfill === null
        ? null
        : {
            listed: backfill.listed,
            evaluated: backfill.evaluated,
            remaining: backfill.remaining,
            startedAt: toSecond(backfill.startedAt),
            completedAt: backfill.completedAt === null ? null : toSecond(backfill.completedAt),
            listing: backfill.listing,
          },
  };
}

/** `ReadModels` over Redis for `/api/*` (docs/spec.md §5). */
export function createReadModels(deps: ReadModelDeps): ReadModels {
  return {
    ...reviewModels(deps),
    ...(deps.rcaStatus ? { rcaStatus: deps.rcaStatus } : {}),
    ticket: (instanceId, ticketId) => ticketView(deps, instanceId, ticketId),
    async escalations(query) {
      const page = await deps.audit.query(query);
      return { ...page, items: page.items.map(entryOut) };
    },
    async deadLetters(): Promise<{ items: DeadLetter[] }> {
      const items = await deps.deadLetters.list();
      return {
        items: items.map(({ id, at, instanceId, ticketId, actions, error }) => ({
          id,
          at: toSecond(at),
          instanceId,
          ticketId,
          actions,
          error,
        })),
      };
    },
    retryDeadLetter: (id) => retryDeadLetter(deps, id),
    async instances(): Promise<InstanceStatus[]> {
      const now = deps.now();
      return Promise.all(deps.runtimes.all().map((rt) => instanceStatus(deps, rt, now)));
    },
  };
}
