import type { RedisClient } from '../../store/redis.js';

import type { AppConfig } from '../../config/types.js';
import type { Keys } from '../../store/keys.js';
import { ReviewStore } from '../../store/review-store.js';
import type { ReviewSummary } from '../../store/review-store.js';

import type { EscalationMetrics } from './escalation-metrics.js';
import { readFollowThrough, rcaStatus, ticketRecords } from './follow-through-metrics.js';
import type { RcaStatus } from './follow-through-metrics.js';
import type { Patterns } from './patterns.js';

export type { RcaStatus };

/**
 * The monthly review (issue 17, `psa-escalator report --month YYYY-MM`): per instance the escalation KPIs of the
 * month, the patterns (patterns.ts), the weekly reviews' verdicts and the RCA status, read from Redis (ticket
 * records, review verdicts, metrics history). JSON for tooling, HTML for people.
 */

export interface MonthlyReport {
  month: string;
  from: string;
  to: string;
  generatedAt: string;
  instances: { id: string; kpis: EscalationMetrics | null; patterns: Patterns; rca: RcaStatus }[];
  reviews: ReviewSummary;
}

/** `YYYY-MM` → [first instant, first instant of the next month) in UTC; null when malformed. */
export function monthWindow(month: string): { from: number; to: number } | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { from: Date.UTC(y, mo - 1, 1), to: Date.UTC(y, mo, 1) };
}

/** RCA status of every instance over [from, to) (requests made in the window), for `GET /api/escalations/rca`. */
export async function rcaStatusByInstance(args: {
  redis: RedisClient;
  keys: Keys;
  config: AppConfig;
  from: number;
  to: number;
}): Promise<{ instance: string; rca: RcaStatus }[]> {
  const records = await ticketRecords(args.redis, args.keys);
  return args.config.instances.map((i) => ({
    instance: i.info.id,
    rca: rcaStatus(
      records.filter((r) => r.instanceId === i.info.id),
      args.config.policies[i.info.policy]?.rca?.heading,
      { from: args.from, to: args.to },
    ),
  }));
}

export async function buildMonthlyReport(args: {
  redis: RedisClient;
  keys: Keys;
  config: AppConfig;
  month: string;
  now: number;
  /** KPIs of one instance over the month (the escalation-metrics service); null when unavailable. */
  kpis?: (instance: string, from: number, to: number) => Promise<EscalationMetrics | null>;
}): Promise<MonthlyReport> {
  const w = monthWindow(args.month);
  if (!w) throw new Error(`--month: expected YYYY-MM, got ${JSON.stringify(args.month)}`);
  // The same computation as the follow-through block of `GET /api/metrics/escalations` (follow-through-metrics.ts).
  const reviewStore = new ReviewStore(args.redis, args.keys, {
    retentionMs: args.config.retention.auditMs || 90 * 86_400_000,
    now: () => args.now,
  });
  const parts = await readFollowThrough(
    { redis: args.redis, keys: args.keys, config: args.config, reviews: reviewStore },
    w,
  );
  const instances = [];
  for (const i of args.config.instances) {
    const id = i.info.id;
    const p = parts.byInstance[id]!;
    const kpis = args.kpis ? await args.kpis(id, w.from, w.to) : null;
    instances.push({ id, kpis, patterns: p.patterns, rca: p.rca });
  }
  const reviews = parts.all.reviews;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { month: args.month, from: iso(w.from), to: iso(w.to), generatedAt: iso(args.now), instances, reviews };
}

const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : `${Math.round(x * 1000) / 10} %`;

function table(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function bars(values: readonly number[], labels: readonly string[]): string {
  const max = Math.max(1, ...values);
  return `<div class="bars">${values
    .map(
      (v, i) =>
        `<div class="bar" title="${esc(labels[i])}: ${v}"><span style="height:${Math.round((100 * v) / max)}%"></span><em>${esc(labels[i])}</em></div>`,
    )
    .join('')}</div>`;
}

function kpiRows(k: EscalationMetrics | null): unknown[][] {
  if (!k) return [];
  return [
    ['Over-escalation (T1)', pct(k.overEscalation.rate) + (k.overEscalation.warn ? ' ⚠' : '')],
    ['First-contact resolution', pct(k.fcr)],
    ['MTTR (minutes)', k.mttrMin ?? '–'],
    [
      'SLA attainment: first response / resolution',
      `${pct(k.slaAttainment.firstResponse)} / ${pct(k.slaAttainment.resolution)}`,
    ],
    ['Tier 3 arrivals resolved within 30 min', k.tier3Audit.length],
  ];
}

/** The KPI table and the RCA status of one instance, side by side. */
function kpiAndRcaHtml(i: MonthlyReport['instances'][number]): string {
  const rca = i.rca;
  const overdue =
    rca.overdueTickets.length > 0
      ? table(
          ['overdue ticket', 'requested'],
          rca.overdueTickets.map((t) => [t.ticketId, t.requestedAt]),
        )
      : '';
  return `<div class="grid">
<div><h3>KPIs</h3>${table(['', 'value'], kpiRows(i.kpis))}</div>
<div><h3>RCA after emergencies</h3>${table(['required', 'done', 'overdue', 'open', 'completion'], [[rca.required, rca.done, rca.overdue, rca.open, pct(rca.completionRate)]])}
${overdue}</div>
</div>`;
}

/** Where the month's escalations went: by company and category, by local hour and weekday. */
function escalationsHtml(p: Patterns): string {
  const byCount = (m: Record<string, number>) => Object.entries(m).sort((a, b) => b[1] - a[1]);
  return `<h3>Escalations: ${p.escalations} moves of ${p.escalatedTickets} tickets</h3>
<div class="grid">
<div><h4>By company</h4>${table(['company', 'moves'], byCount(p.byCompany))}</div>
<div><h4>By category</h4>${table(['category', 'moves'], byCount(p.byCategory))}</div>
</div>
<div class="grid">
<div><h4>By hour of day</h4>${bars(
    p.byHour,
    p.byHour.map((_, h) => String(h)),
  )}</div>
<div><h4>By weekday</h4>${bars(Object.values(p.byWeekday), Object.keys(p.byWeekday))}</div>
</div>`;
}

/** Companies sending unusually much to Tier 3, categories that nearly always escalate, and the Tier 3 audit. */
function patternsToLookAtHtml(p: Patterns): string {
  return `<h3>Patterns to look at</h3>
<div class="grid">
<div><h4>Tier 3 share above the fleet (${pct(p.tier3.fleetShare)})</h4>${table(
    ['company', 'escalated', 'to Tier 3', 'share'],
    p.tier3.companiesAboveFleet.map((c) => [c.company, c.escalatedTickets, c.tier3Tickets, pct(c.share)]),
  )}</div>
<div><h4>Categories escalating ≥ 80 %</h4>${table(
    ['category', 'tickets', 'escalated', 'rate', ''],
    p.functionalRuleCandidates.map((c) => [
      c.category,
      c.tickets,
      c.escalated,
      pct(c.rate),
      'candidate for a functional rule',
    ]),
  )}</div>
</div>
<h4>Tier 3 audit by category</h4>${table(['category', 'tickets moved to Tier 3'], Object.entries(p.tier3.auditByCategory))}`;
}

function instanceSectionHtml(i: MonthlyReport['instances'][number]): string {
  return `<section><h2>${esc(i.id)}</h2>
${kpiAndRcaHtml(i)}
${escalationsHtml(i.patterns)}
${patternsToLookAtHtml(i.patterns)}
</section>`;
}

const PAGE_STYLE = `<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{margin:0 0 4px}section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 18px;margin:16px 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceff3}th{color:#5b6475;font-weight:600}
.none{color:#8a93a3}.bars{display:flex;align-items:flex-end;height:90px;gap:2px}
.bar{flex:1;display:flex;flex-direction:column;justify-content:flex-end;height:100%}
.bar span{background:#3b6fd8;display:block;min-height:1px}.bar em{font-size:10px;color:#8a93a3;text-align:center;font-style:normal}
.meta{color:#5b6475}
</style>`;

/** The report as one self-contained HTML page (no scripts, no external resources; every value escaped). */
export function renderReportHtml(r: MonthlyReport): string {
  const rv = r.reviews;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Escalation review ${esc(r.month)}</title>
${PAGE_STYLE}</head><body>
<h1>Escalation review — ${esc(r.month)}</h1>
<p class="meta">${esc(r.from)} to ${esc(r.to)} · generated ${esc(r.generatedAt)}</p>
<section><h2>Weekly reviews</h2>${table(
    ['rule', 'reviewed', 'appropriate', 'share'],
    rv.rules.map((x) => [x.rule, x.reviewed, x.appropriate, pct(x.appropriateShare)]),
  )}
<p>Overall: ${rv.reviewed} reviewed, ${pct(rv.appropriateShare)} judged appropriate.</p></section>
${r.instances.map(instanceSectionHtml).join('\n')}
</body></html>
`;
}
