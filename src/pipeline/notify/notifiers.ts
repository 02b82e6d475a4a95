import type { Decision, HttpClient, NotifierConfig, Ticket } from '../../contract/index.js';

/** What a notifier is told about one escalation (docs/spec.md §2: `{"event":"escalation","instance","rule","ticket","decision"}`). */
export interface NotifyInput {
  notifier: string;
  instanceId: string;
  rule: string;
  ticket: Ticket;
  decision: Decision;
}

/**
 * Slack's escaping for text taken from elsewhere (api.slack.com "Formatting text: escaping"): `&`, `<` and `>`
 * become entities, so a ticket title cannot write `<!channel>`, a `<@user>` mention or a `<https://…|label>` link.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped `#number "title"` (both come from the PSA). */
function ticketLabel(ticket: Ticket): string {
  return slackEscape(`#${ticket.number ?? ticket.ref.id} "${ticket.title}"`);
}

/**
 * Slack incoming-webhook body: a one-line `text` fallback plus blocks. Every interpolated value is escaped (PSA
 * text is written by customers; config names too, for good measure); only our own `*bold*` is markup.
 */
export function slackPayload(input: NotifyInput): { text: string; blocks: unknown[] } {
  const e = slackEscape;
  const reason = input.decision.reasons.find((r) => r.rule === input.rule);
  const move = input.decision.actions.find((a) => a.type === 'reassign');
  const t = input.ticket;
  const lines = [
    `*${e(input.rule)}* (${e(reason?.kind ?? 'rule')}) on ${e(input.instanceId)} ticket ${ticketLabel(t)}`,
    reason ? `Why: ${e(reason.text)}${reason.suppressed ? ` (suppressed: ${e(reason.suppressed)})` : ''}` : undefined,
    move && move.type === 'reassign'
      ? `Move: ${e(move.from.tier ?? '-')} → ${e(move.tier ?? '-')}${move.owner ? ` (${e(move.owner)})` : ''}`
      : undefined,
    `Company: ${e(t.company.name ?? t.company.id)} · Priority: ${e(t.priority.name)} · Status: ${e(t.status.name)}`,
  ].filter((l): l is string => l !== undefined);
  return {
    text: `Escalation ${e(input.rule)}: ${e(input.instanceId)} ticket ${ticketLabel(t)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
  };
}

export function webhookPayload(input: NotifyInput): Record<string, unknown> {
  return {
    event: 'escalation',
    instance: input.instanceId,
    rule: input.rule,
    ticket: input.ticket,
    decision: input.decision,
  };
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
      json:
        config.kind === 'slack'
          ? { text: `:warning: ${slackEscape(`${instanceId}: ${input.message}`)}` }
          : { event: 'alert', instance: instanceId, ...rest },
      timeoutMs: options.timeoutMs ?? 5_000,
      idempotent: true,
      rateLimited: false,
    });
  };
}
