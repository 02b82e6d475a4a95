import type { BacktestReport, BacktestResult, Comparison } from './report.js';

/**
 * The self-contained HTML report: one file, inline CSS and SVG charts, no script and no network access (it opens
 * from a mail attachment or an air-gapped laptop). Every value from the input is HTML-escaped.
 */

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmt = (n: number | null | undefined, unit = ''): string =>
  n === null || n === undefined ? '—' : `${n.toLocaleString('en-US')}${unit}`;

function minutes(m: number | null): string {
  if (m === null) return '—';
  if (m < 60) return `${Math.round(m)} min`;
  if (m < 1440) return `${(m / 60).toFixed(1)} h`;
  return `${(m / 1440).toFixed(1)} d`;
}

/** Horizontal bar chart: one row per entry. */
function bars(
  entries: [string, number][],
  opts: { color?: string; title: string; second?: [string, number][] } = { title: '' },
): string {
  if (entries.length === 0) return `<p class="empty">nothing to show</p>`;
  const max = Math.max(1, ...entries.map(([, v]) => v), ...(opts.second ?? []).map(([, v]) => v));
  const row = 26;
  const label = 230;
  const width = 640;
  const span = width - label - 70;
  const second = new Map(opts.second ?? []);
  const h = entries.length * row + 10;
  const rows = entries.map(([k, v], i) => {
    const y = i * row + 5;
    const w = Math.max(1, (v / max) * span);
    const b = second.get(k);
    const bw = b === undefined ? 0 : Math.max(1, (b / max) * span);
    const twin =
      b === undefined
        ? `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${row - 8}" fill="${opts.color ?? '#3b6fd1'}"/><text x="${label + w + 6}" y="${y + 13}">${fmt(v)}</text>`
        : `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${(row - 8) / 2}" fill="#3b6fd1"/><rect x="${label}" y="${y + (row - 8) / 2}" width="${bw.toFixed(1)}" height="${(row - 8) / 2}" fill="#e08a2c"/><text x="${label + Math.max(w, bw) + 6}" y="${y + 13}">${fmt(v)} → ${fmt(b)}</text>`;
    return `<text x="${label - 8}" y="${y + 13}" text-anchor="end">${esc(k)}</text>${twin}`;
  });
  return `<svg role="img" aria-label="${esc(opts.title)}" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}">${rows.join('')}</svg>`;
}

/** Vertical histogram (time to escalate). */
function histogram(buckets: { label: string; count: number }[]): string {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const w = 640;
  const h = 200;
  const bw = (w - 40) / buckets.length;
  const cols = buckets.map((b, i) => {
    const bh = (b.count / max) * (h - 50);
    const x = 20 + i * bw;
    return (
      `<rect x="${(x + 6).toFixed(1)}" y="${(h - 30 - bh).toFixed(1)}" width="${(bw - 12).toFixed(1)}" height="${bh.toFixed(1)}" fill="#3b6fd1"/>` +
      `<text x="${(x + bw / 2).toFixed(1)}" y="${(h - 34 - bh).toFixed(1)}" text-anchor="middle">${fmt(b.count)}</text>` +
      `<text x="${(x + bw / 2).toFixed(1)}" y="${h - 12}" text-anchor="middle">${esc(b.label)}</text>`
    );
  });
  return `<svg role="img" aria-label="time to escalate" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${cols.join('')}</svg>`;
}

function breachDonut(r: BacktestReport): string {
  const parts: [string, number, string][] = [
    ['escalated before the breach', r.breaches.escalatedBefore, '#2e9b5f'],
    ['flagged before the breach', r.breaches.flaggedBefore, '#e0b52c'],
    ['missed', r.breaches.missed, '#d14b3b'],
  ];
  const total = parts.reduce((n, [, v]) => n + v, 0);
  if (total === 0) return '<p class="empty">no SLA breach in the history</p>';
  let a = -Math.PI / 2;
  const arcs = parts
    .filter(([, v]) => v > 0)
    .map(([, v, color]) => {
      const b = a + (v / total) * Math.PI * 2;
      const large = b - a > Math.PI ? 1 : 0;
      const p = (t: number) => `${(80 + 70 * Math.cos(t)).toFixed(2)} ${(80 + 70 * Math.sin(t)).toFixed(2)}`;
      const d = v === total ? 'M 80 10 A 70 70 0 1 1 79.99 10' : `M ${p(a)} A 70 70 0 ${large} 1 ${p(b)}`;
      a = b;
      return `<path d="${d}" fill="none" stroke="${color}" stroke-width="26"/>`;
    });
  const legend = parts.map(
    ([k, v, color], i) =>
      `<rect x="180" y="${30 + i * 26}" width="14" height="14" fill="${color}"/><text x="200" y="${42 + i * 26}">${esc(k)}: ${fmt(v)}</text>`,
  );
  return `<svg role="img" aria-label="breaches" viewBox="0 0 520 160" width="520" height="160">${arcs.join('')}<text x="80" y="86" text-anchor="middle" class="big">${fmt(total)}</text>${legend.join('')}</svg>`;
}

function card(label: string, value: string): string {
  return `<div class="card"><div class="v">${value}</div><div class="l">${esc(label)}</div></div>`;
}

function comparisonHtml(c: Comparison, cand: BacktestReport, base: BacktestReport): string {
  const rows = c.rules.map(
    (r) =>
      `<tr><td>${esc(r.rule)}</td><td>${fmt(r.baseline)}</td><td>${fmt(r.candidate)}</td><td class="${r.delta > 0 ? 'up' : r.delta < 0 ? 'down' : ''}">${r.delta > 0 ? '+' : ''}${fmt(r.delta)}</td></tr>`,
  );
  const tickets = c.tickets
    .slice(0, 50)
    .map(
      (t) =>
        `<tr><td>${esc(t.ticketId)}</td><td>${t.added.map(esc).join('<br>')}</td><td>${t.removed.map(esc).join('<br>')}</td></tr>`,
    );
  return `<h2>Compared with ${esc(c.candidate)}</h2>
<div class="cards">${card('escalations (baseline → candidate)', `${fmt(c.escalations.baseline)} → ${fmt(c.escalations.candidate)}`)}${card('moves added', fmt(c.escalations.added))}${card('moves removed', fmt(c.escalations.removed))}${card('tickets affected', fmt(c.ticketsAffected))}</div>
<h3>Rule firings: <span class="k1">■</span> ${esc(c.baseline)} <span class="k2">■</span> ${esc(c.candidate)}</h3>
${bars(
  c.rules.map((r) => [r.rule, r.baseline] as [string, number]),
  { title: 'rules compared', second: c.rules.map((r) => [r.rule, r.candidate] as [string, number]) },
)}
<table><tr><th>rule</th><th>baseline</th><th>candidate</th><th>Δ</th></tr>${rows.join('')}</table>
<h3>Tickets whose moves differ (first ${tickets.length} of ${fmt(c.ticketsAffected)})</h3>
<table><tr><th>ticket</th><th>added by the candidate</th><th>removed</th></tr>${tickets.join('')}</table>
<p class="note">Candidate: ${fmt(cand.breaches.escalatedBefore)} breaches escalated before they happened (baseline ${fmt(base.breaches.escalatedBefore)}); over-escalation estimate ${fmt(cand.overEscalation.resolvedInStartTierWithoutBreach)} (baseline ${fmt(base.overEscalation.resolvedInStartTierWithoutBreach)}).</p>`;
}

export function renderHtml(result: BacktestResult, meta: { generatedAt: string; source: string }): string {
  const r = result.report;
  const rules = Object.entries(r.perRule).map(([k, v]) => [`${k} (${v.kind})`, v.fired] as [string, number]);
  const decisions = r.decisions.slice(0, 200).map((d) => {
    const move = d.actions.find((a) => a.type === 'reassign') as
      { tier?: string | null; owner?: string; group?: string } | undefined;
    const what = move
      ? `→ ${move.tier ?? '?'}${move.group ? ` / ${move.group}` : ''}${move.owner ? ` (${move.owner})` : ''}`
      : d.actions.map((a) => a.type).join(', ');
    return `<tr><td>${esc(d.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td>${esc(d.ticketId)}</td><td>${esc(d.rule)}</td><td>${esc(d.kind)}</td><td>${esc(what)}</td></tr>`;
  });
  const notes = r.notes.samples.map(
    (n) =>
      `<details><summary>${esc(n.ticketId)} · ${esc(n.rule)} · ${esc(n.visibility)} ${esc(n.template)}</summary><pre>${esc(n.text)}</pre></details>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Backtest · ${esc(r.instanceId)} · ${esc(r.policy)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#1d2433;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}
.sub{color:#5b6577}.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#f3f6fb;border:1px solid #dde2ea;border-radius:6px;padding:10px 14px;min-width:130px}
.card .v{font-size:20px;font-weight:600}.card .l{color:#5b6577;font-size:12px}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px}svg{max-width:100%;height:auto}svg text{font-size:12px;fill:#1d2433}svg .big{font-size:22px;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #e8ebf0;padding:4px 8px;text-align:left;vertical-align:top}
.up{color:#b3261e}.down{color:#1e7b45}.k1{color:#3b6fd1}.k2{color:#e08a2c}.empty,.note{color:#5b6577}pre{white-space:pre-wrap;background:#f6f8fa;padding:8px}
</style></head><body>
<h1>Backtest: ${esc(r.policy)} on ${esc(r.instanceId)}</h1>
<div class="sub">${fmt(r.tickets)} tickets from ${esc(meta.source)} · ${esc(r.window.from ?? '—')} → ${esc(r.window.to ?? '—')} · generated ${esc(meta.generatedAt)}</div>
<div class="cards" style="margin-top:14px">
${card('decisions', fmt(r.decisionsTotal))}${card('escalations (moves)', fmt(Object.values(r.perTier).reduce((a, b) => a + b, 0)))}${card('tickets escalated', fmt(r.overEscalation.escalatedTickets))}
${card('median time to escalate', minutes(r.timeToEscalate.p50Minutes))}${card('SLA breaches in history', fmt(r.breaches.tickets))}${card('caught before breach', fmt(r.breaches.escalatedBefore + r.breaches.flaggedBefore))}
${card('over-escalation estimate', r.overEscalation.ratio === null ? '—' : `${Math.round(r.overEscalation.ratio * 100)} %`)}${card('notes it would write', fmt(r.notes.total))}${card('human reassignments after its moves', fmt(r.humanReassignments))}
</div>
<div class="grid">
<div><h2>Rules that fire</h2>${bars(rules, { title: 'rules' })}</div>
<div><h2>Escalations per tier</h2>${bars(Object.entries(r.perTier), { title: 'tiers', color: '#6a4fc2' })}
<h2>Load per group</h2>${bars(Object.entries(r.load.groups), { title: 'groups', color: '#2e9b5f' })}</div>
<div><h2>Time from creation to first escalation</h2>${histogram(r.timeToEscalate.buckets)}<p class="note">median ${minutes(r.timeToEscalate.p50Minutes)} · p90 ${minutes(r.timeToEscalate.p90Minutes)} · max ${minutes(r.timeToEscalate.maxMinutes)}</p></div>
<div><h2>SLA breaches that really happened</h2>${breachDonut(r)}<p class="note">lead time before the breach: median ${minutes(r.breaches.leadTime.p50Minutes)}, p90 ${minutes(r.breaches.leadTime.p90Minutes)} · first response ${fmt(r.breaches.clocks.firstResponse)}, resolution ${fmt(r.breaches.clocks.resolution)}</p>
<h2>Load per member</h2>${bars(Object.entries(r.load.members), { title: 'members', color: '#2e9b5f' })}</div>
</div>
${result.compare ? comparisonHtml(result.compare.comparison, result.compare.report, r) : ''}
<h2>Decisions (first ${decisions.length} of ${fmt(r.decisionsTotal)})</h2>
<table><tr><th>at (UTC)</th><th>ticket</th><th>rule</th><th>kind</th><th>what</th></tr>${decisions.join('')}</table>
<h2>Notes it would have written (${fmt(r.notes.total)}: ${
    Object.entries(r.notes.byTemplate)
      .map(([k, v]) => `${esc(k)} ${fmt(v)}`)
      .join(', ') || 'none'
  })</h2>
${notes.join('')}
<p class="note">Over-escalation estimate: tickets the policy moved that were really resolved in the tier they started in, without an SLA breach. See docs/backtest.md for what a backtest can and cannot tell.</p>
</body></html>
`;
}
