import type { Decision, Ticket } from '../../contract/index.js';

export type SlaClock = 'firstResponse' | 'resolution';
export type SlaDrift = Record<SlaClock, number | null>;

const psaDue = (ticket: Pick<Ticket, 'psaSla'>, clock: SlaClock): string | undefined =>
  clock === 'firstResponse' ? ticket.psaSla?.respondBy : ticket.psaSla?.resolveBy;

/**
 * The PSA's own SLA due dates against our clocks (issue 13): minutes PSA due − our due, per clock (positive: the PSA
 * gives more time than we do); null when either side has no due date.
 */
export function slaDrift(ticket: Pick<Ticket, 'psaSla'>, clocks: Decision['clocks'] | undefined): SlaDrift {
  const one = (clock: SlaClock): number | null => {
    const theirs = Date.parse(psaDue(ticket, clock) ?? '');
    const ours = Date.parse(clocks?.[clock]?.dueAt ?? '');
    if (Number.isNaN(theirs) || Number.isNaN(ours)) return null;
    return Math.round((theirs - ours) / 6_000) / 10;
  };
  return { firstResponse: one('firstResponse'), resolution: one('resolution') };
}

/** Clocks on which the PSA and we now disagree by more than `toleranceMin` and did not before (count each once). */
export function newDisagreements(now: SlaDrift, before: SlaDrift | undefined, toleranceMin: number): SlaClock[] {
  const beyond = (d: number | null | undefined) => d !== null && d !== undefined && Math.abs(d) > toleranceMin;
  return (['firstResponse', 'resolution'] as const).filter((c) => beyond(now[c]) && !beyond(before?.[c]));
}
