import { readFileSync } from 'node:fs';

/**
 * Test support: checks payloads against the ConnectWise vendor schemas (`connectwise.json` beside this file, the
 * request/model subset of the published OpenAPI document, see its `_about`). Used by the unit tests on fixtures and
 * by the integration tests on every request body the connector sends to the fake server.
 */
export interface VendorSchema {
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: string[];
  maxLength?: number;
  required?: string[];
  properties?: Record<string, VendorSchema>;
  additionalProperties?: VendorSchema;
  items?: VendorSchema;
  'x-complete'?: boolean;
  'x-any'?: boolean;
  'x-model'?: string;
  'x-doc-enum'?: string[];
  'x-patchTarget'?: VendorSchema;
}

interface Endpoint {
  body?: VendorSchema;
  query?: Record<string, VendorSchema>;
  pathParams?: Record<string, VendorSchema>;
  'x-patchTarget'?: VendorSchema;
}

const file = new URL('./connectwise.json', import.meta.url);
const spec = (JSON.parse(readFileSync(file, 'utf8')) as { connectwise: Record<string, unknown> }).connectwise;

export function endpoint(key: string): Endpoint {
  const e = spec[key];
  if (!e || typeof e !== 'object') throw new Error(`no vendor schema for ${key}`);
  return e as Endpoint;
}

/** The vendor's Ticket model (what GET returns and what PATCH paths address). */
export const ticketModel = endpoint('PATCH /service/tickets/{id}')['x-patchTarget']!;
export const noteModel = endpoint('POST /service/tickets/{parentId}/notes').body!;
export const callbackModel = endpoint('POST /system/callbacks').body!;

/** Property lookup: ConnectWise binds JSON names case-insensitively (ASP.NET). */
function prop(schema: VendorSchema, name: string): VendorSchema | undefined {
  const props = schema.properties ?? {};
  return props[name] ?? Object.entries(props).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

function checkScalar(schema: VendorSchema, value: unknown, at: string, out: string[]): void {
  const t = schema.type;
  if (t === 'string') {
    if (typeof value !== 'string') return void out.push(`${at}: expected string`);
    if (schema.enum && !schema.enum.some((e) => e.toLowerCase() === value.toLowerCase()))
      out.push(`${at}: ${value} not in ${schema.enum.join('|')}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      out.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) out.push(`${at}: not a date-time`);
  } else if (t === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) out.push(`${at}: expected integer`);
    else if (schema.format === 'int32' && Math.abs(value) > 2 ** 31 - 1) out.push(`${at}: outside int32`);
  } else if (t === 'number') {
    if (typeof value !== 'number') out.push(`${at}: expected number`);
  } else if (t === 'boolean') {
    if (typeof value !== 'boolean') out.push(`${at}: expected boolean`);
  }
}

/** Validates `value` against a vendor schema; returns one message per problem (empty = conforms). */
export function validate(schema: VendorSchema, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  if (schema['x-any']) return out;
  if (value === null) return schema.nullable ? out : [`${at}: null is not allowed`];
  if (schema.type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected object`];
    const obj = value as Record<string, unknown>;
    for (const req of schema.required ?? [])
      if (!Object.keys(obj).some((k) => k.toLowerCase() === req.toLowerCase())) out.push(`${at}.${req}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const p = prop(schema, k) ?? schema.additionalProperties;
      if (p) out.push(...validate(p, v, `${at}.${k}`));
      else if (schema['x-complete']) out.push(`${at}.${k}: not a property of ${schema['x-model'] ?? 'the model'}`);
    }
  } else if (schema.type === 'array') {
    if (!Array.isArray(value)) return [`${at}: expected array`];
    value.forEach((item, i) => schema.items && out.push(...validate(schema.items, item, `${at}[${i}]`)));
  } else checkScalar(schema, value, at, out);
  return out;
}

/**
 * A ticket JSON-Patch body: PatchOperation items, `op` one of the RFC 6902 operations the model can express, `path` a
 * Ticket property (whole objects, no sub-paths), `value` valid for that property (absent for `remove`).
 */
export function validateTicketPatch(body: unknown): string[] {
  const e = endpoint('PATCH /service/tickets/{id}');
  const out = validate(e.body!, body);
  if (!Array.isArray(body)) return out;
  body.forEach((op: { op?: unknown; path?: unknown; value?: unknown }, i) => {
    const ops = e.body!.items!.properties!['op']!['x-doc-enum']!;
    if (typeof op.op !== 'string' || !ops.includes(op.op))
      out.push(`$[${i}].op: ${String(op.op)} not in ${ops.join('|')}`);
    const path = typeof op.path === 'string' ? op.path.replace(/^\//, '') : '';
    const target = path.includes('/') ? undefined : prop(ticketModel, path);
    if (!target) return void out.push(`$[${i}].path: ${String(op.path)} is not a Ticket property`);
    if (op.op === 'remove') {
      if ('value' in op) out.push(`$[${i}].value: remove takes no value`);
    } else out.push(...validate(target, op.value, `$[${i}].value`));
  });
  return out;
}
