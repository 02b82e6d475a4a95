import { formatLocal, formatSpan } from '../../engine/format.js';

import { html, raw } from './html.js';
import type { Html, Interpolation } from './html.js';

export const pages = [
  { path: '/ui/overview', label: 'Overview' },
  { path: '/ui/at-risk', label: 'At risk' },
  { path: '/ui/escalations', label: 'Escalations' },
  { path: '/ui/metrics', label: 'Metrics' },
  { path: '/ui/dead-letters', label: 'Dead letters' },
  { path: '/ui/policy', label: 'Policy' },
] as const;

export interface LayoutInput {
  title: string;
  /** Which nav entry is current. */
  current?: string;
  csrf?: string;
  body: Interpolation;
}

// htmx: no injected <style> (CSP style-src 'self'), no eval, no scripts from swapped content.
const HTMX_CONFIG =
  '{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true}';

export function layout(p: LayoutInput): Html {
  const nav =
    p.csrf === undefined
      ? ''
      : html`<header class="top">
  <a class="brand" href="/ui/overview">psa-escalator</a>
  <nav aria-label="Console pages"><ul>${pages.map((pg) => html`<li><a href="${pg.path}"${p.current === pg.path ? raw(' aria-current="page"') : ''}>${pg.label}</a></li>`)}</ul></nav>
  <form method="post" action="/ui/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="${p.csrf}"><button type="submit">Sign out</button></form>
</header>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${p.title} · psa-escalator</title>
<link rel="icon" href="/ui/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/assets/console.css">
<link rel="stylesheet" href="/ui/assets/uPlot.min.css">
<script src="/ui/assets/htmx.min.js" defer></script>
<script src="/ui/assets/uPlot.iife.min.js" defer></script>
<script src="/ui/assets/console.js" defer></script>
</head>
<body${p.csrf === undefined ? '' : raw(` hx-headers='{"x-csrf-token":"${p.csrf}"}'`)}>
<a class="skip" href="#main">Skip to content</a>
${nav}
<main id="main" tabindex="-1">
<h1>${p.title}</h1>
${p.body}
</main>
</body>
</html>`;
}

/**
 * An instant: ISO in `datetime` (the browser rewrites the text in the viewer's zone), the calendar's local time on
 * hover, UTC as the text until the script ran.
 */
export function when(iso: string | null | undefined, zone = 'UTC'): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return html`${iso}`;
  return html`<time datetime="${new Date(ms).toISOString()}" title="${formatLocal(ms, zone)} (${zone}, calendar time)">${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export const span = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '—' : formatSpan(ms));

export const minutes = (min: number | null | undefined): string =>
  min === null || min === undefined ? '—' : formatSpan(min * 60_000);

export const pct = (f: number): string => `${Math.round(f * 1000) / 10}%`;

/** An empty state that says what to do. */
export const empty = (what: string, todo: Interpolation): Html =>
  html`<div class="empty" role="status"><p><strong>${what}</strong></p><p>${todo}</p></div>`;

export const badge = (text: string, kind = ''): Html => html`<span class="badge ${kind}">${text}</span>`;
