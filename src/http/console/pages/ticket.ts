import type { TicketView } from '../../../pipeline/types.js';
import type { AppServices } from '../../services.js';
import { html, raw } from '../html.js';
import type { Html } from '../html.js';
import { badge, empty, span, when } from '../layout.js';

import { entryView } from './escalations.js';
import { ticketLinks, zoneOf } from './common.js';

interface Band {
  from: number;
  to: number;
  label: string;
  paused: boolean;
}

/** An SVG timeline: status stretches (paused ones shaded), SLA due lines, decision markers. No inline styles (CSP). */
function timelineSvg(v: TicketView, pauseOn: readonly string[], now: number): Html {
  const start = Date.parse(v.ticket.createdAt);
  const dues = Object.values(v.clocks)
    .filter((c) => c !== undefined)
    .map((c) => Date.parse(c.dueAt));
  // Due lines far in the future would squash the ticket's history to the left: the axis reaches at most 3× the
  // ticket's age past its creation (later due instants are listed under "SLA clocks").
  const horizon = start + 3 * Math.max(now - start, 60_000);
  const end = Math.max(now, ...dues.filter((d) => d <= horizon), start + 60_000);
  const W = 1000;
  const x = (t: number) => Math.round(((t - start) / (end - start)) * W * 10) / 10;
  // No recorded change: one stretch in the current status since creation.
  const history = v.state.statusHistory?.length
    ? v.state.statusHistory
    : [{ category: v.ticket.status.category, at: v.ticket.createdAt }];
  const bands: Band[] = history.map((h, i) => ({
    from: Math.max(start, Date.parse(h.at)),
    to: i + 1 < history.length ? Date.parse(history[i + 1]!.at) : now,
    label: h.category,
    paused: pauseOn.includes(h.category),
  }));
  const parts: string[] = [];
  for (const b of bands) {
    const w = Math.max(1, x(b.to) - x(b.from));
    parts.push(
      `<rect class="${b.paused ? 'band paused' : 'band'}" x="${x(b.from)}" y="20" width="${w}" height="30"><title>${b.label}${b.paused ? ' (SLA paused)' : ''}</title></rect>`,
    );
  }
  for (const [name, c] of Object.entries(v.clocks)) {
    if (!c || Date.parse(c.dueAt) > end) continue;
    const cx = x(Date.parse(c.dueAt));
    parts.push(
      `<line class="due${c.breached ? ' breached' : ''}" x1="${cx}" x2="${cx}" y1="5" y2="65"><title>${name === 'firstResponse' ? 'First response' : 'Resolution'} due ${c.dueAt}</title></line>`,
    );
  }
  for (const d of v.decisions) {
    const dx = x(Date.parse(d.at));
    parts.push(
      `<circle class="decision" cx="${dx}" cy="35" r="6"><title>${d.decision.reasons.map((r) => r.rule).join(', ') || (d.event ?? 'decision')} at ${d.at}</title></circle>`,
    );
  }
  const nx = x(now);
  parts.push(`<line class="now" x1="${nx}" x2="${nx}" y1="0" y2="70"><title>now</title></line>`);
  const esc = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return raw(
    `<svg class="timeline" viewBox="0 0 ${W} 70" preserveAspectRatio="none" role="img" aria-label="Timeline from creation to now: status stretches, SLA due lines and decisions">${parts.map((p) => p.replace(/<title>([^<]*)<\/title>/g, (_m, t: string) => `<title>${esc(t)}</title>`)).join('')}</svg>`,
  );
}

type Policy = AppServices['deps']['config']['policies'][string];

/** The ticket's history, oldest first: creation, status changes, tier entry, escalations, notes. */
function ticketEvents(v: TicketView, policy: Policy | undefined): { at: number; item: Html }[] {
  const t = v.ticket;
  const events: { at: number; item: Html }[] = [];
  events.push({
    at: Date.parse(t.createdAt),
    item: html`Created (${t.priority.name}, ${t.company.name ?? t.company.id})`,
  });
  for (const h of v.state.statusHistory ?? [])
    events.push({
      at: Date.parse(h.at),
      item: html`Status → ${h.category}${policy?.pauseOn.includes(h.category) ? html` ${badge('SLA paused', 'muted')}` : ''}`,
    });
  if (v.state.tierSince)
    events.push({ at: Date.parse(v.state.tierSince), item: html`Entered tier ${v.tier ?? '(none)'} (current visit)` });
  for (const e of v.state.escalations ?? [])
    events.push({
      at: Date.parse(e.at),
      item: html`Escalated by rule <span class="rule">${e.rule}</span>${e.tier ? ` → ${e.tier}` : ''}`,
    });
  for (const n of t.recentNotes ?? [])
    events.push({
      at: Date.parse(n.at),
      item: html`${n.internal ? 'Internal' : 'Customer'} note${n.author ? ` by ${n.author}` : ''}${n.ours ? ' (ours)' : ''}: <q>${n.text.slice(0, 300)}</q>`,
    });
  return events.sort((a, b) => a.at - b.at);
}

/** The facts list: instance, company, priority, tier, status, owner, next check. */
function ticketFacts(v: TicketView, instanceId: string, zone: string): Html {
  const t = v.ticket;
  return html`<dl class="facts">
    <div>
      <dt>Instance</dt>
      <dd>${instanceId} (${t.ref.psa})</dd>
    </div>
    <div>
      <dt>Company</dt>
      <dd>${t.company.name ?? t.company.id}${t.company.vip ? html` ${badge('VIP', 'info')}` : ''}</dd>
    </div>
    <div>
      <dt>Priority</dt>
      <dd>${t.priority.name}</dd>
    </div>
    <div>
      <dt>Tier</dt>
      <dd>${v.tier ?? '—'}</dd>
    </div>
    <div>
      <dt>Status</dt>
      <dd>${t.status.name} (${t.status.category})</dd>
    </div>
    <div>
      <dt>Owner</dt>
      <dd>${t.owner?.name ?? t.owner?.id ?? 'unassigned'}</dd>
    </div>
    <div>
      <dt>Next check</dt>
      <dd>${when(v.nextCheckAt, zone)}</dd>
    </div>
  </dl>`;
}

/** The SLA clocks section's list (or why there is none). */
function clockList(v: TicketView, zone: string): Html {
  const clocks = Object.entries(v.clocks).filter(([, c]) => c !== undefined);
  return clocks.length === 0
    ? empty('No SLA clocks.', 'The policy sets no SLA target for this priority.')
    : html`<ul>${clocks.map(([name, c]) => html`<li>${name === 'firstResponse' ? 'First response' : 'Resolution'}: due ${when(c!.dueAt, zone)}, ${span(c!.elapsedMinutes * 60_000)} of ${span(c!.targetMinutes * 60_000)} used (${Math.round(c!.usedPct)}%) ${c!.breached ? badge('breached', 'bad') : ''}${c!.paused ? badge('paused', 'muted') : ''}${c!.stopped ? badge('stopped', 'ok') : ''}</li>`)}</ul>`;
}

export async function ticketBody(
  services: AppServices,
  instanceId: string,
  ticketId: string,
): Promise<Html | undefined> {
  const known = services.instance(instanceId);
  if (!known) return undefined;
  const v = await services.deps.read.ticket(known.loaded.info.id, ticketId);
  if (!v) return undefined;
  const zone = zoneOf(services, instanceId);
  const policy = services.deps.config.policies[known.loaded.info.policy];
  const now = services.now().getTime();
  const t = v.ticket;
  const events = ticketEvents(v, policy);
  return html` <p>
      ${ticketLinks(services, instanceId, ticketId, `#${t.number ?? ticketId}`)} · <strong>${t.title}</strong>
    </p>
    ${ticketFacts(v, instanceId, zone)}
    <section aria-labelledby="tl-h">
      <h2 id="tl-h">Timeline</h2>
      ${timelineSvg(v, policy?.pauseOn ?? [], now)}
      <p class="legend">
        <span class="key band"></span> status <span class="key paused"></span> SLA paused
        <span class="key due"></span> SLA due <span class="key decision"></span> decision
        <span class="key now"></span> now
      </p>
    </section>
    <section aria-labelledby="clk-h">
      <h2 id="clk-h">SLA clocks</h2>
      ${clockList(v, zone)}
    </section>
    <section aria-labelledby="ev-h">
      <h2 id="ev-h">History</h2>
      <ol class="events">
        ${events.map((e) => html`<li>${when(new Date(e.at).toISOString(), zone)} — ${e.item}</li>`)}
      </ol>
    </section>
    <section aria-labelledby="dec-h">
      <h2 id="dec-h">Decisions and notes</h2>
      ${v.decisions.length === 0 ? empty('No decisions with actions yet.', 'Decisions appear when a rule fires for this ticket.') : v.decisions.map((d) => entryView(services, d, false))}
    </section>`;
}
