import { ConnectorError, isConnectorError } from './errors.js';
import { err, ok } from './result.js';
import type { Result } from './result.js';

/**
 * One error style for connectors (docs/contract.md "Errors"): internal helpers may throw `ConnectorError`; every
 * contract method returns a `Result` (or, for `applyActions`, failed rows). These two turn the first into the second.
 */

/** Anything thrown as a `ConnectorError` (also one that crossed a process boundary); bugs become `internal`. */
export function toConnectorError(e: unknown): ConnectorError {
  if (e instanceof ConnectorError) return e;
  if (isConnectorError(e)) return new ConnectorError(e.code, e.message, { retryable: e.retryable, cause: e });
  return new ConnectorError('internal', e instanceof Error ? e.message : String(e), { cause: e });
}

/** Runs connector work, turning a thrown error into an `err` value (STYLE rule 3). */
export async function attempt<T>(work: () => Promise<T>): Promise<Result<T, ConnectorError>> {
  try {
    return ok(await work());
  } catch (e) {
    return err(toConnectorError(e));
  }
}
