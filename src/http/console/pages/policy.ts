import type { Decision } from '../../../contract/index.js';
import type { Condition, Policy, Then } from '../../../contract/config.js';
import { statusCategories } from '../../../contract/index.js';
import { formatSpan } from '../../../engine/format.js';
import type { AppServices } from '../../services.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import { badge, empty, when } from '../layout.js';

const DURATION_KEYS = new Set(['age', 'timeInTier', 'within']);

function value(key: string, v: unknown): string {
  if (typeof v === 'number' && DURATION_KEYS.has(key)) return formatSpan(v);
  if (Array.isArray(v)) return v.map((x) => value(key, x)).join(' or ');
  if (v && typeof v === 'object')
    return Object.entries(v)
      .map(([k, x]) => `${k} ${value(k, x)}`)
      .join(', ');
  return String(v);
}

/** A condition as nested readable lines ("tier is T1", "time in tier ≥ 2h", any/all groups). */
function conditionView(c: Condition): Html {
  const lines: Html[] = [];
  for (const [k, v] of Object.entries(c)) {
    if (k === 'any' || k === 'all') {
      lines.push(
        html`<li>${k === 'any' ? 'any of' : 'all of'}: <ul>${(v as Condition[]).map((sub) => html`<li>${conditionView(sub)}</li>`)}</ul></li>`,
      );
      continue;
    }
    const text =
      k === 'timeInTier' || k === 'age'
        ? `${k === 'age' ? 'age' : 'time in tier'} ≥ ${value(k, v)}`
        : k === 'status' && v && typeof v === 'object' && !Array.isArray(v)
          ? `status is not ${value(k, (v as { not: unknown }).not)}`
          : k === 'slaUsed'
            ? `SLA used: ${value(k, v)}%`
            : `${k} is ${value(k, v)}`;
    lines.push(html`<li>${text}</li>`);
  }
  return html`<ul class="cond">${lines}</ul>`;
}

function thenView(t: Then): Html {
  const parts: string[] = [];
  if (t.escalateTo) parts.push(`escalate to ${t.escalateTo}`);
  if (t.group) parts.push(`assign group ${t.group}`);
  if (t.priority) parts.push(`set priority ${t.priority}`);
  if (t.note) parts.push(`write the “${t.note}” note`);
  if (t.customerNote) parts.push('write a customer note');
  if (t.notify) parts.push(`notify ${[t.notify].flat().join(', ')}`);
  if (t.tag) parts.push(`tag “${t.tag}”`);
  return html`${parts.join('; ') || 'nothing'}`;
}

function policyView(name: string, p: Policy, usedBy: string[]): Html {
  const sla = Object.entries(p.sla).filter(([, s]) => s !== undefined);
  return html`<section class="policy" aria-labelledby="p-${name}">
<h2 id="p-${name}">Policy “${name}” <span class="muted">(used by ${usedBy.join(', ') || 'no instance'})</span></h2>
<dl class="facts">
  <div><dt>Calendar</dt><dd>${p.calendar}</dd></div>
  <div><dt>SLA</dt><dd>${sla.length ? sla.map(([prio, s]) => html`${prio}: respond ${formatSpan(s!.firstResponse)}, resolve ${formatSpan(s!.resolution)}${s!.calendar ? ` (${s!.calendar})` : ''}<br>`) : 'none'}</dd></div>
  <div><dt>Paused in</dt><dd>${p.pauseOn.join(', ') || 'never'}</dd></div>
  <div><dt>Limits</dt><dd>at most ${p.limits.maxAutoEscalationsPerDay} automatic escalations per ticket per day; manual changes respected for ${formatSpan(p.limits.respectManualChangesFor)}</dd></div>
  <div><dt>Handoff</dt><dd>requires ${p.handoff.required.join(', ')}; when missing: ${p.handoff.onMissing}</dd></div>
</dl>
<ol class="rules">${p.rules.map(
    (r) =>
      html`<li><h3><span class="rule">${r.id}</span> ${badge(r.kind, 'info')}</h3><div class="when"><strong>When</strong> ${conditionView(r.when)}</div><p><strong>Then</strong> ${thenView(r.then)}</p></li>`,
  )}</ol>
</section>`;
}

export function policyBody(services: AppServices): Html {
  const { config } = services.deps;
  const names = Object.keys(config.policies);
  if (names.length === 0) return empty('No policies loaded.', 'Define a policy under `policies:` in escalator.yaml.');
  return html`${names.map((n) =>
    policyView(
      n,
      config.policies[n]!,
      config.instances.filter((i) => i.info.policy === n).map((i) => i.info.id),
    ),
  )}`;
}

export interface TryInput {
  instance?: string;
  title?: string;
  description?: string;
  priority?: string;
  tier?: string;
  status?: string;
  company?: string;
  vip?: string;
  ageMinutes?: string;
}

const opt = (val: string, cur: string | undefined, label = val): Html =>
  html`<option value="${val}"${val === cur ? html` selected` : ''}>${label}</option>`;

/** The ticket's text: title and description. */
function tryTextFields(v: TryInput): Html {
  return html`<div>
      <label for="t-title">Title</label
      ><input id="t-title" name="title" required value="${v.title ?? 'Ransomware note on a finance PC'}" />
    </div>
    <div class="wide">
      <label for="t-description">Description</label
      ><textarea id="t-description" name="description" rows="2">${v.description ?? ''}</textarea>
    </div>`;
}

export function tryForm(services: AppServices, csrf: string, v: TryInput = {}): Html {
  const ids = services.deps.config.instances.map((i) => i.info.id);
  return html`<form
      id="try-form"
      class="try"
      method="post"
      action="/ui/policy/try"
      hx-post="/ui/policy/try"
      hx-target="#try-result"
      hx-swap="innerHTML"
    >
      <input type="hidden" name="_csrf" value="${csrf}" />
      <div>
        <label for="t-instance">Instance</label
        ><select id="t-instance" name="instance" required>
          ${ids.map((i) => opt(i, v.instance))}
        </select>
      </div>
      ${tryTextFields(v)}
      <div>
        <label for="t-priority">Priority</label
        ><select id="t-priority" name="priority">
          ${['P1', 'P2', 'P3', 'P4'].map((p) => opt(p, v.priority ?? 'P3'))}
        </select>
      </div>
      <div>
        <label for="t-tier">Tier</label
        ><select id="t-tier" name="tier">
          ${services.deps.config.tiers.map((t) => opt(t, v.tier))}
        </select>
      </div>
      <div>
        <label for="t-status">Status</label
        ><select id="t-status" name="status">
          ${statusCategories.map((s) => opt(s, v.status ?? 'open'))}
        </select>
      </div>
      <div>
        <label for="t-company">Company</label
        ><input id="t-company" name="company" required value="${v.company ?? 'Contoso Dental'}" />
      </div>
      <div>
        <label for="t-age">Age in minutes (time in tier)</label
        ><input id="t-age" name="ageMinutes" type="number" min="0" max="100000" value="${v.ageMinutes ?? '30'}" />
      </div>
      <div class="check">
        <input id="t-vip" name="vip" type="checkbox" value="1" ${v.vip ? html` checked` : ''} /><label for="t-vip"
          >VIP company</label
        >
      </div>
      <div><button type="submit">Evaluate (dry run)</button></div>
    </form>
    <div id="try-result" aria-live="polite"></div>`;
}

export function decisionView(d: Decision, zone: string): Html {
  return html`<section class="decision-result" aria-label="Decision">
<h3>${d.actions.length ? `${d.actions.length} action${d.actions.length === 1 ? '' : 's'}` : 'No action'}</h3>
${
  d.reasons.length
    ? html`<ul>${d.reasons.map((r) => html`<li><span class="rule">${r.rule}</span> (${r.kind}) fires: ${r.text}${r.suppressed ? html` ${badge(`suppressed: ${r.suppressed}`, 'muted')}` : ''}</li>`)}</ul>`
    : html`<p>No rule matches this ticket now.</p>`
}
${
  d.actions.length
    ? html`<ul>${d.actions.map((a) => html`<li>${a.type}${a.type === 'reassign' ? ` → ${a.tier ?? ''} ${a.group ?? ''}` : a.type === 'priority' ? ` → ${a.priority}` : a.type === 'notify' ? ` ${a.notifier}` : ''}${a.type === 'note' ? html`<pre class="note">${a.text}</pre>` : ''}</li>`)}</ul>`
    : ''
}
${
  d.nearMisses.length
    ? html`<p><strong>Near misses</strong></p><ul>${d.nearMisses.map((m) => html`<li><span class="rule">${m.rule}</span>: ${m.text}</li>`)}</ul>`
    : ''
}
<p>Next check: ${when(d.nextCheckAt, zone)}</p>
</section>`;
}
