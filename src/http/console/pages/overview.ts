import type { EscalationMetrics } from '../../../pipeline/metrics/escalation-metrics.js';
import type { AppServices } from '../../services.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import { badge, empty, pct, when } from '../layout.js';

import { isEscalation, zoneOf } from './common.js';

const DAY_MS = 86_400_000;

/** Start of "today" in the instance's calendar zone (epoch ms). */
function startOfDay(now: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(now));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return now - ((n('hour') * 60 + n('minute')) * 60 + n('second')) * 1000 - (now % 1000);
}

const psaKind: Record<string, string> = { ok: 'ok', unreachable: 'bad', auth_failed: 'bad', unknown: 'muted' };
const hookKind: Record<string, string> = {
  active: 'ok',
  unknown: 'muted',
  inactive: 'bad',
  missing: 'bad',
  deactivation_reported: 'bad',
};

type Overview = Awaited<ReturnType<AppServices['deps']['read']['instances']>>[number];

interface InstanceRow {
  i: Overview;
  zone: string;
  escalationsToday: number;
  metrics: EscalationMetrics | undefined;
  deadLetters: number;
}

/** Per instance: today's escalations (in its calendar zone), 7-day metrics, waiting dead letters. */
async function instanceRows(services: AppServices, instances: Overview[], deadLetterInstances: string[], now: number) {
  const { read } = services.deps;
  return Promise.all(
    instances.map(async (i): Promise<InstanceRow> => {
      const zone = zoneOf(services, i.id);
      const since = new Date(startOfDay(now, zone)).toISOString();
      const today = await read.escalations({ instance: i.id, since, limit: 500 });
      const metrics = read.escalationMetrics
        ? await read.escalationMetrics({ instance: i.id, from: now - 7 * DAY_MS, to: now }).catch(() => undefined)
        : undefined;
      return {
        i,
        zone,
        escalationsToday: today.items.filter(isEscalation).length,
        metrics,
        deadLetters: deadLetterInstances.filter((d) => d === i.id).length,
      };
    }),
  );
}

function overEscalationCell(i: Overview, metrics: EscalationMetrics | undefined): Html {
  return metrics
    ? html`<meter min="0" max="1" low="0.3" high="0.4" optimum="0" value="${metrics.overEscalation.rate}" aria-label="Over-escalation rate of ${i.id}">${pct(metrics.overEscalation.rate)}</meter> ${pct(metrics.overEscalation.rate)}${metrics.overEscalation.warn ? html` ${badge('above 40%', 'bad')}` : ''}`
    : html`<span class="muted">not available</span>`;
}

function instanceRow({ i, zone, escalationsToday, metrics, deadLetters }: InstanceRow): Html {
  return html`<tr data-instance="${i.id}">
  <th scope="row">${i.id} <span class="muted">(${i.kind})</span></th>
  <td>${i.mode === 'observe' ? badge('observe', 'info') : badge('enforce', 'ok')}</td>
  <td>${badge(i.psa, psaKind[i.psa] ?? '')}${i.psaCheckedAt ? html`<br><span class="muted">checked ${when(i.psaCheckedAt, zone)}</span>` : ''}</td>
  <td>${badge(i.webhook.replace('_', ' '), hookKind[i.webhook] ?? '')}</td>
  <td>${i.queueLag} s</td>
  <td>${when(i.lastEventAt, zone)}</td>
  <td>${escalationsToday}</td>
  <td>${overEscalationCell(i, metrics)}</td>
  <td>${deadLetters > 0 ? html`<a href="/ui/dead-letters">${deadLetters}</a>` : '0'}</td>
</tr>`;
}

/** The totals cards above the instance table. */
function totalsCards(escalationsToday: number, deadLetters: number, instances: number): Html {
  return html`<section aria-labelledby="totals-h" class="cards">
    <h2 id="totals-h" class="sr-only">Totals</h2>
    <div class="card">
      <p class="big" data-testid="escalations-today">${escalationsToday}</p>
      <p>escalations today</p>
    </div>
    <div class="card">
      <p class="big" data-testid="dead-letters-waiting">${deadLetters}</p>
      <p>dead letters waiting${deadLetters > 0 ? html` — <a href="/ui/dead-letters">review and retry</a>` : ''}</p>
    </div>
    <div class="card">
      <p class="big">${instances}</p>
      <p>instances</p>
    </div>
  </section>`;
}

export async function overviewBody(services: AppServices): Promise<Html> {
  const { read } = services.deps;
  const now = services.now().getTime();
  const [instances, letters] = await Promise.all([read.instances(), read.deadLetters()]);
  if (instances.length === 0)
    return empty(
      'No instances configured.',
      'Add an instance under `instances:` in escalator.yaml and restart the service.',
    );
  const rows = await instanceRows(
    services,
    instances,
    letters.items.map((d) => d.instanceId),
    now,
  );
  const escalationsToday = rows.reduce((n, r) => n + r.escalationsToday, 0);
  return html` ${totalsCards(escalationsToday, letters.items.length, instances.length)}
    <section aria-labelledby="inst-h">
      <h2 id="inst-h">Instances</h2>
      <div class="table-wrap" tabindex="0" role="region" aria-labelledby="inst-h">
        <table>
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Mode</th>
              <th scope="col">PSA</th>
              <th scope="col">Webhook</th>
              <th scope="col">Queue lag</th>
              <th scope="col">Last event</th>
              <th scope="col">Escalations today</th>
              <th scope="col">Over-escalation (T1, 7 days)</th>
              <th scope="col">Dead letters</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(instanceRow)}
          </tbody>
        </table>
      </div>
      <p class="muted">
        PSA “unreachable” or “auth failed”: check the instance’s credentials (<code>psa-escalator check-config</code>).
        Webhook not “active”: register it with <code>POST /api/instances/:id/webhooks</code>.
      </p>
    </section>`;
}
