function ticketLabel(ticket) {
    return `#${ticket.number ?? ticket.ref.id} "${ticket.title}"`;
}
/** Slack incoming-webhook body: a one-line `text` fallback plus blocks. */
export function slackPayload(input) {
    const reason = input.decision.reasons.find((r) => r.rule === input.rule);
    const move = input.decision.actions.find((a) => a.type === 'reassign');
    const lines = [
        `*${input.rule}* (${reason?.kind ?? 'rule'}) on ${input.instanceId} ticket ${ticketLabel(input.ticket)}`,
        reason ? `Why: ${reason.text}${reason.suppressed ? ` (suppressed: ${reason.suppressed})` : ''}` : undefined,
        move && move.type === 'reassign' ? `Move: ${move.from.tier ?? '-'} → ${move.tier ?? '-'}${move.owner ? ` (${move.owner})` : ''}` : undefined,
        `Company: ${input.ticket.company.name ?? input.ticket.company.id} · Priority: ${input.ticket.priority.name} · Status: ${input.ticket.status.name}`,
    ].filter((l) => l !== undefined);
    return {
        text: `Escalation ${input.rule}: ${input.instanceId} ticket ${ticketLabel(input.ticket)}`,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
    };
}
export function webhookPayload(input) {
    return { event: 'escalation', instance: input.instanceId, rule: input.rule, ticket: input.ticket, decision: input.decision };
}
/** Calls one configured notifier. Rejects (with a ConnectorError) after the client's retries. */
export function createNotifier(options) {
    return async (input) => {
        const config = options.notifiers[input.notifier];
        if (!config)
            throw new Error(`notifier "${input.notifier}" is not configured`);
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
//# sourceMappingURL=notifiers.js.map