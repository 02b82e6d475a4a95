import { err } from '../../src/contract/index.js';
import type { ConnectorError, RegistrationResult, Result, WebhookState } from '../../src/contract/index.js';

import type { TemplateContext } from './client.js';
import { notImplemented } from './client.js';

/**
 * Role: the PSA's webhook registration — create or repair exactly one registration for our callback URL (never
 * two), and read its state without changing it. See docs/adding-a-connector.md#registration.
 */

/** `PsaConnector.registerWebhooks`: idempotent; a second run reports `unchanged: 1`. */
export async function registerWebhooks(
  _ctx: TemplateContext,
  _callbackUrl: string,
): Promise<Result<RegistrationResult, ConnectorError>> {
  return err(notImplemented('registerWebhooks', 'registration'));
}

/** `PsaConnector.webhookState`. */
export async function webhookState(
  _ctx: TemplateContext,
  _callbackUrl: string,
): Promise<Result<WebhookState, ConnectorError>> {
  return err(notImplemented('webhookState', 'registration'));
}
