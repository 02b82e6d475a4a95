import { readFileSync } from 'node:fs';
let loaded;
/** The Autotask endpoints of the vendor schema file, keyed `"PATCH /V1.0/Tickets"`. */
export function vendorEndpoints() {
    loaded ??= JSON.parse(readFileSync(new URL('./__fixtures__/vendor-schemas.autotask.json', import.meta.url), 'utf8'));
    return loaded;
}
/** A model by name (`TicketModel`, `TicketNoteModel`, `TicketWebhookModel`, `QueryModel`…), from any endpoint body. */
export function vendorModel(name) {
    for (const e of Object.values(vendorEndpoints()))
        if (e.body?.['x-model'] === name)
            return e.body;
    throw new Error(`no vendor model ${name}`);
}
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?$/;
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function checkScalar(schema, value, path, out) {
    const t = schema.type;
    if (t === 'integer') {
        if (typeof value !== 'number' || !Number.isInteger(value))
            out.push(`${path}: expected integer, got ${JSON.stringify(value)}`);
        else if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31))
            out.push(`${path}: outside int32`);
        else if (schema['x-doc-range'] && (value < schema['x-doc-range'][0] || value > schema['x-doc-range'][1]))
            out.push(`${path}: outside ${schema['x-doc-range'].join('..')}`);
    }
    else if (t === 'number') {
        if (typeof value !== 'number' || !Number.isFinite(value))
            out.push(`${path}: expected number, got ${JSON.stringify(value)}`);
    }
    else if (t === 'boolean') {
        if (typeof value !== 'boolean')
            out.push(`${path}: expected boolean, got ${JSON.stringify(value)}`);
    }
    else if (t === 'string') {
        if (typeof value !== 'string')
            out.push(`${path}: expected string, got ${JSON.stringify(value)}`);
        else if (schema.format === 'date-time' && !DATE_TIME.test(value))
            out.push(`${path}: not a date-time: ${value}`);
        else if (schema['x-doc-enum'] && !schema['x-doc-enum'].includes(value))
            out.push(`${path}: not one of ${schema['x-doc-enum'].join(', ')}`);
    }
}
function checkObject(schema, value, path, out, root) {
    if (!isObj(value)) {
        out.push(`${path}: expected object`);
        return;
    }
    const props = schema.properties ?? {};
    const byLower = new Map(Object.entries(props).map(([k, s]) => [k.toLowerCase(), [k, s]]));
    const seen = new Set();
    for (const [key, v] of Object.entries(value)) {
        const hit = byLower.get(key.toLowerCase());
        if (seen.has(key.toLowerCase()))
            out.push(`${path}.${key}: given twice (names are case-insensitive)`);
        seen.add(key.toLowerCase());
        if (!hit) {
            if (schema['x-complete'])
                out.push(`${path}.${key}: unknown property of ${schema['x-model'] ?? 'object'}`);
            continue;
        }
        if (hit[1].readOnly)
            out.push(`${path}.${key}: read-only`);
        check(hit[1], v, `${path}.${key}`, out, root);
    }
}
function check(schema, value, path, out, root) {
    if (schema['x-id'])
        root.set(schema['x-id'], schema);
    if (schema['x-self']) {
        const target = root.get(schema['x-self']);
        if (target)
            check(target, value, path, out, root);
        return;
    }
    if (schema['x-any'] || value === null)
        return; // .NET nullable types: null is accepted for every property
    if (schema.type === 'object' || schema.properties)
        checkObject(schema, value, path, out, root);
    else if (schema.type === 'array') {
        if (!Array.isArray(value))
            out.push(`${path}: expected array`);
        else if (schema.items)
            value.forEach((v, i) => check(schema.items, v, `${path}[${i}]`, out, root));
    }
    else
        checkScalar(schema, value, path, out);
}
/** Problems of `value` against `schema` (empty = valid). */
export function checkVendorSchema(schema, value) {
    const out = [];
    check(schema, value, '$', out, new Map());
    return out;
}
/** The endpoint key (`PATCH /V1.0/Tickets/{parentId}/Notes`) a concrete request path matches, if modelled. */
export function endpointKey(method, path) {
    const clean = path.split('?')[0].replace(/^.*?(\/V1\.0\/)/i, '/V1.0/');
    for (const key of Object.keys(vendorEndpoints())) {
        if (key.startsWith('_'))
            continue;
        const [m, p] = key.split(' ');
        if (m !== method.toUpperCase())
            continue;
        const re = new RegExp(`^${p.replace(/\{[^}]+\}/g, '\\d+').replace(/\./g, '\\.')}$`, 'i');
        if (re.test(clean))
            return key;
    }
    return undefined;
}
/** Problems of a request body sent to `method path` (a path the file does not model gives one problem). */
export function checkVendorBody(method, path, body) {
    const key = endpointKey(method, path);
    if (!key)
        return [`${method} ${path}: endpoint not in the vendor schema`];
    const e = vendorEndpoints()[key];
    const out = e.body ? checkVendorSchema(e.body, body) : [];
    if (e['x-requireId'] && !(isObj(body) && Object.keys(body).some((k) => k.toLowerCase() === 'id') && body[Object.keys(body).find((k) => k.toLowerCase() === 'id')] !== null)) {
        out.push('$: the body must carry id');
    }
    return out;
}
/** Whether `METHOD /V1.0/...` is an endpoint Autotask has (modelled or listed in `_endpoints`). */
export function endpointExists(method, path) {
    if (endpointKey(method, path))
        return true;
    const clean = path.split('?')[0].replace(/^.*?(\/V1\.0\/)/i, '/V1.0/');
    const list = vendorEndpoints()._endpoints;
    return list.some((k) => {
        const [m, p] = k.split(' ');
        return m === method.toUpperCase() && new RegExp(`^${p.replace(/\{[^}]+\}/g, '\\d+').replace(/\./g, '\\.')}$`, 'i').test(clean);
    });
}
//# sourceMappingURL=vendor-schema.js.map