import type { Action, Logger } from '../../contract/index.js';
import type { AuditStore } from '../../store/audit-store.js';
import type { DeadLetterStore } from '../../store/dead-letter-store.js';
import type { TicketStore } from '../../store/ticket-store.js';

import type { NotifyInput } from './notifiers.js';

export interface NotifierRetryDeps {
  tickets: TicketStore;
  audit: AuditStore;
  deadLetters: DeadLetterStore;
  notify: (input: NotifyInput) => Promise<void>;
  log: Logger;
}

export interface NotifierRetry {
  instanceId: string;
  ticketId: string;
  auditId?: string | undefined;
  actions: Action[];
}

/**
 * Retry of a notifier dead letter: re-sends the notifications of the recorded decision. Re-evaluating (what a
 * PSA-write dead letter does) would lose them: once the ticket has moved, the rule that notified no longer matches
 * in the new tier. The decision comes from the audit entry, the ticket from the stored state. Whatever fails
 * again becomes a new notifier dead letter.
 */
export async function resendNotifiers(
  deps: NotifierRetryDeps,
  job: NotifierRetry,
): Promise<'sent' | 'dead_letter' | 'gone'> {
  const record = await deps.tickets.get(job.instanceId, job.ticketId);
  const entry = job.auditId ? await deps.audit.get(job.auditId) : undefined;
  const decision = entry?.decision ?? record?.lastDecision;
  if (!record || !decision) {
    deps.log.warn(
      { instance: job.instanceId, ticket: job.ticketId },
      'notifier retry: the ticket or its decision is gone; nothing sent',
    );
    return 'gone';
  }
  const failed: Action[] = [];
  let error: { code: string; message: string } | undefined;
  for (const a of job.actions) {
    if (a.type !== 'notify') continue;
    try {
      await deps.notify({
        notifier: a.notifier,
        instanceId: job.instanceId,
        rule: a.rule,
        ticket: record.ticket,
        decision,
      });
    } catch (e) {
      failed.push(a);
      error ??= {
        code: (e as { code?: string }).code ?? 'internal',
        message: e instanceof Error ? e.message : String(e),
      };
    }
  }
  if (failed.length === 0) return 'sent';
  await deps.deadLetters.add({
    instanceId: job.instanceId,
    ticketId: job.ticketId,
    kind: 'notifier',
    actions: failed,
    error: error!,
    ...(job.auditId ? { auditId: job.auditId } : {}),
  });
  return 'dead_letter';
}
