import type { Decision, NoteAction, ReassignAction, Ticket, TicketState } from '../../contract/index.js';
import type { EnginePolicy } from '../compiled.js';
import { evaluate } from '../evaluate.js';
import { cwTicket } from './example-policy.js';

/** Test support: run one evaluation and read the parts of the Decision tests assert on. */

export function run(policy: EnginePolicy, args: { ticket?: Partial<Ticket>; state?: TicketState; now: string }): Decision {
  return evaluate({ ticket: cwTicket(args.ticket), ...(args.state ? { state: args.state } : {}), policy, now: args.now });
}

export const reassignOf = (d: Decision): ReassignAction | undefined =>
  d.actions.find((a): a is ReassignAction => a.type === 'reassign');
export const notifiers = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'notify' ? [a.notifier] : []));
export const tags = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'tag' ? [a.tag] : []));
export const priorityOf = (d: Decision): string | undefined => d.actions.flatMap((a) => (a.type === 'priority' ? [a.priority] : []))[0];
export const notes = (d: Decision): NoteAction[] => d.actions.filter((a): a is NoteAction => a.type === 'note');
export const reasonRules = (d: Decision): string[] => d.reasons.map((r) => r.rule);
