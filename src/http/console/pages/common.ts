import type { AuditEntry } from '../../../store/models.js';
import type { AppServices } from '../../services.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import { psaLinker } from '../psa-links.js';

/** The calendar zone of an instance's policy (times on hover are shown in it). */
export function zoneOf(services: AppServices, instanceId: string): string {
  const known = services.instance(instanceId);
  const policy = known ? services.deps.config.policies[known.loaded.info.policy] : undefined;
  const cal = policy ? services.deps.config.calendars[policy.calendar] : undefined;
  return cal?.timezone ?? 'UTC';
}

/** Link to the console's ticket page, plus the PSA link when known. */
export function ticketLinks(services: AppServices, instanceId: string, ticketId: string, label?: string): Html {
  const known = services.instance(instanceId);
  const psa = known ? psaLinker(known)?.(ticketId) : undefined;
  const own = `/ui/tickets/${encodeURIComponent(instanceId)}/${encodeURIComponent(ticketId)}`;
  return html`<a href="${own}">${label ?? `#${ticketId}`}</a>${psa ? html` <a class="psa-link" href="${psa}" rel="noopener noreferrer" target="_blank">open in PSA<span class="sr-only"> (ticket ${ticketId}, new tab)</span></a>` : ''}`;
}

export const instanceIds = (services: AppServices): string[] => services.deps.config.instances.map((i) => i.info.id);

export function instanceSelect(services: AppServices, selected: string | undefined, id = 'f-instance'): Html {
  return html`<label for="${id}">Instance</label>
<select id="${id}" name="instance"><option value="">All instances</option>${instanceIds(services).map((i) => html`<option value="${i}"${i === selected ? html` selected` : ''}>${i}</option>`)}</select>`;
}

/** True when the entry moved the ticket (a reassign that was applied or, in observe mode, proposed). */
export const isEscalation = (e: AuditEntry): boolean =>
  e.decision.actions.some((a) => a.type === 'reassign') &&
  e.results.some((r) => r.action === 'reassign' && (r.status === 'applied' || r.status === 'proposed'));

export const statusKind: Record<string, string> = {
  applied: 'ok',
  proposed: 'info',
  skipped: 'muted',
  failed: 'bad',
  dead_letter: 'bad',
};
