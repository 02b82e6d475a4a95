import type { Ticket, TicketNote } from '../contract/index.js';
import { instant } from './context.js';
import type { EvalContext } from './context.js';

/**
 * Follow-through after a move (issue 17): handoff pickup (`notPickedUpFor`) and customer update promises
 * (`updateOverdue`). Pure: everything comes from the ticket and the stored state.
 *
 * - A **handoff** starts at our latest reassign (`state.escalations`). The new owner picked it up once a note of
 *   theirs (not ours) is newer than that, or the pipeline recorded owner activity (`state.ownerActivityAt`) after it.
 * - A **promise** is `state.updatePromise` (recorded when our customer note said "Next update by …"). It is kept once
 *   a customer-visible note newer than the promise was written by someone other than us or the ticket's contact.
 */

const lower = (v: string | undefined): string | undefined => (v === undefined ? undefined : v.trim().toLowerCase());

/** Instant of our latest reassign of the ticket (NaN when we never moved it). */
export function lastMoveAt(ctx: EvalContext): number {
  let latest = Number.NaN;
  for (const e of ctx.state.escalations ?? []) {
    const at = instant(e.at, Number.NaN);
    if (!Number.isNaN(at) && !(at <= latest)) latest = at; // `at <= NaN` is false: the first instant is taken
  }
  return latest;
}

function authoredBy(note: TicketNote, who: readonly (string | undefined)[]): boolean {
  const author = lower(note.author);
  return author !== undefined && author !== '' && who.some((w) => w !== undefined && w !== '' && lower(w) === author);
}

/** The latest sign of the current owner working the ticket (NaN when none is known). */
export function ownerActivityAt(ctx: EvalContext): number {
  let latest = instant(ctx.state.ownerActivityAt, Number.NaN);
  const owner = ctx.ticket.owner;
  if (owner === null) return latest;
  const who = [owner.id, owner.name];
  for (const n of ctx.ticket.recentNotes ?? []) {
    if (n.ours || !authoredBy(n, who)) continue;
    const at = instant(n.at, Number.NaN);
    if (!Number.isNaN(at) && !(at <= latest)) latest = at;
  }
  return latest;
}

/**
 * The handoff's pickup deadline: `ms` business ms after our latest move, in the ticket's calendar. NaN when there is
 * no handoff (never moved) or it was picked up (owner activity after the move).
 */
export function pickupDeadline(ctx: EvalContext, ms: number): number {
  const moved = lastMoveAt(ctx);
  if (Number.isNaN(moved)) return Number.NaN;
  if (ownerActivityAt(ctx) > moved) return Number.NaN;
  return ctx.calendar.addBusiness(moved, ms);
}

/** Notes that count as the promised update: customer-visible, newer than the promise, not ours, not the contact's. */
function isUpdate(note: TicketNote, ticket: Ticket, madeAt: number): boolean {
  if (note.internal || note.ours) return false;
  const c = ticket.contact;
  if (c && authoredBy(note, [c.id, c.name, c.email])) return false;
  return instant(note.at, Number.NaN) > madeAt;
}

/** The open promise's instant (NaN when there is none or it was kept). */
export function openPromiseBy(ctx: EvalContext): number {
  const p = ctx.state.updatePromise;
  if (p === undefined) return Number.NaN;
  const madeAt = instant(p.madeAt, Number.NaN);
  const by = instant(p.by, Number.NaN);
  if (Number.isNaN(madeAt) || Number.isNaN(by)) return Number.NaN;
  if (instant(ctx.state.customerUpdateAt, Number.NaN) > madeAt) return Number.NaN;
  for (const n of ctx.ticket.recentNotes ?? []) if (isUpdate(n, ctx.ticket, madeAt)) return Number.NaN;
  return by;
}

/** When the open promise was made (NaN when none): rules using `updateOverdue` fire once per promise. */
export function promiseMadeAt(ctx: EvalContext): number {
  return instant(ctx.state.updatePromise?.madeAt, Number.NaN);
}
