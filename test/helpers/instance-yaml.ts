/**
 * Builders for one `instances:` entry of escalator.yaml per PSA, as the end-to-end and security tests configure them
 * against the fake PSAs (test/helpers/fake-*.ts). Values are written as JSON flow mappings (YAML reads JSON), and
 * `${VAR}` references stay strings for the loader to interpolate from the test's environment.
 */

type Json = Record<string, unknown>;

interface InstanceParts {
  id: string;
  kind: 'connectwise' | 'autotask' | 'halo';
  /** @defaultValue standard */
  policy?: string;
  mode?: 'enforce' | 'observe';
  connection: Json;
  webhook?: Json;
  fields?: Json;
  mapping: Json;
  notes?: Json;
}

/** One list item under `instances:` (indented as the top-level key's child). */
export function instanceYaml(p: InstanceParts): string {
  const lines = [`  - id: ${p.id}`, `    kind: ${p.kind}`, `    policy: ${p.policy ?? 'standard'}`];
  if (p.mode) lines.push(`    mode: ${p.mode}`);
  for (const key of ['connection', 'webhook', 'fields', 'mapping', 'notes'] as const) {
    const v = p[key];
    if (v) lines.push(`    ${key}: ${JSON.stringify(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The fake ConnectWise's boards/teams: Service A / Tier 1, Service B / Tier 2, Escalations / Tier 3. */
export const CW_TIERS = { T1: { board: 1, team: 3 }, T2: { board: 5, team: 9 }, T3: { board: 12, team: 27 } } as const;

export interface CwInstanceOptions {
  id: string;
  mode?: 'enforce' | 'observe';
  /** @defaultValue the fake's own origin (`${CW_ORIGIN}`) */
  keyUrlHosts?: readonly string[];
  /** @defaultValue T1, T2 and T3 */
  tiers?: readonly (keyof typeof CW_TIERS)[];
  /** @defaultValue closed: Closed */
  statuses?: Record<string, readonly string[]>;
  /** @defaultValue t2.erin → erin.t */
  members?: Record<string, string>;
  /** @defaultValue P1 4, P2 5, P3 6, P4 7 and 8 */
  priorities?: Record<string, readonly number[]> | null;
}

/** A ConnectWise instance against the fake (env: CW_BASE_URL, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID, CW_ORIGIN). */
export function connectwiseInstanceYaml(o: CwInstanceOptions): string {
  const tiers = Object.fromEntries((o.tiers ?? ['T1', 'T2', 'T3']).map((t) => [t, CW_TIERS[t]]));
  const priorities = o.priorities === undefined ? { P1: [4], P2: [5], P3: [6], P4: [7, 8] } : o.priorities;
  return instanceYaml({
    id: o.id,
    kind: 'connectwise',
    ...(o.mode ? { mode: o.mode } : {}),
    connection: {
      baseUrl: '${CW_BASE_URL}',
      companyId: 'acme',
      publicKey: '${CW_PUBLIC_KEY}',
      privateKey: '${CW_PRIVATE_KEY}',
      clientId: '${CW_CLIENT_ID}',
      apiMember: 'escalator-api',
    },
    webhook: { keyUrlHosts: o.keyUrlHosts ?? ['${CW_ORIGIN}'] },
    mapping: {
      tiers,
      groups: { tier2: CW_TIERS.T2 },
      ...(priorities ? { priorities } : {}),
      ...(o.statuses === undefined
        ? { statuses: { closed: ['Closed'] } }
        : Object.keys(o.statuses).length > 0
          ? { statuses: o.statuses }
          : {}),
      members: o.members ?? { 't2.erin': 'erin.t' },
    },
  });
}

export interface HaloInstanceOptions {
  id: string;
  /** @defaultValue `${HALO_URL}`, `${HALO_CLIENT_ID}`, `${HALO_CLIENT_SECRET}` */
  connection?: { tenantUrl?: string; clientId?: string; clientSecret?: string };
  /** The webhook's Basic-auth password. @defaultValue `${HALO_WEBHOOK_PASSWORD}` */
  password?: string;
  /** @defaultValue 1st/2nd/3rd Line Support */
  tiers?: Json;
  /** @defaultValue closed: Closed */
  statuses?: Record<string, readonly string[]>;
}

/** A HaloPSA instance against the fake Halo: agents 12 (t2.erin) and 13 (t2.frank), private notes. */
export function haloInstanceYaml(o: HaloInstanceOptions): string {
  return instanceYaml({
    id: o.id,
    kind: 'halo',
    connection: {
      tenantUrl: o.connection?.tenantUrl ?? '${HALO_URL}',
      clientId: o.connection?.clientId ?? '${HALO_CLIENT_ID}',
      clientSecret: o.connection?.clientSecret ?? '${HALO_CLIENT_SECRET}',
    },
    webhook: { basicAuth: { username: 'escalator', password: o.password ?? '${HALO_WEBHOOK_PASSWORD}' } },
    mapping: {
      tiers: o.tiers ?? {
        T1: { team: '1st Line Support' },
        T2: { team: '2nd Line Support' },
        T3: { team: '3rd Line Support' },
      },
      groups: { tier2: { team: '2nd Line Support' } },
      priorities: { P1: [1], P2: [2], P3: [3], P4: [4] },
      statuses: o.statuses ?? { closed: ['Closed'] },
      members: { 't2.erin': { agent_id: 12 }, 't2.frank': { agent_id: 13 } },
    },
    notes: { internal: { outcome: 'Private Note' } },
  });
}
