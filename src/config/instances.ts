import { z } from 'zod';

import type { AnyConnector, InstanceInfo } from '../contract/index.js';

import type { ProblemCollector } from './collector.js';
import { describeValue } from './problems.js';
import { unknownKeyMessage } from './suggest.js';
import { advisedMinimums, commonMappingKeys, instanceBaseKeys, instanceBaseSchema } from './schema.js';
import type { LoadedInstance } from './types.js';

/** The connectors the loader validates against (the service passes `src/connectors.ts`; tests pass their own). */
export type ConnectorRegistry = Readonly<Record<string, AnyConnector>>;

/** One entry of `instances:` after validation; `loaded` is absent when it has errors (cross-checks still run). */
export interface ParsedInstance {
  index: number;
  connector?: AnyConnector;
  info?: InstanceInfo;
  loaded?: LoadedInstance;
  /** Every key of `mapping.members`, valid or not (an invalid entry is reported once, where it is). */
  memberNames: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys of a (possibly defaulted/optional/transformed) zod object schema; undefined when it is not an object schema. */
function objectKeys(schema: unknown): string[] | undefined {
  const obj = innerObject(schema);
  return obj ? Object.keys(obj.shape) : undefined;
}

/** The object schema inside defaults, optionals, nullables and pipes (a `.transform()` is a pipe). */
function innerObject(schema: unknown): z.ZodObject | undefined {
  let current = schema;
  for (let i = 0; i < 8; i++) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else break;
  }
  return current instanceof z.ZodObject ? current : undefined;
}

/** The instance keys and connector-only `mapping` keys a connector's settings schema understands. */
function connectorKeys(connector: AnyConnector): { instance: string[]; mapping: string[] } {
  const shape = objectKeys(connector.settingsSchema);
  const mappingSchema = shape?.includes('mapping')
    ? innerObject(connector.settingsSchema)?.shape['mapping']
    : undefined;
  return { instance: (shape ?? []).filter((k) => k !== 'mapping'), mapping: objectKeys(mappingSchema) ?? [] };
}

function checkUnknownKeys(
  c: ProblemCollector,
  raw: Record<string, unknown>,
  index: number,
  connector: AnyConnector,
): void {
  const keys = connectorKeys(connector);
  const allowed = new Set<string>([...instanceBaseKeys, ...keys.instance]);
  for (const key of Object.keys(raw)) {
    if (!allowed.has(key))
      c.error(
        ['instances', index, key],
        unknownKeyMessage(key, [...allowed], `unknown key for a ${connector.kind} instance`),
        'key',
      );
  }
  const mapping = raw['mapping'];
  if (!isRecord(mapping)) return;
  const mappingAllowed = new Set<string>([...commonMappingKeys, ...keys.mapping]);
  for (const key of Object.keys(mapping)) {
    if (!mappingAllowed.has(key))
      c.error(['instances', index, 'mapping', key], unknownKeyMessage(key, [...mappingAllowed]), 'key');
  }
}

function parseMembers(
  c: ProblemCollector,
  mapping: unknown,
  index: number,
  connector: AnyConnector,
): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const raw = isRecord(mapping) ? mapping['members'] : undefined;
  if (!isRecord(raw)) return members;
  for (const [name, value] of Object.entries(raw)) {
    const parsed = c.parse(connector.memberSchema, value, ['instances', index, 'mapping', 'members', name]);
    if (parsed !== undefined) members[name] = parsed;
  }
  return members;
}

function pickConnector(registry: ConnectorRegistry, kind: unknown): AnyConnector | undefined {
  return typeof kind === 'string' && Object.hasOwn(registry, kind) ? registry[kind] : undefined;
}

/** Validates one instance: the base schema, then the connector's settings and member schemas. */
export function parseInstance(
  c: ProblemCollector,
  raw: unknown,
  index: number,
  registry: ConnectorRegistry,
): ParsedInstance {
  const path = ['instances', index];
  if (!isRecord(raw)) {
    c.error(path, `expected a mapping, got ${describeValue(raw)}`);
    return { index, memberNames: [] };
  }
  const kinds = Object.keys(registry) as [string, ...string[]];
  const errorsBefore = c.errorCount;
  const base = c.parse(instanceBaseSchema(kinds), raw, path);
  const connector = pickConnector(registry, raw['kind']);
  const rawMembers = isRecord(raw['mapping']) ? raw['mapping']['members'] : undefined;
  const memberNames = isRecord(rawMembers) ? Object.keys(rawMembers) : [];
  if (!connector) return { index, memberNames };
  checkUnknownKeys(c, raw, index, connector);
  const settingsInput = Object.fromEntries(
    Object.entries(raw).filter(([k]) => k === 'mapping' || !(instanceBaseKeys as readonly string[]).includes(k)),
  );
  const settings = c.parse(connector.settingsSchema, settingsInput, path);
  const members = parseMembers(c, raw['mapping'], index, connector);
  if (!base) return { index, connector, memberNames };
  if (base.reconcileEvery < advisedMinimums.reconcileEveryMs) {
    c.warn([...path, 'reconcileEvery'], 'sweeps more often than every 30s spend the PSA rate budget for little gain');
  }
  const info: InstanceInfo = {
    id: base.id,
    kind: connector.kind,
    policy: base.policy,
    mode: base.mode,
    mapping: { ...base.mapping, members },
    rateLimit: base.rateLimit ?? connector.rateLimitDefaults,
    ...(base.fields ? { fields: base.fields } : {}),
  };
  if (c.errorCount > errorsBefore || settings === undefined) return { index, connector, info, memberNames };
  return {
    index,
    connector,
    info,
    memberNames,
    loaded: {
      info,
      settings,
      reconcileEveryMs: base.reconcileEvery,
      backfill: base.backfill,
      alerts: base.alerts,
      slaDriftToleranceMs: base.slaDriftTolerance,
    },
  };
}
