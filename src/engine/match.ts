import type { CompiledRule } from './compiled.js';
import type { Explanation } from './explain.js';
import type { MoveOutcome } from './moves.js';

/** A rule whose `when` holds now and whose guards let it fire, with its move and its explanation. */
export interface Match {
  readonly rule: CompiledRule;
  readonly move: MoveOutcome;
  readonly why: Explanation;
}
