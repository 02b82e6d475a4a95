import type { AuditEntry, EscalationQuery } from '../../../store/models.js';
import type { AppServices } from '../../services.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import { badge, empty, when } from '../layout.js';

import { instanceSelect, statusKind, ticketLinks, zoneOf } from './common.js';

export interface FeedFilters {
  instance?: string;
  rule?: string;
  cursor?: string;
}

const matchedText = (m: Record<string, unknown>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');

/** One audit entry: rule, reasons with the compared values, the note text and the result of every write. */
export function entryView(services: AppServices, e: AuditEntry, withTicket = true): Html {
  const zone = zoneOf(services, e.instanceId);
  const observe = e.mode === 'observe';
  return html`<article class="entry${observe ? ' observe' : ''}" data-entry="${e.id}">
<header><h3>${withTicket ? html`${e.instanceId} ${ticketLinks(services, e.instanceId, e.ticketId)}` : ''} ${e.event ? badge(e.event.replace('_', ' '), 'muted') : e.decision.reasons.map((r) => html`<span class="rule">${r.rule}</span> `)}</h3>
<p class="meta">${when(e.at, zone)} · ${e.psa} · ${e.trigger ?? 'evaluation'} ${observe ? badge('proposed — observe mode, nothing written', 'info') : ''}</p></header>
${e.decision.reasons.length ? html`<ul class="reasons">${e.decision.reasons.map((r) => html`<li><span class="rule">${r.rule}</span> (${r.kind}): ${r.text}${Object.keys(r.matched).length ? html`<br><span class="muted">compared: ${matchedText(r.matched)}</span>` : ''}${r.suppressed ? html` ${badge(`suppressed: ${r.suppressed.replace('_', ' ')}`, 'muted')}` : ''}</li>`)}</ul>` : ''}
${
  e.decision.actions.length
    ? html`<ul class="actions">${e.decision.actions.map((a, i) => {
        const result =
          e.results.length === e.decision.actions.length ? e.results[i] : e.results.find((r) => r.action === a.type);
        const what =
          a.type === 'reassign'
            ? `reassign to ${a.tier ?? 'no tier'}${a.group ? ` / ${a.group}` : ''}${a.owner ? ` (${a.owner})` : ''}`
            : a.type === 'priority'
              ? `priority → ${a.priority}`
              : a.type === 'note'
                ? `${a.visibility} note`
                : a.type === 'notify'
                  ? `notify ${a.notifier}`
                  : `tag ${a.tag}`;
        return html`<li>${what}: ${result ? badge(observe && result.status === 'applied' ? 'proposed' : result.status.replace('_', ' '), statusKind[result.status] ?? '') : badge('pending', 'muted')}${result?.error ? html` <span class="error-text">${result.error.code}: ${result.error.message}</span>` : ''}
  ${a.type === 'note' ? html`<details><summary>Note text</summary><pre class="note">${a.text}</pre></details>` : ''}</li>`;
      })}</ul>`
    : ''
}
</article>`;
}

export async function feedList(services: AppServices, f: FeedFilters): Promise<Html> {
  const q: EscalationQuery = { limit: 30 };
  if (f.instance) q.instance = f.instance;
  if (f.rule) q.rule = f.rule;
  if (f.cursor) q.cursor = f.cursor;
  const page = await services.deps.read.escalations(q);
  const qs = new URLSearchParams(
    Object.entries({ instance: f.instance, rule: f.rule }).filter((e): e is [string, string] => !!e[1]),
  );
  const live = f.cursor === undefined;
  const items =
    page.items.length === 0
      ? empty(
          'No escalations recorded yet.',
          f.instance || f.rule
            ? 'Clear the filters, or wait: new decisions appear here within seconds.'
            : 'Decisions appear here as tickets are evaluated; this feed updates itself.',
        )
      : html`${page.items.map((e) => entryView(services, e))}${page.nextCursor ? html`<p><a href="/ui/escalations?${new URLSearchParams([...qs, ['cursor', page.nextCursor] as [string, string]]).toString()}">Older entries</a></p>` : ''}`;
  return html`<div id="feed"${live ? html` hx-get="/ui/escalations/feed?${qs.toString()}" hx-trigger="every 5s" hx-swap="outerHTML"` : ''}>${items}</div>`;
}

export function feedFilters(services: AppServices, f: FeedFilters): Html {
  const rules = [...new Set(Object.values(services.deps.config.policies).flatMap((p) => p.rules.map((r) => r.id)))];
  return html`<form class="filters" method="get" action="/ui/escalations" role="search" aria-label="Filter escalations">
  <div>${instanceSelect(services, f.instance)}</div>
  <div><label for="f-rule">Rule</label><select id="f-rule" name="rule"><option value="">Any rule</option>${rules.map((r) => html`<option${r === f.rule ? html` selected` : ''}>${r}</option>`)}</select></div>
  <div><button type="submit">Filter</button> <a href="/ui/escalations">Clear</a></div>
</form>
<p class="muted">Newest first; the first page updates every 5 seconds.</p>`;
}
