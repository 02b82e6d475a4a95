import { readFileSync } from 'node:fs';

/**
 * Test support: checks request bodies and fixtures against the vendor's published request schemas
 * (`autotask.json` beside this file, a verbatim copy of the autotask part of docs/psa/vendor-schemas.json).
 * Used by this folder's tests and by the fake Autotask server, so a body Autotask would not recognise fails loudly.
 * Autotask rules: property names match case-insensitively, every property is a .NET nullable (null is accepted),
 * `x-complete` reports unknown properties ("Unable to find <field> in the Entity"), `x-self` recurses into the
 * enclosing filter, `x-requireId` bodies must carry `id`, and zone-less datetimes are valid (they mean UTC).
 */
export interface VendorSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  readOnly?: boolean;
  properties?: Record<string, VendorSchema>;
  items?: VendorSchema;
  'x-complete'?: boolean;
  'x-model'?: string;
  'x-id'?: string;
  'x-self'?: string;
  'x-any'?: boolean;
  'x-doc-range'?: [number, number];
  'x-doc-enum'?: string[];
}

interface Endpoint {
  body?: VendorSchema;
  pathParams?: Record<string, VendorSchema>;
  'x-requireId'?: boolean;
}

let loaded: Record<string, Endpoint> | undefined;

/** The Autotask endpoints of the vendor schema file, keyed `"PATCH /V1.0/Tickets"`. */
export function vendorEndpoints(): Record<string, Endpoint> {
  loaded ??= JSON.parse(readFileSync(new URL('./autotask.json', import.meta.url), 'utf8')) as Record<string, Endpoint>;
  return loaded;
}

/** A model by name (`TicketModel`, `TicketNoteModel`, `TicketWebhookModel`, `QueryModel`…), from any endpoint body. */
export function vendorModel(name: string): VendorSchema {
  for (const e of Object.values(vendorEndpoints())) if (e.body?.['x-model'] === name) return e.body;
  throw new Error(`no vendor model ${name}`);
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkScalar(schema: VendorSchema, value: unknown, path: string, out: string[]): void {
  const t = schema.type;
  if (t === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value))
      out.push(`${path}: expected integer, got ${JSON.stringify(value)}`);
    else if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31)) out.push(`${path}: outside int32`);
    else if (schema['x-doc-range'] && (value < schema['x-doc-range'][0] || value > schema['x-doc-range'][1]))
      out.push(`${path}: outside ${schema['x-doc-range'].join('..')}`);
  } else if (t === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value))
      out.push(`${path}: expected number, got ${JSON.stringify(value)}`);
  } else if (t === 'boolean') {
    if (typeof value !== 'boolean') out.push(`${path}: expected boolean, got ${JSON.stringify(value)}`);
  } else if (t === 'string') {
    if (typeof value !== 'string') out.push(`${path}: expected string, got ${JSON.stringify(value)}`);
    else if (schema.format === 'date-time' && !DATE_TIME.test(value)) out.push(`${path}: not a date-time: ${value}`);
    else if (schema['x-doc-enum'] && !schema['x-doc-enum'].includes(value))
      out.push(`${path}: not one of ${schema['x-doc-enum'].join(', ')}`);
  }
}

function checkObject(
  schema: VendorSchema,
  value: unknown,
  path: string,
  out: string[],
  root: Map<string, VendorSchema>,
): void {
  if (!isObj(value)) {
    out.push(`${path}: expected object`);
    return;
  }
  const props = schema.properties ?? {};
  const byLower = new Map(Object.entries(props).map(([k, s]) => [k.toLowerCase(), [k, s] as const]));
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const hit = byLower.get(key.toLowerCase());
    if (seen.has(key.toLowerCase())) out.push(`${path}.${key}: given twice (names are case-insensitive)`);
    seen.add(key.toLowerCase());
    if (!hit) {
      if (schema['x-complete']) out.push(`${path}.${key}: unknown property of ${schema['x-model'] ?? 'object'}`);
      continue;
    }
    if (hit[1].readOnly) out.push(`${path}.${key}: read-only`);
    check(hit[1], v, `${path}.${key}`, out, root);
  }
}

function check(
  schema: VendorSchema,
  value: unknown,
  path: string,
  out: string[],
  root: Map<string, VendorSchema>,
): void {
  if (schema['x-id']) root.set(schema['x-id'], schema);
  if (schema['x-self']) {
    const target = root.get(schema['x-self']);
    if (target) check(target, value, path, out, root);
    return;
  }
  if (schema['x-any'] || value === null) return; // .NET nullable types: null is accepted for every property
  if (schema.type === 'object' || schema.properties) checkObject(schema, value, path, out, root);
  else if (schema.type === 'array') {
    if (!Array.isArray(value)) out.push(`${path}: expected array`);
    else if (schema.items) value.forEach((v, i) => check(schema.items!, v, `${path}[${i}]`, out, root));
  } else checkScalar(schema, value, path, out);
}

/** Problems of `value` against `schema` (empty = valid). */
export function checkVendorSchema(schema: VendorSchema, value: unknown): string[] {
  const out: string[] = [];
  check(schema, value, '$', out, new Map());
  return out;
}

/** The endpoint key (`PATCH /V1.0/Tickets/{parentId}/Notes`) a concrete request path matches, if modelled. */
export function endpointKey(method: string, path: string): string | undefined {
  const clean = path.split('?')[0]!.replace(/^.*?(\/V1\.0\/)/i, '/V1.0/');
  for (const key of Object.keys(vendorEndpoints())) {
    if (key.startsWith('_')) continue;
    const [m, p] = key.split(' ') as [string, string];
    if (m !== method.toUpperCase()) continue;
    const re = new RegExp(`^${p.replace(/\{[^}]+\}/g, '\\d+').replace(/\./g, '\\.')}$`, 'i');
    if (re.test(clean)) return key;
  }
  return undefined;
}

/** Problems of a request body sent to `method path` (a path the file does not model gives one problem). */
export function checkVendorBody(method: string, path: string, body: unknown): string[] {
  const key = endpointKey(method, path);
  if (!key) return [`${method} ${path}: endpoint not in the vendor schema`];
  const e = vendorEndpoints()[key]!;
  const out = e.body ? checkVendorSchema(e.body, body) : [];
  if (
    e['x-requireId'] &&
    !(
      isObj(body) &&
      Object.keys(body).some((k) => k.toLowerCase() === 'id') &&
      body[Object.keys(body).find((k) => k.toLowerCase() === 'id')!] !== null
    )
  ) {
    out.push('$: the body must carry id');
  }
  return out;
}

/** Whether `METHOD /V1.0/...` is an endpoint Autotask has (modelled or listed in `_endpoints`). */
export function endpointExists(method: string, path: string): boolean {
  if (endpointKey(method, path)) return true;
  const clean = path.split('?')[0]!.replace(/^.*?(\/V1\.0\/)/i, '/V1.0/');
  const list = (vendorEndpoints() as unknown as { _endpoints: string[] })._endpoints;
  return list.some((k) => {
    const [m, p] = k.split(' ') as [string, string];
    return (
      m === method.toUpperCase() &&
      new RegExp(`^${p.replace(/\{[^}]+\}/g, '\\d+').replace(/\./g, '\\.')}$`, 'i').test(clean)
    );
  });
}
