import type { EscalationMetrics } from '../../../pipeline/metrics/escalation-metrics.js';
import type { MetricsGroup } from '../../../pipeline/metrics/metrics-breakdown.js';
import type { AppServices } from '../../services.js';
import { html, jsonIsland } from '../html.js';
import type { Html } from '../html.js';
import { empty, minutes, pct } from '../layout.js';

const DAY_MS = 86_400_000;
export const METRIC_DAYS = 14;

/** Daily series per instance (one metrics query per day: the service computes windows, not buckets). */
async function daily(services: AppServices, instance: string, now: number): Promise<EscalationMetrics[]> {
  const q = services.deps.read.escalationMetrics!;
  const end = Math.ceil(now / DAY_MS) * DAY_MS;
  const days = Array.from({ length: METRIC_DAYS }, (_, i) => end - (METRIC_DAYS - i) * DAY_MS);
  return Promise.all(days.map((from) => q({ instance, from, to: from + DAY_MS })));
}

const CHARTS = [
  ['escalationRate', 'Escalation rate per tier (fraction of the tier’s tickets moved up)'],
  ['timeToEscalate', 'Time to escalate, median business minutes'],
  ['handoffDelay', 'Handoff delay, median minutes to the new owner’s first touch'],
  ['sla', 'SLA attainment (fraction of clocks stopped within target)'],
  ['fcr', 'First-contact resolution (resolved without leaving T1)'],
  ['mttr', 'Mean time to resolve, minutes'],
] as const;

/** The chart data island: one value per day and series. */
function chartData(series: EscalationMetrics[], tiers: readonly string[]) {
  const perTier = (f: (m: EscalationMetrics, t: string) => number | null | undefined) =>
    Object.fromEntries(tiers.map((t) => [t, series.map((m) => f(m, t) ?? null)]));
  return {
    days: series.map((m) => Date.parse(m.from) / 1000),
    tiers,
    escalationRate: perTier((m, t) => m.tiers[t]?.escalationRate),
    timeToEscalate: perTier((m, t) => m.tiers[t]?.timeToEscalateMedianMin),
    handoffDelay: perTier((m, t) => m.tiers[t]?.handoffDelayMedianMin),
    sla: {
      firstResponse: series.map((m) => m.slaAttainment.firstResponse),
      resolution: series.map((m) => m.slaAttainment.resolution),
    },
    fcr: series.map((m) => m.fcr),
    mttr: series.map((m) => m.mttrMin),
  };
}

function breakdownRow(g: MetricsGroup, first: string): Html {
  return html`<tr><th scope="row">${g.key}</th><td>${g.tickets}</td><td>${g.metrics.tiers[first] ? pct(g.metrics.tiers[first].escalationRate) : '—'}</td><td>${minutes(g.metrics.tiers[first]?.timeToEscalateMedianMin)}</td><td>${pct(g.metrics.slaAttainment.resolution)}</td><td>${pct(g.metrics.fcr)}</td><td>${minutes(g.metrics.mttrMin)}</td></tr>`;
}

function breakdownTable(title: string, id: string, groups: MetricsGroup[], first: string): Html {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="${id}"><table>
<thead><tr><th scope="col">${title.replace('By ', '')}</th><th scope="col">Tickets</th><th scope="col">${first} escalation rate</th><th scope="col">${first} time to escalate</th><th scope="col">SLA resolution</th><th scope="col">FCR</th><th scope="col">MTTR</th></tr></thead>
<tbody>${groups.slice(0, 15).map((g) => breakdownRow(g, first))}</tbody>
</table></div>${groups.length > 15 ? html`<p class="muted">The 15 largest of ${groups.length}.</p>` : ''}`;
}

/** One breakdown section (by company, by category) of the selected instance. */
function breakdown(
  title: string,
  id: string,
  instance: string,
  groups: MetricsGroup[] | undefined,
  first: string,
): Html {
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}, ${instance}, last ${METRIC_DAYS} days</h2>
${
  !groups
    ? html`<p class="muted">Not available in this process.</p>`
    : groups.length === 0
      ? empty('No tickets in this window.', 'Breakdowns appear once tickets have been evaluated.')
      : breakdownTable(title, id, groups, first)
}</section>`;
}

interface InstanceWindow {
  id: string;
  m: EscalationMetrics;
}

function instanceRow({ id, m }: InstanceWindow, tiers: readonly string[]): Html {
  return html`<tr><th scope="row">${id}</th>${tiers.map(
    (t) =>
      html`<td>${m.tiers[t] ? pct(m.tiers[t].escalationRate) : '—'}</td><td>${minutes(m.tiers[t]?.timeToEscalateMedianMin)}</td>`,
  )}<td>${pct(m.overEscalation.rate)}</td><td>${pct(m.slaAttainment.firstResponse)}</td><td>${pct(m.slaAttainment.resolution)}</td><td>${pct(m.fcr)}</td><td>${minutes(m.mttrMin)}</td></tr>`;
}

/** The last METRIC_DAYS of every instance side by side. */
function byInstance(windows: InstanceWindow[], tiers: readonly string[]): Html {
  return html`<section aria-labelledby="bd-h">
    <h2 id="bd-h">By instance, last ${METRIC_DAYS} days</h2>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="bd-h">
      <table>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            ${tiers.map(
              (t) => html`<th scope="col">${t} escalation rate</th><th scope="col">${t} time to escalate</th>`,
            )}
            <th scope="col">Over-escalation</th>
            <th scope="col">SLA first response</th>
            <th scope="col">SLA resolution</th>
            <th scope="col">FCR</th>
            <th scope="col">MTTR</th>
          </tr>
        </thead>
        <tbody>
          ${windows.map((w) => instanceRow(w, tiers))}
        </tbody>
      </table>
    </div>
  </section>`;
}

function instanceForm(ids: string[], instance: string): Html {
  return html`<form class="filters" method="get" action="/ui/metrics" aria-label="Choose instance">
    <div>
      <label for="m-instance">Instance</label
      ><select id="m-instance" name="instance">
        ${ids.map((i) => html`<option${i === instance ? html` selected` : ''}>${i}</option>`)}
      </select>
    </div>
    <div><button type="submit">Show</button></div>
  </form>`;
}

export async function metricsBody(services: AppServices, selected: string | undefined): Promise<Html> {
  const read = services.deps.read;
  const ids = services.deps.config.instances.map((i) => i.info.id);
  if (!read.escalationMetrics)
    return empty(
      'Metrics are not available in this process.',
      'Open the console on a process with the api or all role.',
    );
  if (ids.length === 0) return empty('No instances configured.', 'Add an instance to escalator.yaml.');
  const instance = selected && ids.includes(selected) ? selected : ids[0]!;
  const now = services.now().getTime();
  const series = await daily(services, instance, now);
  const windows = await Promise.all(
    ids.map(async (id) => ({
      id,
      m: await read.escalationMetrics!({ instance: id, from: now - METRIC_DAYS * DAY_MS, to: now }),
    })),
  );
  const tiers = services.deps.config.tiers;
  const from = now - METRIC_DAYS * DAY_MS;
  const [byCompany, byCategory] = read.escalationMetricsBy
    ? await Promise.all(
        (['company', 'category'] as const).map((by) => read.escalationMetricsBy!({ instance, from, to: now, by })),
      )
    : [undefined, undefined];
  const first = tiers[0] ?? 'T1';
  return html` ${instanceForm(ids, instance)}
    <p class="muted">
      Daily values for ${instance}, last ${METRIC_DAYS} days (service clock). Days without tickets count as 0.
    </p>
    ${jsonIsland('metrics-data', chartData(series, tiers))}
    <div class="charts">
      ${CHARTS.map(
        ([key, title]) =>
          html`<figure class="chart" data-chart="${key}"><figcaption>${title}</figcaption><div class="chart-area" id="chart-${key}"></div></figure>`,
      )}
    </div>
    ${byInstance(windows, tiers)} ${breakdown('By company', 'bc-h', instance, byCompany, first)}
    ${breakdown('By category', 'bcat-h', instance, byCategory, first)}`;
}
