import { compileCalendars } from '../engine/calendar.js';
import { recordEvaluation, recordGone } from './escalation-metrics-history.js';
import { computeEscalationMetrics } from './escalation-metrics.js';
/**
 * Business minutes in the ticket's clock calendar (SPEC §2: the priority's `calendar` override, else the policy's);
 * real minutes when the instance, policy or calendar is unknown.
 */
export function businessMinutesFor(config, instanceId) {
    let calendars = {};
    try {
        calendars = compileCalendars(config.calendars);
    }
    catch {
        // check-config rejects bad calendars before serve starts; real minutes are the safe fallback here
    }
    const policyName = config.instances.find((i) => i.info.id === instanceId)?.info.policy;
    const policy = policyName === undefined ? undefined : config.policies[policyName];
    return (ticket, fromMs, toMs) => {
        const level = ticket.priority.level;
        const name = (level === null ? undefined : policy?.sla[`P${level}`]?.calendar) ?? policy?.calendar;
        const cal = name === undefined ? undefined : calendars[name];
        const ms = cal ? cal.businessBetween(fromMs, toMs) : Math.max(0, toMs - fromMs);
        return Math.round((ms / 60_000) * 100) / 100;
    };
}
/** Records histories through the store and computes SPEC §5 metrics from them. */
export function createEscalationMetricsService(options) {
    const { store, config, log } = options;
    const clocks = new Map();
    const clockOf = (id) => {
        let c = clocks.get(id);
        if (!c)
            clocks.set(id, (c = businessMinutesFor(config, id)));
        return c;
    };
    return {
        async record({ instanceId, ticket, decision, ours, mode, now }) {
            try {
                const prev = await store.get(instanceId, ticket.ref.id);
                const bm = clockOf(instanceId);
                const next = recordEvaluation(prev, {
                    instanceId, ticket, now, ...(decision ? { decision } : {}), ...(ours ? { ours } : {}), ...(mode ? { mode } : {}),
                    businessMinutes: (a, b) => bm(ticket, a, b),
                });
                await store.put(next);
            }
            catch (e) {
                log.warn({ err: { message: e instanceof Error ? e.message : String(e) }, instance: instanceId, ticket: ticket.ref.id }, 'escalation metrics: history not recorded');
            }
        },
        async gone(instanceId, ticketId, now) {
            try {
                const prev = await store.get(instanceId, ticketId);
                if (prev)
                    await store.put(recordGone(prev, now));
            }
            catch (e) {
                log.warn({ err: { message: e instanceof Error ? e.message : String(e) }, instance: instanceId, ticket: ticketId }, 'escalation metrics: end not recorded');
            }
        },
        async query({ instance, from, to }) {
            const histories = await store.since(instance, from);
            return computeEscalationMetrics(histories, { instance, from, to, tiers: config.tiers });
        },
    };
}
//# sourceMappingURL=escalation-metrics-service.js.map