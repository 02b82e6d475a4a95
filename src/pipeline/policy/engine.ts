import type { Decision, Ticket, TicketState } from '../../contract/index.js';

/**
 * What the worker needs from the engine: a Decision for one instance's compiled policy. `main.ts` builds it from
 * `compilePolicy`/`evaluate` (src/engine) once per instance; tests may pass a small deterministic one.
 */
export interface PolicyEngine {
  evaluate(instanceId: string, ticket: Ticket, state: TicketState, now: number): Decision;
}
