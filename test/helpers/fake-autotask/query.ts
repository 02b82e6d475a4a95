import type { Json } from './state.js';

/**
 * Autotask query semantics (autotask.md §5.2): `filter` is an AND of conditions, `{op: and|or, items}` groups, field
 * names case-insensitive, `in`/`notIn` take arrays, `maxRecords` 1–500, paging through `nextPageUrl` which must be
 * POSTed with the same body (GET → 405).
 */
export interface Filter {
  op: string;
  field?: string;
  value?: unknown;
  udf?: boolean;
  items?: Filter[];
}

const OPS = new Set([
  'eq',
  'noteq',
  'gt',
  'gte',
  'lt',
  'lte',
  'beginswith',
  'endswith',
  'contains',
  'exist',
  'notexist',
  'in',
  'notin',
  'and',
  'or',
]);
const DATE = /^\d{4}-\d{2}-\d{2}T/;

function read(record: Json, field: string, udf: boolean): unknown {
  if (udf) {
    const list = (record.userDefinedFields ?? []) as { name: string; value: unknown }[];
    return list.find((u) => u.name.toLowerCase() === field.toLowerCase())?.value;
  }
  const key = Object.keys(record).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** Compares like Autotask: datetimes as UTC instants (zone-less = UTC), numbers as numbers, strings case-insensitively. */
function compare(a: unknown, b: unknown): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined;
  if (typeof a === 'string' && typeof b === 'string' && DATE.test(a) && DATE.test(b)) {
    const ta = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(a) ? a : `${a}Z`);
    const tb = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(b) ? b : `${b}Z`);
    return ta - tb;
  }
  const na = Number(a);
  const nb = Number(b);
  if (
    typeof a !== 'boolean' &&
    !Number.isNaN(na) &&
    !Number.isNaN(nb) &&
    String(a).trim() !== '' &&
    String(b).trim() !== ''
  )
    return na - nb;
  return String(a).toLowerCase().localeCompare(String(b).toLowerCase());
}

/** Throws an Autotask-style message on a malformed filter. */
export function matches(record: Json, f: Filter): boolean {
  const op = String(f.op ?? '').toLowerCase();
  if (!OPS.has(op)) throw new Error(`Invalid operator: ${String(f.op)}`);
  if (op === 'and' || op === 'or') {
    const items = f.items ?? [];
    return op === 'and' ? items.every((i) => matches(record, i)) : items.some((i) => matches(record, i));
  }
  if (!f.field) throw new Error('A filter needs a field');
  const v = read(record, f.field, f.udf === true);
  const c = compare(v, f.value);
  switch (op) {
    case 'eq':
      return c === 0;
    case 'noteq':
      return c !== 0;
    case 'gt':
      return c !== undefined && c > 0;
    case 'gte':
      return c !== undefined && c >= 0;
    case 'lt':
      return c !== undefined && c < 0;
    case 'lte':
      return c !== undefined && c <= 0;
    case 'exist':
      return v !== null && v !== undefined;
    case 'notexist':
      return v === null || v === undefined;
    case 'in':
      return Array.isArray(f.value) && f.value.some((x) => compare(v, x) === 0);
    case 'notin':
      return Array.isArray(f.value) && !f.value.some((x) => compare(v, x) === 0);
    case 'contains':
      return String(v ?? '')
        .toLowerCase()
        .includes(String(f.value).toLowerCase());
    case 'beginswith':
      return String(v ?? '')
        .toLowerCase()
        .startsWith(String(f.value).toLowerCase());
    default:
      return String(v ?? '')
        .toLowerCase()
        .endsWith(String(f.value).toLowerCase());
  }
}

export interface QueryBody {
  filter?: Filter[];
  maxRecords?: number;
  includeFields?: string[];
}

/** Reads a query body case-insensitively (`MaxRecords` / `maxRecords`, `Filter` / `filter`). */
export function readQuery(body: unknown): QueryBody {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Json;
  const get = (k: string) => o[Object.keys(o).find((x) => x.toLowerCase() === k) ?? ''];
  const q: QueryBody = {};
  const filter = get('filter');
  if (filter !== undefined) q.filter = filter as Filter[];
  const max = get('maxrecords');
  if (typeof max === 'number') q.maxRecords = max;
  const include = get('includefields');
  if (Array.isArray(include)) q.includeFields = include as string[];
  return q;
}

/** Runs a query over records sorted by id; `offset` comes from the paging token. */
export function runQuery(records: Json[], q: QueryBody, offset: number, cap: number): { items: Json[]; more: boolean } {
  if (!Array.isArray(q.filter) || q.filter.length === 0) throw new Error('A query requires at least one filter');
  const size = Math.min(q.maxRecords ?? cap, cap);
  if (size < 1 || size > 500) throw new Error('MaxRecords must be between 1 and 500');
  const hits = [...records]
    .sort((a, b) => Number(a.id) - Number(b.id))
    .filter((r) => q.filter!.every((f) => matches(r, f)));
  const page = hits.slice(offset, offset + size).map((r) => project(r, q.includeFields));
  return { items: page, more: hits.length > offset + size };
}

function project(r: Json, include: string[] | undefined): Json {
  if (!include || include.length === 0) return structuredClone(r);
  const out: Json = {};
  for (const f of include) {
    const key = Object.keys(r).find((k) => k.toLowerCase() === f.toLowerCase());
    if (key !== undefined) out[key] = r[key];
  }
  return out;
}
