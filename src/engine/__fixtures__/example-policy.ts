import { readFileSync } from 'node:fs';

import { parse } from 'yaml';

import { locationKeys as atKeys } from '../../../connectors/autotask/schemas.js';
import { locationKeys as cwKeys } from '../../../connectors/connectwise/schemas.js';
import { locationKeys as haloKeys } from '../../../connectors/halo/schemas.js';
import { CalendarSchema, GroupSchema, MappingSchema, PolicySchema } from '../../contract/index.js';
import type { CalendarConfig, GroupConfig, LocationKeySpec, Policy, Ticket } from '../../contract/index.js';
import { compilePolicy } from '../compile.js';
import type { EnginePolicy } from '../compiled.js';
import type { CompileInput } from '../types.js';

/**
 * Test support: the canonical `examples/escalator.yaml`, parsed with `yaml` and the contract's zod schemas, compiled
 * per instance. `${VARS}` are replaced by placeholders (notifier URLs need a URL).
 */

const keys: Record<string, { spec: LocationKeySpec; requireMapping: boolean }> = {
  connectwise: { spec: cwKeys, requireMapping: false },
  autotask: { spec: atKeys, requireMapping: true },
  halo: { spec: haloKeys, requireMapping: true },
};

function interpolate(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$\{(\w+)(?::-[^}]*)?\}/g, (_m, name: string) => `https://hooks.example.test/${name}`);
  if (Array.isArray(value)) return value.map(interpolate);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v)]));
  return value;
}

interface RawInstance {
  id: string;
  kind: string;
  policy: string;
  mapping: unknown;
}

export interface ExampleConfig {
  raw: Record<string, unknown>;
  policies: Record<string, Policy>;
  input(instanceId: string, patch?: (policy: Policy) => Policy): CompileInput;
  compile(instanceId: string, patch?: (policy: Policy) => Policy): EnginePolicy;
}

export function loadExample(path = new URL('../../../examples/escalator.yaml', import.meta.url)): ExampleConfig {
  const raw = interpolate(parse(readFileSync(path, 'utf8'))) as Record<string, unknown>;
  const calendars: Record<string, CalendarConfig> = {};
  for (const [name, c] of Object.entries(raw.calendars as object)) calendars[name] = CalendarSchema.parse(c);
  const groups: Record<string, GroupConfig> = {};
  for (const [name, g] of Object.entries(raw.groups as object)) groups[name] = GroupSchema.parse(g);
  const policies: Record<string, Policy> = {};
  for (const [name, p] of Object.entries(raw.policies as object)) policies[name] = PolicySchema.parse(p);
  const tiers = raw.tiers as string[];
  const notifiers = Object.keys(raw.notifiers as object);
  const templates = (raw.templates ?? {}) as Record<string, string>;
  const input = (instanceId: string, patch?: (policy: Policy) => Policy): CompileInput => {
    const inst = (raw.instances as RawInstance[]).find((i) => i.id === instanceId);
    if (!inst) throw new Error(`no instance ${instanceId}`);
    const mapping = MappingSchema.parse(inst.mapping);
    const k = keys[inst.kind]!;
    const policy = policies[inst.policy]!;
    return {
      policyName: inst.policy,
      policy: patch ? patch(policy) : policy,
      tiers,
      calendars,
      groups,
      notifiers,
      templates,
      instance: {
        id: inst.id,
        tiers,
        tierLocations: mapping.tiers,
        groupLocations: mapping.groups,
        members: mapping.members,
        membersRequireMapping: k.requireMapping,
        locationKeys: k.spec,
        priorities: mapping.priorities,
      },
    };
  };
  return { raw, policies, input, compile: (id, patch) => compilePolicy(input(id, patch)) };
}

/** A ConnectWise T1 ticket (board 1, team 3) with every handoff section filled; override what a test needs. */
export function cwTicket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    ref: { instance: 'acme-cw', psa: 'connectwise', id: '1001' },
    number: '1001',
    title: 'Outlook cannot connect to Exchange',
    description: 'Since this morning Outlook shows "Disconnected" for the user; webmail works.',
    latestNote: 'Recreated the Outlook profile, still disconnected.',
    recentNotes: [
      { at: '2026-11-24T14:20:00Z', author: 'alice', internal: true, text: 'Recreated the Outlook profile, still disconnected.', ours: false },
      { at: '2026-11-24T14:10:00Z', author: 'alice', internal: true, text: 'Rebooted the PC, no change.', ours: false },
    ],
    status: { id: '1', name: 'In Progress', category: 'open' },
    priority: { id: '6', name: 'Priority 3 - Normal', level: 3 },
    location: { queue: { id: '1', name: 'Service Desk' }, team: { id: '3', name: 'Tier 1' } },
    tier: null,
    owner: { id: 'alice', name: 'alice' },
    company: { id: '250', name: 'Contoso Ltd', vip: false },
    contact: { id: '77', name: 'Jane Doe', email: 'jane@contoso.example' },
    category: ['Email', 'Outlook'],
    environment: 'Windows 11, Microsoft 365',
    affectedSystems: 'PC-JDOE-01',
    usersAffected: 1,
    impact: 'Low',
    urgency: 'Medium',
    createdAt: '2026-11-24T14:00:00Z',
    updatedAt: '2026-11-24T14:20:00Z',
    version: '2026-11-24T14:20:00Z',
    ...overrides,
  };
}
