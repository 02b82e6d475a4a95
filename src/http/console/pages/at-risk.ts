import type { ListedTicket, TicketListQuery } from '../../../pipeline/read/ticket-list.js';
import type { AppServices } from '../../services.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import { badge, empty, span, when } from '../layout.js';

import { instanceSelect, ticketLinks } from './common.js';

export interface AtRiskFilters {
  instance?: string;
  tier?: string;
  group?: string;
  company?: string;
  cursor?: string;
}

const clockLabel = { firstResponse: 'first response', resolution: 'resolution' } as const;

/** What comes next for a ticket, with a live countdown (business time for SLA clocks, wall time for checks). */
function nextUp(t: ListedTicket, asOf: number): Html {
  const items: Html[] = [];
  for (const c of t.clocks) {
    const running = t.calendar.openNow && !c.paused;
    const state = c.paused ? 'paused' : t.calendar.openNow ? 'business time' : 'outside business hours';
    items.push(
      html`<li>SLA ${clockLabel[c.name]} ${c.breached ? badge('breached', 'bad') : ''}
      <span class="countdown" data-remaining-ms="${c.businessRemainingMs}" data-running="${running ? '1' : '0'}" aria-label="${clockLabel[c.name]} time left">${span(Math.abs(c.businessRemainingMs))}${c.businessRemainingMs < 0 ? ' over' : ''}</span>
      <span class="muted">(${state}; due ${when(c.dueAt, t.calendar.timezone)})</span></li>`,
    );
  }
  if (t.nextCheckAt) {
    const left = Date.parse(t.nextCheckAt) - asOf;
    const rule = t.nextRules[0];
    items.push(
      html`<li>Next check <span class="countdown" data-remaining-ms="${left}" data-running="1" aria-label="time to the next check">${span(Math.abs(left))}</span>
      <span class="muted">(${when(t.nextCheckAt, t.calendar.timezone)})</span>${rule ? html`<br><span class="rule">${rule.rule}</span>: ${rule.text}` : ''}</li>`,
    );
  } else if (t.nextRules[0]) {
    items.push(html`<li>Near miss: <span class="rule">${t.nextRules[0].rule}</span>: ${t.nextRules[0].text}</li>`);
  }
  return items.length ? html`<ul class="next">${items}</ul>` : html`<span class="muted">nothing scheduled</span>`;
}

export function atRiskQuery(services: AppServices, f: AtRiskFilters): TicketListQuery {
  const all = services.deps.config.instances.map((i) => i.info.id);
  const q: TicketListQuery = {
    instances: f.instance && all.includes(f.instance) ? [f.instance] : all,
    sort: 'risk',
    limit: 50,
  };
  if (f.tier) q.tier = f.tier;
  if (f.group) q.group = f.group;
  if (f.company) q.company = f.company;
  if (f.cursor && /^\d{1,9}$/.test(f.cursor)) q.cursor = f.cursor;
  return q;
}

export function atRiskFilters(services: AppServices, f: AtRiskFilters): Html {
  const tiers = services.deps.config.tiers;
  return html`<form class="filters" method="get" action="/ui/at-risk" role="search" aria-label="Filter tickets">
  <div>${instanceSelect(services, f.instance)}</div>
  <div><label for="f-tier">Tier</label><select id="f-tier" name="tier"><option value="">Any tier</option>${tiers.map((t) => html`<option${t === f.tier ? html` selected` : ''}>${t}</option>`)}</select></div>
  <div><label for="f-group">Queue or team</label><input id="f-group" name="group" value="${f.group ?? ''}" autocomplete="off"></div>
  <div><label for="f-company">Company</label><input id="f-company" name="company" value="${f.company ?? ''}" autocomplete="off"></div>
  <div><button type="submit">Filter</button> <a href="/ui/at-risk">Clear</a></div>
</form>`;
}

/** The filters as a query string (no cursor). */
function filterQuery(f: AtRiskFilters): URLSearchParams {
  return new URLSearchParams(
    Object.entries({ instance: f.instance, tier: f.tier, group: f.group, company: f.company }).filter(
      (e): e is [string, string] => !!e[1],
    ),
  );
}

function atRiskRow(services: AppServices, t: ListedTicket, asOf: number): Html {
  return html`<tr data-ticket="${t.instanceId}/${t.ticketId}">
  <th scope="row">${ticketLinks(services, t.instanceId, t.ticketId, `#${t.number ?? t.ticketId}`)}<br>${t.title}<br><span class="muted">${t.instanceId} · ${t.status}</span></th>
  <td data-label="Company">${t.company}</td><td data-label="Priority">${t.priority}</td><td data-label="Tier">${t.tier ?? '—'}</td>
  <td data-label="Queue / owner">${t.location ?? '—'}<br><span class="muted">${t.owner ?? 'unassigned'}</span></td>
  <td data-label="Next" class="next-cell">${nextUp(t, asOf)}</td>
</tr>`;
}

type TicketPage = Awaited<ReturnType<NonNullable<AppServices['deps']['read']['openTickets']>>>;

/** The table of one page of tickets, and the link to the next page. */
function ticketTable(services: AppServices, page: TicketPage, qs: URLSearchParams): Html {
  const asOf = Date.parse(page.asOf);
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Open tickets by risk">
<table class="at-risk">
<caption>${page.total} open ticket${page.total === 1 ? '' : 's'}, next breach or escalation first</caption>
<thead><tr><th scope="col">Ticket</th><th scope="col">Company</th><th scope="col">Priority</th><th scope="col">Tier</th><th scope="col">Queue / owner</th><th scope="col">Next</th></tr></thead>
<tbody>${page.items.map((t) => atRiskRow(services, t, asOf))}</tbody></table></div>
${page.nextCursor ? html`<p><a href="/ui/at-risk?${new URLSearchParams([...qs, ['cursor', page.nextCursor] as [string, string]]).toString()}">Next ${Math.min(50, page.total - Number(page.nextCursor))} tickets</a></p>` : ''}`;
}

/** The live table (refreshed by htmx every 30 s; countdowns tick every second in between). */
export async function atRiskTable(services: AppServices, f: AtRiskFilters): Promise<Html> {
  const lister = services.deps.read.openTickets;
  if (!lister)
    return empty(
      'The ticket list is not available in this process.',
      'Open the console on a process with the api or all role.',
    );
  const page = await lister(atRiskQuery(services, f));
  const qs = filterQuery(f);
  const withCursor = new URLSearchParams(qs);
  if (f.cursor) withCursor.set('cursor', f.cursor);
  const refresh = `/ui/at-risk/table?${withCursor.toString()}`;
  const body =
    page.items.length === 0
      ? empty(
          'No open tickets match.',
          f.instance || f.tier || f.group || f.company
            ? 'Clear the filters to see every open ticket.'
            : 'Tickets appear here once a PSA sends a webhook or the reconciliation sweep finds them.',
        )
      : ticketTable(services, page, qs);
  return html`<div id="at-risk-live" hx-get="${refresh}" hx-trigger="every 30s" hx-swap="outerHTML" data-as-of="${page.asOf}">
<p class="muted">As of ${when(page.asOf)} (service clock). Countdowns tick in business time and pause outside the calendar’s hours.</p>
${body}</div>`;
}
