import type { TemplateContext } from './client.js';
import { notImplemented } from './client.js';

/**
 * Role: cached reference data read from the PSA (statuses, queues, priorities, our own API identity), shared by
 * workers through `ctx.cache`. See docs/adding-a-connector.md#lookups.
 */

/** Our API identity (the user our credentials act as): echoes carry it, and our notes are written by it. */
export async function ownIdentity(_ctx: TemplateContext): Promise<string | undefined> {
  throw notImplemented('ownIdentity', 'lookups');
}
