import { isObj, json, LoopbackServer } from './http.js';
import type { Reply, SandboxRequest } from './http.js';

/** One notification the service sent (a `webhook` or `slack` notifier of the demo config). */
export interface Notification {
  notifier: string;
  rule?: string;
  ticketId?: string;
}

/**
 * Stands in for the managers' webhook and the on-call Slack channel: records every notification and hands it to the
 * live log. Payloads are docs/spec.md §2's `{"event":"escalation","instance","rule","ticket","decision"}` and Slack's `{text}`.
 */
export class NotifierSink extends LoopbackServer {
  readonly received: Notification[] = [];
  onNotify?: (n: Notification, text: string) => void;

  protected route(req: SandboxRequest): Reply {
    const notifier = req.url.pathname.replace(/^\//, '') || 'unknown';
    const body = isObj(req.body) ? req.body : {};
    const ticket = isObj(body['ticket']) ? body['ticket'] : {};
    const ref = isObj(ticket['ref']) ? ticket['ref'] : {};
    const n: Notification = { notifier };
    if (typeof body['rule'] === 'string') n.rule = body['rule'];
    if (typeof ref['id'] === 'string') n.ticketId = ref['id'];
    this.received.push(n);
    const text =
      typeof body['text'] === 'string'
        ? body['text']
        : `${n.rule ?? 'escalation'} on ${String(body['instance'] ?? '?')} #${n.ticketId ?? '?'}`;
    this.onNotify?.(n, text);
    return json(200, { ok: true });
  }
}
