import type { Ticket } from '../../contract/index.js';
import type { TicketRecord } from '../../store/ticket-store.js';

import type { InstanceRuntime } from '../outbound/instance-runtime.js';
import type { PolicyFacts } from '../../store/ticket-counters.js';

/**
 * Handoff pickup sees time entries (issue 17, `notPickedUpFor`): when a pickup check falls due, the connector's
 * optional `readActivity` lists what the ticket's notes do not show (time entries), and the latest entry by the
 * current owner after our move becomes `state.ownerActivityAt` — the engine stays pure and decides from the state.
 *
 * Read only when it can change the outcome: the policy has a `notPickedUpFor` rule, we moved the ticket, it has an
 * owner, no pickup is known since the move, the shortest `notPickedUpFor` has passed in real time (business time
 * never runs faster), and no pickup rule fired since the move. A failed read is logged and changes nothing.
 */
export async function withOwnerActivity(args: {
  rt: InstanceRuntime;
  facts: PolicyFacts;
  record: TicketRecord;
  ticket: Ticket;
  now: number;
}): Promise<TicketRecord> {
  const { rt, facts, record, ticket, now } = args;
  const read = rt.connector.readActivity;
  const pickup = facts.pickup;
  const owner = ticket.owner;
  if (!read || !pickup || owner === null) return record;
  const moved = Math.max(...record.escalations.map((e) => Date.parse(e.at)).filter((t) => !Number.isNaN(t)));
  if (!Number.isFinite(moved) || now < moved + pickup.minMs) return record;
  const known = record.ownerActivityAt === undefined ? Number.NaN : Date.parse(record.ownerActivityAt);
  if (known > moved) return record;
  if (record.fired.some((f) => pickup.rules.has(f.rule) && Date.parse(f.at) >= moved)) return record;
  const who = [owner.id, owner.name]
    .filter((w): w is string => typeof w === 'string' && w !== '')
    .map((w) => w.trim().toLowerCase());
  if (who.length === 0) return record;
  const res = await read
    .call(rt.connector, rt.ctx, ticket.ref.id, new Date(moved).toISOString())
    .catch((e: unknown) => ({ ok: false as const, error: e }));
  if (!res.ok) {
    const message = res.error instanceof Error ? res.error.message : String(res.error);
    rt.ctx.log.warn(
      { instance: rt.loaded.info.id, ticket: ticket.ref.id, err: { message } },
      'handoff pickup: time entries not read (notes and status changes only)',
    );
    return record;
  }
  let latest = Number.isNaN(known) ? Number.NaN : known;
  for (const a of res.value) {
    const at = Date.parse(a.at);
    if (Number.isNaN(at) || at <= moved || at > now || !who.includes(a.author.trim().toLowerCase())) continue;
    if (!(at <= latest)) latest = at;
  }
  return latest > moved ? { ...record, ownerActivityAt: new Date(latest).toISOString() } : record;
}
