import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { normalize as normalizeAutotask } from '../../connectors/autotask/normalize.js';
import { settingsSchema as atSettings } from '../../connectors/autotask/schemas.js';
import { normalize as normalizeCw } from '../../connectors/connectwise/normalize.js';
import { settingsSchema as cwSettings } from '../../connectors/connectwise/schemas.js';
import { normalize as normalizeHalo } from '../../connectors/halo/normalize.js';
import { settingsSchema as haloSettings } from '../../connectors/halo/schemas.js';
import { MappingSchema } from '../../src/contract/index.js';
import type { InstanceInfo, Ticket } from '../../src/contract/index.js';
import { loadExample } from '../../src/engine/__fixtures__/example-policy.js';
import { reassignOf } from '../../src/engine/__fixtures__/decision-helpers.js';
import { evaluate } from '../../src/engine/evaluate.js';

// Issue 17, customer/site calendars end to end on the engine side: each connector's normalize fills `ticket.site` from
// the PSA's own field, and the example policy's `calendarFor: [{site: ["Sydney Office"], calendar: sydney}]` then runs
// `t1-timeout` (timeInTier 2h) on Sydney hours for a ticket of a customer that is NOT on the Sydney list itself.

const example = loadExample();
const raw = example.raw as { instances: { id: string; kind: string; policy: string; mapping: unknown }[] };
const info = (id: string): InstanceInfo => {
  const i = raw.instances.find((x) => x.id === id)!;
  return {
    id,
    kind: i.kind,
    policy: i.policy,
    mode: 'enforce',
    mapping: MappingSchema.parse(i.mapping),
    rateLimit: { requests: 600, per: 60_000 },
  } as InstanceInfo;
};
const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../connectors/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** Each PSA's fixture ticket at the site "Sydney Office", via that PSA's own field. */
const bySite: Record<string, () => Ticket> = {
  'acme-cw': () => {
    const settings = cwSettings.parse({
      connection: {
        site: 'api-na.myconnectwise.net',
        companyId: 'acme',
        publicKey: 'pub',
        privateKey: 'priv',
        clientId: 'cid',
        apiMember: 'escalator-api',
      },
      webhook: { keyUrlHosts: ['na.myconnectwise.net'] },
    });
    return normalizeCw(
      {
        ticket: {
          ...fixture('connectwise/__fixtures__/service-ticket.json'),
          site: { id: 77, name: 'Sydney Office' },
          board: { id: 1 },
          team: { id: 3 },
        },
        notes: [],
      },
      info('acme-cw'),
      settings,
    );
  },
  'globex-at': () => {
    const settings = atSettings.parse({
      connection: { username: 'api@globex.example', secret: 's', integrationCode: 'CODE' },
      webhook: { secretKey: 'enkmoj676nwh8' },
    });
    const ticket = { ...(fixture('autotask/__fixtures__/ticket-full.json').item as object), companyLocationID: 12 };
    return normalizeAutotask(
      { ticket, notes: [], lookups: { location: { id: 12, name: 'Sydney Office' } } },
      info('globex-at'),
      settings,
    );
  },
  'initech-halo': () => {
    const settings = haloSettings.parse({
      connection: { tenantUrl: 'https://initech.halopsa.com', clientId: 'c', clientSecret: 's' },
      webhook: { basicAuth: { username: 'u', password: 'p' } },
    });
    return normalizeHalo(
      {
        ticket: { ...fixture('halo/__fixtures__/ticket-full.json'), site_id: 31, site_name: 'Sydney Office' },
        notes: [],
      },
      info('initech-halo'),
      settings,
    );
  },
};

// Monday 2026-11-23 08:00 in Sydney = Sunday 2026-11-22 21:00 UTC (New York, the policy calendar: Sunday, closed).
const created = '2026-11-22T21:00:00Z';

describe.each(Object.keys(bySite))('calendarFor site on %s', (instanceId) => {
  const policy = example.compile(instanceId);
  const ticket = (site: boolean): Ticket => {
    const t = bySite[instanceId]!();
    const {
      site: _s,
      description: _d,
      latestNote: _n,
      environment: _e,
      usersAffected: _u,
      impact: _i,
      urgency: _g,
      affectedSystems: _a,
      ...rest
    } = t;
    // A plain T1 printer ticket (no functional or emergency rule matches) of a customer without an entry of its own, at P3 (P1 keeps its 24x7 sla calendar).
    const base = {
      ...rest,
      tier: 'T1',
      company: { id: '250', name: 'Contoso Ltd', vip: false },
      priority: { ...t.priority, level: 3 as const },
      status: { ...t.status, category: 'open' as const },
      title: 'Printer offline',
      category: [],
      createdAt: created,
      updatedAt: created,
      version: created,
      recentNotes: [],
    };
    return site ? { ...base, site: t.site! } : base;
  };

  it("normalize fills the site with the PSA's name for it", () => {
    expect(bySite[instanceId]!().site?.name).toBe('Sydney Office');
  });

  it('escalates on Sydney hours: t1-timeout fires at 10:00 Sydney (23:00 UTC), not on New York hours', () => {
    const d = evaluate({ ticket: ticket(true), policy, now: '2026-11-22T23:00:00Z', state: { tierSince: created } });
    expect(reassignOf(d)?.rule).toBe('t1-timeout');
    // Without the site, the policy calendar (New York, Monday 08:00 + 2 h) applies.
    const off = evaluate({ ticket: ticket(false), policy, now: '2026-11-22T23:00:00Z', state: { tierSince: created } });
    expect(reassignOf(off)).toBeUndefined();
    expect(off.nextCheckAt).toBe('2026-11-23T15:00:00Z');
  });
});
