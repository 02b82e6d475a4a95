import { ConnectorError } from '../../src/contract/index.js';
import type { ConnectorContext, HttpRequest, HttpResponse } from '../../src/contract/index.js';

import type { TemplateSettings } from './schemas.js';

/**
 * Role: the PSA's REST client — base URL, auth headers, token refresh, PSA-specific error classification — over
 * `ctx.http` (which already does rate limits, retries, Retry-After and refuses redirects). See
 * docs/adding-a-connector.md#client.
 */
export type TemplateContext = ConnectorContext<TemplateSettings>;

/** The error every unimplemented piece of the skeleton answers with: which method, and where the docs say how. */
export function notImplemented(method: string, anchor: string): ConnectorError {
  return new ConnectorError('internal', `not implemented: ${method}() — see docs/adding-a-connector.md#${anchor}`, {
    retryable: false,
  });
}

/** One REST call relative to `connection.baseUrl`. */
export async function request<T = unknown>(
  _ctx: TemplateContext,
  _req: Omit<HttpRequest, 'url'> & { path: string },
): Promise<HttpResponse<T>> {
  throw notImplemented('request', 'client');
}
