import type { TemplatePart } from './compiled.js';

/**
 * `templates: {name: text}` with `{{ticket.title}}`-style fields (docs/spec.md §2). Parsed once at compile time; rendering
 * walks own properties only, so a template can never reach prototype members (`{{ticket.__proto__}}` renders empty).
 */

const FIELD_RE = /\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}/g;

export function compileTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(FIELD_RE)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ path: m[1]!.split('.') });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function show(value: unknown, key: string | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => show(v, undefined)).join(key === 'category' ? '/' : ', ');
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // `{{ticket.company}}` reads as the company's name, `{{ticket.status}}` as the status name.
    if (typeof o.name === 'string') return o.name;
    if (typeof o.id === 'string') return o.id;
    return '';
  }
  return String(value);
}

function lookup(view: unknown, path: readonly string[]): unknown {
  let cur: unknown = view;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Renders a compiled template against a view object (`{ticket, rule, reason, tier, to, dueAt}`). */
export function renderTemplate(parts: readonly TemplatePart[], view: Record<string, unknown>): string {
  let out = '';
  for (const part of parts)
    out += typeof part === 'string' ? part : show(lookup(view, part.path), part.path[part.path.length - 1]);
  return out;
}
