import { z } from 'zod';
import { describeValue } from './problems.js';
import { unknownKeyMessage } from './suggest.js';
import { advisedMinimums, commonMappingKeys, instanceBaseKeys, instanceBaseSchema } from './schema.js';
const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Keys of a (possibly defaulted/optional) zod object schema; undefined when it is not an object schema. */
function objectKeys(schema) {
    let current = schema;
    for (let i = 0; i < 8; i++) {
        if (current instanceof z.ZodDefault || current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
            current = current.unwrap();
        }
        else if (current instanceof z.ZodPipe) {
            current = current.in;
        }
        else
            break;
    }
    return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}
/** The instance keys and connector-only `mapping` keys a connector's settings schema understands. */
function connectorKeys(connector) {
    const shape = objectKeys(connector.settingsSchema);
    const mappingSchema = shape?.includes('mapping') ? connector.settingsSchema.shape['mapping'] : undefined;
    return { instance: (shape ?? []).filter((k) => k !== 'mapping'), mapping: objectKeys(mappingSchema) ?? [] };
}
function checkUnknownKeys(c, raw, index, connector) {
    const keys = connectorKeys(connector);
    const allowed = new Set([...instanceBaseKeys, ...keys.instance]);
    for (const key of Object.keys(raw)) {
        if (!allowed.has(key))
            c.error(['instances', index, key], unknownKeyMessage(key, [...allowed], `unknown key for a ${connector.kind} instance`), 'key');
    }
    const mapping = raw['mapping'];
    if (!isRecord(mapping))
        return;
    const mappingAllowed = new Set([...commonMappingKeys, ...keys.mapping]);
    for (const key of Object.keys(mapping)) {
        if (!mappingAllowed.has(key))
            c.error(['instances', index, 'mapping', key], unknownKeyMessage(key, [...mappingAllowed]), 'key');
    }
}
function parseMembers(c, mapping, index, connector) {
    const members = {};
    const raw = isRecord(mapping) ? mapping['members'] : undefined;
    if (!isRecord(raw))
        return members;
    for (const [name, value] of Object.entries(raw)) {
        const parsed = c.parse(connector.memberSchema, value, ['instances', index, 'mapping', 'members', name]);
        if (parsed !== undefined)
            members[name] = parsed;
    }
    return members;
}
function pickConnector(registry, kind) {
    return typeof kind === 'string' && Object.hasOwn(registry, kind) ? registry[kind] : undefined;
}
/** Validates one instance: the base schema, then the connector's settings and member schemas. */
export function parseInstance(c, raw, index, registry) {
    const path = ['instances', index];
    if (!isRecord(raw)) {
        c.error(path, `expected a mapping, got ${describeValue(raw)}`);
        return { index, memberNames: [] };
    }
    const kinds = Object.keys(registry);
    const errorsBefore = c.errorCount;
    const base = c.parse(instanceBaseSchema(kinds), raw, path);
    const connector = pickConnector(registry, raw['kind']);
    const rawMembers = isRecord(raw['mapping']) ? raw['mapping']['members'] : undefined;
    const memberNames = isRecord(rawMembers) ? Object.keys(rawMembers) : [];
    if (!connector)
        return { index, memberNames };
    checkUnknownKeys(c, raw, index, connector);
    const settingsInput = Object.fromEntries(Object.entries(raw).filter(([k]) => k === 'mapping' || !instanceBaseKeys.includes(k)));
    const settings = c.parse(connector.settingsSchema, settingsInput, path);
    const members = parseMembers(c, raw['mapping'], index, connector);
    if (!base)
        return { index, connector, memberNames };
    if (base.reconcileEvery < advisedMinimums.reconcileEveryMs) {
        c.warn([...path, 'reconcileEvery'], 'sweeps more often than every 30s spend the PSA rate budget for little gain');
    }
    const info = {
        id: base.id,
        kind: connector.kind,
        policy: base.policy,
        mode: base.mode,
        mapping: { ...base.mapping, members },
        rateLimit: base.rateLimit ?? connector.rateLimitDefaults,
    };
    if (c.errorCount > errorsBefore || settings === undefined)
        return { index, connector, info, memberNames };
    return { index, connector, info, memberNames, loaded: { info, settings, reconcileEveryMs: base.reconcileEvery } };
}
//# sourceMappingURL=instances.js.map