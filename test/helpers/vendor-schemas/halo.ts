import { readFileSync } from 'node:fs';

/**
 * Test support: checks request bodies, query strings and fixtures against the vendor's published request schemas
 * (`halo.json` beside this file, a verbatim copy of the halo part of docs/psa/vendor-schemas.json).
 * Used by this folder's tests and by the fake Halo server, so a body Halo would not recognise fails loudly.
 * Keywords: type, format, nullable, properties, items, x-complete (unknown properties reported), x-ref (only "is an
 * object"), x-any. Halo answers zone-less datetimes (pitfall 4), so `date-time` accepts a missing offset.
 */
export interface VendorSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  nullable?: boolean;
  properties?: Record<string, VendorSchema>;
  items?: VendorSchema;
  'x-complete'?: boolean;
  'x-ref'?: string;
  'x-any'?: boolean;
  'x-model'?: string;
}

interface Endpoint {
  body?: VendorSchema;
  query?: Record<string, VendorSchema>;
  pathParams?: Record<string, VendorSchema>;
}

let loaded: Record<string, Endpoint> | undefined;

/** The Halo endpoints of the vendor schema file, keyed `"POST /api/Tickets"`. */
export function vendorEndpoints(): Record<string, Endpoint> {
  loaded ??= JSON.parse(readFileSync(new URL('./halo.json', import.meta.url), 'utf8')) as Record<string, Endpoint>;
  return loaded;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkScalar(schema: VendorSchema, value: unknown, path: string, out: string[]): void {
  const t = schema.type;
  if (t === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value))
      out.push(`${path}: expected integer, got ${JSON.stringify(value)}`);
    else if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31)) out.push(`${path}: outside int32`);
  } else if (t === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) out.push(`${path}: expected number`);
  } else if (t === 'boolean') {
    if (typeof value !== 'boolean') out.push(`${path}: expected boolean, got ${JSON.stringify(value)}`);
  } else if (t === 'string') {
    if (typeof value !== 'string') out.push(`${path}: expected string, got ${JSON.stringify(value)}`);
    else if (schema.format === 'date-time' && !DATE_TIME.test(value))
      out.push(`${path}: expected date-time, got ${value}`);
    else if (schema.format === 'uuid' && !UUID.test(value)) out.push(`${path}: expected uuid, got ${value}`);
  }
}

/** Problems of `value` against `schema` (empty = conforms). */
export function checkVendorSchema(schema: VendorSchema, value: unknown, path = '$'): string[] {
  const out: string[] = [];
  if (schema['x-any']) return out;
  if (value === null) {
    if (!schema.nullable) out.push(`${path}: null not allowed`);
    return out;
  }
  if (schema.type === 'array') {
    if (!Array.isArray(value)) return [`${path}: expected array`];
    value.forEach((v, i) => out.push(...checkVendorSchema(schema.items ?? {}, v, `${path}[${i}]`)));
    return out;
  }
  if (schema.type === 'object') {
    if (!isObj(value)) return [`${path}: expected object`];
    if (schema['x-ref']) return out;
    for (const [k, v] of Object.entries(value)) {
      const prop = schema.properties?.[k];
      if (prop) out.push(...checkVendorSchema(prop, v, `${path}.${k}`));
      else if (schema['x-complete']) out.push(`${path}.${k}: unknown property of ${schema['x-model'] ?? 'object'}`);
    }
    return out;
  }
  checkScalar(schema, value, path, out);
  return out;
}

/** Problems of a request body for `"METHOD /api/Path"`. */
export function checkVendorBody(endpoint: string, body: unknown): string[] {
  const schema = vendorEndpoints()[endpoint]?.body;
  return schema ? checkVendorSchema(schema, body) : [`no vendor body schema for ${endpoint}`];
}

/** Problems of a query string: unknown parameters (Halo ignores them silently, pitfall 5) and wrong types. */
export function checkVendorQuery(endpoint: string, query: Record<string, string>): string[] {
  const params = vendorEndpoints()[endpoint]?.query;
  if (!params) return [`no vendor query schema for ${endpoint}`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    const p = params[k];
    if (!p) out.push(`${endpoint}?${k}: unknown query parameter`);
    else if (p.type === 'integer' && !/^-?\d+$/.test(v)) out.push(`${endpoint}?${k}: expected integer, got ${v}`);
    else if (p.type === 'boolean' && !/^(true|false)$/i.test(v))
      out.push(`${endpoint}?${k}: expected boolean, got ${v}`);
    else if (p.type === 'number' && Number.isNaN(Number(v))) out.push(`${endpoint}?${k}: expected number, got ${v}`);
  }
  return out;
}

/** The Faults (ticket) and Actions models, for checking fixtures (GET answers mirror the POST models). */
export function vendorModel(name: 'Faults' | 'Actions'): VendorSchema {
  const ep = name === 'Faults' ? 'POST /api/Tickets' : 'POST /api/Actions';
  return vendorEndpoints()[ep]!.body!.items!;
}
