import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { TicketSchema, psaKinds } from '../../src/contract/index.js';
import type { InstanceInfo, WebhookRequest } from '../../src/contract/index.js';
import { connectors } from '../../src/connectors.js';
import { testContext } from '../helpers/connector-context.js';

// One conformance suite run against every connector in the registry (STYLE rule 10): what the pipeline and the
// HTTP layer rely on, whatever the PSA.

interface ExampleInstance {
  id: string;
  kind: string;
  connection: unknown;
  webhook: unknown;
  notes?: unknown;
  mapping: Record<string, unknown> & { tiers: Record<string, unknown>; members?: Record<string, unknown> };
}
const example = parse(readFileSync('examples/escalator.yaml', 'utf8')) as { instances: ExampleInstance[] };

/** The example with every ${VAR} replaced by a placeholder (the config loader does this properly). */
function withPlaceholders(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value).replace(/\$\{([A-Z_]+)\}/g, 'placeholder-$1'));
}

const garbage: WebhookRequest = {
  headers: { 'content-type': 'application/json' },
  rawBody: Buffer.from('{"hello":"world"}'),
  json: { hello: 'world' },
  query: {},
  ip: '203.0.113.9',
};

describe.each(psaKinds.map((k) => [k] as const))('connector %s', (kind) => {
  const connector = connectors[kind];
  const inst = withPlaceholders(example.instances.find((i) => i.kind === kind)) as ExampleInstance;
  const settingsInput = {
    connection: inst.connection,
    webhook: inst.webhook,
    notes: inst.notes,
    mapping: inst.mapping,
  };
  const info: InstanceInfo = {
    id: inst.id,
    kind,
    policy: 'standard',
    mode: 'enforce',
    mapping: {
      groups: {},
      priorities: {},
      statuses: {},
      members: {},
      vipCompanies: [],
      ...inst.mapping,
    } as InstanceInfo['mapping'],
    rateLimit: connector.rateLimitDefaults,
  };
  const ctx = () => testContext({ connector, instance: info, settings: settingsInput });

  it('is registered under its own kind', () => {
    expect(connector.kind).toBe(kind);
  });

  it("accepts the example instance's settings and member mapping", () => {
    expect(connector.settingsSchema.safeParse(settingsInput).success).toBe(true);
    for (const member of Object.values(inst.mapping.members ?? {}))
      expect(connector.memberSchema.safeParse(member).success).toBe(true);
  });

  it('understands every location key the example maps', () => {
    const keys = Object.values(inst.mapping.tiers)
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .flatMap((l) => Object.keys(l as object));
    for (const key of keys) expect(connector.locationKeys[key], key).toBeDefined();
  });

  it('has a sane default rate budget', () => {
    expect(connector.rateLimitDefaults.requests).toBeGreaterThan(0);
    expect(connector.rateLimitDefaults.per).toBeGreaterThanOrEqual(1000);
  });

  it('refuses an unauthenticated webhook as `unauthorized` without throwing', async () => {
    const res = await connector.verifyWebhook(ctx(), garbage);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('unauthorized');
  });

  it('normalizes an empty payload into a valid Ticket without throwing', () => {
    const ticket = connector.normalize({ ticket: { id: 1 }, notes: [] }, info, ctx().settings);
    expect(TicketSchema.safeParse(ticket).success).toBe(true);
    expect(ticket.ref).toEqual({ instance: inst.id, psa: kind, id: '1' });
  });

  it('normalizes hostile shapes without throwing', () => {
    for (const raw of [null, 'x', 42, [], { id: null, status: 7, owner: 'x', company: [] }]) {
      expect(() =>
        connector.normalize({ ticket: raw, notes: [null, 1, { text: 5 }] }, info, ctx().settings),
      ).not.toThrow();
    }
  });
});
