import type { Decision, HttpClient, NotifierConfig, Ticket } from '../contract/index.js';

/** What a notifier is told about one escalation (SPEC §2: `{"event":"escalation","instance","rule","ticket","decision"}`). */
export interface NotifyInput {
  notifier: string;
  instanceId: string;
  rule: string;
  ticket: Ticket;
  decision: Decision;
}

function ticketLabel(ticket: Ticket): string {
  return `#${ticket.number ?? ticket.ref.id} "${ticket.title}"`;
}

/** Slack incoming-webhook body: a one-line `text` fallback plus blocks. */
export function slackPayload(input: NotifyInput): { text: string; blocks: unknown[] } {
  const reason = input.decision.reasons.find((r) => r.rule === input.rule);
  const move = input.decision.actions.find((a) => a.type === 'reassign');
  const lines = [
    `*${input.rule}* (${reason?.kind ?? 'rule'}) on ${input.instanceId} ticket ${ticketLabel(input.ticket)}`,
    reason ? `Why: ${reason.text}${reason.suppressed ? ` (suppressed: ${reason.suppressed})` : ''}` : undefined,
    move && move.type === 'reassign' ? `Move: ${move.from.tier ?? '-'} → ${move.tier ?? '-'}${move.owner ? ` (${move.owner})` : ''}` : undefined,
    `Company: ${input.ticket.company.name ?? input.ticket.company.id} · Priority: ${input.ticket.priority.name} · Status: ${input.ticket.status.name}`,
  ].filter((l): l is string => l !== undefined);
  return {
    text: `Escalation ${input.rule}: ${input.instanceId} ticket ${ticketLabel(input.ticket)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
  };
}

export function webhookPayload(input: NotifyInput): Record<string, unknown> {
  return { event: 'escalation', instance: input.instanceId, rule: input.rule, ticket: input.ticket, decision: input.decision };
}

export interface NotifierOptions {
  notifiers: Readonly<Record<string, NotifierConfig>>;
  /** An outbound client without the PSA rate limit (notifier URLs come from the operator's config). */
  http: HttpClient;
  /** @defaultValue 5_000 */
  timeoutMs?: number;
}

/** Calls one configured notifier. Rejects (with a ConnectorError) after the client's retries. */
export function createNotifier(options: NotifierOptions): (input: NotifyInput) => Promise<void> {
  return async (input) => {
    const config = options.notifiers[input.notifier];
    if (!config) throw new Error(`notifier "${input.notifier}" is not configured`);
    await options.http.request({
      method: 'POST',
      url: config.url,
      json: config.kind === 'slack' ? slackPayload(input) : webhookPayload(input),
      timeoutMs: options.timeoutMs ?? 5_000,
      // A duplicate notification is better than a lost one: retry on network errors and 5xx.
      idempotent: true,
      rateLimited: false,
    });
  };
}

/** An operational alert about one instance (not an escalation): `{"event":"alert","alert","instance","message","at"}`. */
export interface AlertInput {
  notifier: string;
  instanceId: string;
  alert: 'webhook_registration_drift';
  message: string;
  at: string;
  details?: Record<string, unknown>;
}

/** Sends alerts through the configured notifiers (Slack: a text line; webhook: the JSON event). */
export function createAlerter(options: NotifierOptions): (input: AlertInput) => Promise<void> {
  return async (input) => {
    const config = options.notifiers[input.notifier];
    if (!config) throw new Error(`notifier "${input.notifier}" is not configured`);
    const { notifier: _n, instanceId, ...rest } = input;
    await options.http.request({
      method: 'POST',
      url: config.url,
      json: config.kind === 'slack' ? { text: `:warning: ${instanceId}: ${input.message}` } : { event: 'alert', instance: instanceId, ...rest },
      timeoutMs: options.timeoutMs ?? 5_000,
      idempotent: true,
      rateLimited: false,
    });
  };
}
