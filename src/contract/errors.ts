/**
 * Stable error codes shared by connectors, the pipeline and the HTTP layer. Jobs classify errors by `code`
 * (never by `instanceof` alone) because errors cross worker and process boundaries (STYLE rule 3).
 */
export const connectorErrorCodes = [
  'unauthorized', // webhook authentication failed → 401
  'bad_request', // webhook body is not JSON / wrong shape → 400
  'key_unavailable', // ConnectWise signing key could not be fetched → 503
  'denied_url', // an outbound URL failed the allow-list / SSRF checks
  'redirect_refused', // a PSA answered 3xx: never followed
  'not_found', // 404/410 from the PSA: the record is gone
  'psa_auth', // 401/403 from the PSA: credentials problem, no retry
  'rate_limited', // 429 (or 503 with Retry-After); `retryAfterMs` says how long to wait
  'psa_unavailable', // 5xx from the PSA
  'timeout', // no answer in time (ambiguous for writes)
  'network', // connection refused/reset, DNS failure (ambiguous for writes once sent)
  'validation', // the PSA refused the request (400/422, Autotask 500 with {"errors":[…]})
  'conflict', // 409
  'invalid_response', // the PSA answered 2xx with a body that does not match its schema
  'write_not_applied', // read-back shows a write did not take (ConnectWise false 200)
  'internal',
] as const;
export type ConnectorErrorCode = (typeof connectorErrorCodes)[number];

const retryableByDefault: ReadonlySet<ConnectorErrorCode> = new Set([
  'key_unavailable',
  'rate_limited',
  'psa_unavailable',
  'timeout',
  'network',
  'conflict',
]);

export interface ConnectorErrorOptions {
  /** @defaultValue derived from the code (rate limits, 5xx, timeouts, network errors are retryable) */
  retryable?: boolean;
  /** HTTP status the PSA answered, when there was one. */
  status?: number;
  /** Wait this long before the next attempt (from `Retry-After`). */
  retryAfterMs?: number;
  /** Safe, secret-free details for logs and dead letters. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ConnectorErrorCode, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    Object.setPrototypeOf(this, new.target.prototype);
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault.has(code);
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      status: this.status,
      details: this.details,
    };
  }
}

/** True for values that look like a ConnectorError, also after crossing a process boundary. */
export function isConnectorError(value: unknown): value is ConnectorError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (connectorErrorCodes as readonly string[]).includes((value as { code: string }).code)
  );
}
