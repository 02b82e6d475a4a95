import type { ActionResult, WritePlan } from '../../src/contract/index.js';

import type { TemplateContext } from './client.js';
import { notImplemented } from './client.js';

/**
 * Role: `PsaConnector.applyActions` — reassign + priority in ONE write carrying only the fields that differ from
 * `plan.fetched`, a read-back (`write_not_applied` when it did not take), then each note unless a note of ours
 * already carries its marker (`carriesMarker`). One row per action; the first failure fails the rest.
 * See docs/adding-a-connector.md#actions.
 */
export async function applyActions(_ctx: TemplateContext, plan: WritePlan): Promise<ActionResult[]> {
  const e = notImplemented('applyActions', 'actions');
  const error = { code: e.code, message: e.message };
  return [
    ...(plan.reassign
      ? [{ actionId: plan.reassign.actionId, action: 'reassign' as const, status: 'failed' as const, error }]
      : []),
    ...(plan.priority
      ? [{ actionId: plan.priority.actionId, action: 'priority' as const, status: 'failed' as const, error }]
      : []),
    ...plan.notes.map((n) => ({ actionId: n.actionId, action: 'note' as const, status: 'failed' as const, error })),
  ];
}
