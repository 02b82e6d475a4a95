import { isObj, json, listen } from './http.js';
/**
 * Stands in for the managers' webhook and the on-call Slack channel: records every notification and hands it to the
 * live log. Payloads are SPEC §2's `{"event":"escalation","instance","rule","ticket","decision"}` and Slack's `{text}`.
 */
export class NotifierSink {
    received = [];
    onNotify;
    server;
    get origin() {
        return this.server?.origin ?? '';
    }
    async start() {
        this.server = await listen((req) => {
            const notifier = req.url.pathname.replace(/^\//, '') || 'unknown';
            const body = isObj(req.body) ? req.body : {};
            const ticket = isObj(body['ticket']) ? body['ticket'] : {};
            const ref = isObj(ticket['ref']) ? ticket['ref'] : {};
            const n = { notifier };
            if (typeof body['rule'] === 'string')
                n.rule = body['rule'];
            if (typeof ref['id'] === 'string')
                n.ticketId = ref['id'];
            this.received.push(n);
            const text = typeof body['text'] === 'string' ? body['text'] : `${n.rule ?? 'escalation'} on ${String(body['instance'] ?? '?')} #${n.ticketId ?? '?'}`;
            this.onNotify?.(n, text);
            return json(200, { ok: true });
        });
        return this;
    }
    close() {
        return this.server?.close() ?? Promise.resolve();
    }
}
//# sourceMappingURL=notifiers.js.map