import { err } from '../../src/contract/index.js';
import type { ConnectorError, ParsedWebhook, Result, WebhookRequest } from '../../src/contract/index.js';

import type { TemplateContext } from './client.js';
import { notImplemented } from './client.js';

/**
 * Role: inbound deliveries — authenticate the raw bytes (`verifyWebhook`), then read the verified body
 * (`parseWebhook`): canonical ticket id, action, a per-delivery event id, and `{ignore: 'echo'}` for changes made by
 * our own API identity (`echoIdentity` from src/contract memoises the lookup within a time budget).
 * See docs/adding-a-connector.md#webhook.
 */

/** `PsaConnector.verifyWebhook`: `unauthorized` unless the delivery proves it came from the PSA. */
export async function verifyWebhook(
  _ctx: TemplateContext,
  _req: WebhookRequest,
): Promise<Result<void, ConnectorError>> {
  return err(notImplemented('verifyWebhook', 'webhook'));
}

/** `PsaConnector.parseWebhook`. */
export async function parseWebhook(
  _ctx: TemplateContext,
  _req: WebhookRequest,
): Promise<Result<ParsedWebhook, ConnectorError>> {
  return err(notImplemented('parseWebhook', 'webhook'));
}
