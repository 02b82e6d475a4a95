import { isConnectorError } from '../contract/index.js';

/**
 * The error codes of the HTTP API (docs/spec.md §5) and the ONE table that maps them to statuses (STYLE rule 4).
 * Every error response is `{"error":{"code","message","details?"}}` with a code from this table.
 */
export const errorStatus = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  /** docs/spec.md §5 `POST /api/instances/:id/webhooks` → "409 `public_url_missing`". */
  public_url_missing: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  key_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof errorStatus;
export const errorCodes = Object.keys(errorStatus) as ErrorCode[];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An expected HTTP failure: thrown by routes and hooks, rendered by the single error handler. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** Extra response headers (e.g. `retry-after`, `www-authenticate`). */
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    Object.setPrototypeOf(this, new.target.prototype);
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    if (options.headers !== undefined) this.headers = options.headers;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** The generic 404 (identical for unknown routes and unknown instances: no tenant echo, docs/reliability.md #13). */
export const notFoundError = () => new HttpError('not_found', 'Not found');
const internalError = () => new HttpError('internal', 'Internal server error');

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
  name?: unknown;
}

/** One zod issue as the error envelope reports it (`details`). */
export interface ValidationDetail {
  /** Dotted path with zero-based indices, e.g. `ticket.status.category`; '' for the root. */
  path: string;
  message: string;
}

function validationDetails(validation: unknown[], context: unknown): ValidationDetail[] {
  // Body paths are bare (`ticket.status`); other parts are named (`query.limit`, `params.id`).
  const part = context === 'querystring' ? 'query' : context;
  const prefix = typeof part === 'string' && part !== 'body' ? `${part}.` : '';
  return validation.map((v) => {
    const issue = v as { instancePath?: unknown; message?: unknown };
    const raw = typeof issue.instancePath === 'string' ? issue.instancePath : '';
    const path = raw
      .split('/')
      .filter((s) => s !== '')
      .join('.');
    return { path: `${prefix}${path}`, message: typeof issue.message === 'string' ? issue.message : 'invalid' };
  });
}

// Fastify's own client errors keep their (client-facing, internals-free) message; the status picks the code.
const codeByStatus: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'bad_request',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Turns anything thrown into an HttpError. Known shapes: our HttpError, request validation errors (zod paths in
 * `details`), the pipeline's `unavailable` (Redis down), a ConnectorError's client-side codes, Fastify's `FST_ERR_*`
 * client errors (body too large, bad JSON, bad media type) and rate-limit errors. Everything else becomes a 500
 * with a generic message: internals never leak.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (typeof error !== 'object' || error === null) return internalError();
  const e = error as FastifyLikeError;
  if (Array.isArray(e.validation)) {
    const ctx = (error as { validationContext?: unknown }).validationContext;
    return new HttpError('bad_request', 'Request is invalid', { details: validationDetails(e.validation, ctx) });
  }
  if (e.code === 'unavailable')
    return new HttpError('unavailable', 'Service temporarily unavailable: storage is not reachable');
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError('payload_too_large', 'Request body is too large');
  if (isConnectorError(error)) {
    if (error.code === 'unauthorized') return new HttpError('unauthorized', 'Unauthorized');
    if (error.code === 'bad_request') return new HttpError('bad_request', error.message);
    if (error.code === 'key_unavailable') return new HttpError('key_unavailable', 'Signing key unavailable');
    return internalError();
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code = codeByStatus[status] ?? (status >= 400 && status < 500 ? 'bad_request' : undefined);
  if (code === undefined) return internalError();
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : code;
  return new HttpError(code, message);
}
