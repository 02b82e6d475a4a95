import type { DeadLetter } from '../../../store/models.js';
import type { AppServices } from '../../services.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import { empty, when } from '../layout.js';

import { ticketLinks, zoneOf } from './common.js';

const actionSummary = (actions: unknown[]): string =>
  actions
    .map((a) => (a && typeof a === 'object' && 'type' in a ? String((a as { type: unknown }).type) : 'action'))
    .join(', ') || '—';

export function letterRow(services: AppServices, d: DeadLetter, csrf: string): Html {
  const action = `/ui/dead-letters/${encodeURIComponent(d.id)}/retry`;
  return html`<tr data-letter="${d.id}">
  <td>${when(d.at, zoneOf(services, d.instanceId))}</td>
  <td>${d.instanceId}</td>
  <td>${ticketLinks(services, d.instanceId, d.ticketId)}</td>
  <td>${actionSummary(d.actions)}</td>
  <td><span class="error-text">${d.error.code}</span>: ${d.error.message}</td>
  <td><form method="post" action="${action}" hx-post="${action}" hx-target="closest tr" hx-swap="outerHTML"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Retry<span class="sr-only"> ticket ${d.ticketId}</span></button></form></td>
</tr>`;
}

export const retriedRow = (id: string, ok: boolean): Html =>
  html`<tr data-letter="${id}" class="${ok ? 'retried' : 'gone'}"><td colspan="6" role="status">${ok ? 'Retry queued: the ticket is re-fetched, re-evaluated and the new decision applied. Watch the Escalations feed.' : 'This dead letter no longer exists (already retried or expired). Reload the page.'}</td></tr>`;

export async function deadLettersBody(services: AppServices, csrf: string): Promise<Html> {
  const { items } = await services.deps.read.deadLetters();
  if (items.length === 0)
    return empty(
      'No dead letters.',
      'Writes that fail at the PSA after every retry land here; nothing to do right now.',
    );
  return html`<p>Writes that failed at the PSA after all retries. Fix the cause (credentials, permissions, a deleted ticket), then retry: the ticket is re-fetched and re-evaluated, so a stale action is never replayed blindly.</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="Dead letters"><table>
<thead><tr><th scope="col">When</th><th scope="col">Instance</th><th scope="col">Ticket</th><th scope="col">Actions</th><th scope="col">Error</th><th scope="col">Retry</th></tr></thead>
<tbody>${items.map((d) => letterRow(services, d, csrf))}</tbody></table></div>`;
}
