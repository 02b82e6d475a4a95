import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import type { PsaKind } from '../contract/index.js';

import type { ConnectorRegistry } from './instances.js';
import { loadConfigFile, loadConfigText } from './load.js';
import type { EnvVars, LoadResult } from './load.js';
import type { EnvConfig } from './types.js';

/**
 * The config `serve` uses when no file is given and `./escalator.yaml` doesn't exist: the example's calendars,
 * groups and policy with one instance per PSA in `mode: observe`, pointed at 127.0.0.1 (the demo sandboxes' ports),
 * so it needs no env var, no credential, and never writes anywhere. Startup never calls a PSA anyway (docs/spec.md §4).
 */
export const BUILTIN_CONFIG_SOURCE = 'built-in';

/** Loopback ports of the built-in instances (the same ones the example's comments use for local tests). */
export const builtinPorts = { connectwise: 9101, autotask: 9102, halo: 9103, notifiers: 9109 } as const;

const P = builtinPorts;

/**
 * The example's calendars, tiers, notifiers, groups and `standard` policy (examples/escalator.yaml, rules word for
 * word), shared by the built-in config and the demo; notifiers POST to `notifierBase`.
 */
export function examplePolicyYaml(notifierBase: string): string {
  return `calendars:
  business:
    timezone: America/New_York
    hours: { mon-fri: "08:00-18:00", sat: "09:00-13:00" }
    holidays: ["2026-11-26", "2026-12-25", "2027-01-01"]
tiers: [T1, T2, T3, T4]
notifiers:
  managers: { kind: webhook, url: "${notifierBase}/managers" }
  oncall: { kind: slack, url: "${notifierBase}/oncall" }
groups:
  network: { assign: round-robin, members: [net.alice, net.bob] }
  security: { assign: oncall, oncall: { rotation: [sec.carol, sec.dave], start: "2026-01-05T09:00:00-05:00", every: 7d } }
  tier2: { assign: least-loaded, members: [t2.erin, t2.frank] }
  tier3: { assign: oncall, oncall: { rotation: [t3.grace, t3.heidi], start: "2026-01-05T09:00:00-05:00", every: 7d } }
policies:
  standard:
    calendar: business
    sla:
      P1: { firstResponse: 15, resolution: 240, calendar: always }
      P2: { firstResponse: 60, resolution: 480 }
      P3: { firstResponse: 240, resolution: 1440 }
      P4: { firstResponse: 480, resolution: 2880 }
    vip: { slaFactor: 0.5 }
    pauseOn: [waiting_customer, waiting_vendor, scheduled]
    limits: { maxAutoEscalationsPerDay: 3, respectManualChangesFor: 4h }
    handoff:
      required: [customer, contact, environment, summary, stepsTaken, rootCause, urgency, slaDeadline, impact]
      onMissing: flag
    rules:
      - { id: emergency-security, kind: emergency, when: { text: [ransomware, breach, "data leak", phishing, malware, "compromised account"] }, then: { escalateTo: T3, group: security, priority: P1, note: handoff, notify: [oncall, managers] } }
      - { id: emergency-outage, kind: emergency, when: { any: [ { usersAffected: { gte: 25 } }, { text: ["all users", "site down", "system-wide", outage] } ] }, then: { escalateTo: T3, group: tier3, priority: P1, note: handoff, notify: [oncall] } }
      - { id: functional-network, kind: functional, when: { category: ["Network/*", "Firewall", "VPN"] }, then: { group: network, note: handoff } }
      - { id: complexity-multi-user, kind: functional, when: { tier: T1, usersAffected: { gte: 2 } }, then: { escalateTo: T2, group: tier2, note: handoff } }
      - { id: t1-timeout, kind: tiered, when: { tier: T1, timeInTier: 2h, status: { not: [resolved, closed] } }, then: { escalateTo: T2, group: tier2, note: handoff } }
      - { id: t2-timeout, kind: tiered, when: { tier: T2, timeInTier: 8h }, then: { escalateTo: T3, group: tier3, note: handoff } }
      - { id: sla-risk, kind: hierarchical, when: { slaUsed: { resolution: { gte: 80 } } }, then: { notify: [managers], note: internal } }
      - { id: sla-breach, kind: hierarchical, when: { slaUsed: { any: { gte: 100 } } }, then: { escalateTo: next, notify: [managers], customerNote: true } }
      - { id: vip-fast-lane, kind: hierarchical, when: { vip: true, tier: T1, timeInTier: 30m }, then: { escalateTo: T2, group: tier2, note: handoff, notify: [managers] } }
      - { id: recurring-incident, kind: hierarchical, when: { recurring: { count: 3, within: 24h, same: [company, category] } }, then: { notify: [managers], note: internal, tag: problem-candidate } }
      - { id: orphan, kind: tiered, when: { owner: none, age: 30m, status: { not: [resolved, closed] } }, then: { group: tier2, notify: [oncall] } }
      - { id: after-hours-p1, kind: emergency, when: { priority: P1, outsideCalendar: business }, then: { group: tier3, notify: [oncall] } }
`;
}

/** The example's mapping of each PSA, in `mapping:` lines of an instance (6-space indent). */
const exampleMappings = {
  connectwise: {
    head: [
      'tiers:',
      '  T1: { board: 1, team: 3 }',
      '  T2: [{ board: 1, team: 4 }, { board: 5, team: 9 }]',
      '  T3: [{ board: 12, team: 27 }, { board: 12, team: 30 }]',
      '  T4: { board: 14 }',
      'groups: { network: { board: 5, team: 9 }, security: { board: 12, team: 30 }, tier2: { board: 1, team: 4 }, tier3: { board: 12, team: 27 } }',
      'priorities: { P1: [4], P2: [5], P3: [6], P4: [7, 8] }',
    ],
    statuses:
      '{ waiting_customer: ["Waiting Customer"], waiting_vendor: ["Waiting Vendor"], scheduled: ["Scheduled"], resolved: ["Resolved", "Completed"], closed: ["Closed"] }',
    tail: [
      'boardStatusOnMove: "New"',
      'vipCompanies: [HQCorp]',
      'usersAffected: { fromImpact: { High: 25, Medium: 2, Low: 1 } }',
    ],
  },
  autotask: {
    head: [
      'tiers:',
      '  T1: { queueID: 29682833 }',
      '  T2: [{ queueID: 29682969 }, { queueID: 29683500 }]',
      '  T3: [{ queueID: 29683484 }, { queueID: 29683501 }]',
      'groups: { network: { queueID: 29683500 }, security: { queueID: 29683501 }, tier2: { queueID: 29682969 }, tier3: { queueID: 29683484 } }',
      'priorities: { P1: [4], P2: [1], P3: [2], P4: [3] }',
    ],
    statuses: '{ waiting_customer: [7], waiting_vendor: [10], resolved: [5] }',
    tail: [
      'members:',
      ...[
        ['net.alice', 1, 1],
        ['net.bob', 2, 1],
        ['t2.erin', 3, 2],
        ['t2.frank', 4, 2],
        ['sec.carol', 5, 3],
        ['sec.dave', 6, 3],
        ['t3.grace', 7, 3],
        ['t3.heidi', 8, 3],
      ].map(
        ([name, r, role]) =>
          `  ${String(name)}: { resourceID: ${29684000 + Number(r)}, roleID: ${29683000 + Number(role)} }`,
      ),
    ],
  },
  halo: {
    head: [
      'tiers:',
      '  T1: { team: "1st Line Support" }',
      '  T2: [{ team: "2nd Line Support" }, { team: "Network" }]',
      '  T3: [{ team: "3rd Line Support" }, { team: "Security" }]',
      'groups: { network: { team: "Network" }, security: { team: "Security" }, tier2: { team: "2nd Line Support" }, tier3: { team: "3rd Line Support" } }',
      'priorities: { P1: [1], P2: [2], P3: [3], P4: [4] }',
    ],
    statuses: '{ waiting_customer: ["Waiting on Customer"], resolved: ["Resolved"], closed: ["Closed"] }',
    tail: [
      'members:',
      ...[
        ['net.alice', 14],
        ['net.bob', 15],
        ['t2.erin', 12],
        ['t2.frank', 13],
        ['sec.carol', 16],
        ['sec.dave', 17],
        ['t3.grace', 18],
        ['t3.heidi', 19],
      ].map(([name, id]) => `  ${String(name)}: { agent_id: ${String(id)} }`),
    ],
  },
} satisfies Record<PsaKind, { head: string[]; statuses: string; tail: string[] }>;

/**
 * The `mapping:` block of the example instance of one PSA (tiers, groups, priorities, statuses, members…), shared by
 * the built-in config and the demo. `statuses` replaces the status mapping; `extra` lines are added at the end.
 */
export function exampleMappingYaml(kind: PsaKind, options: { statuses?: string; extra?: string[] } = {}): string {
  const m = exampleMappings[kind];
  const lines = [...m.head, `statuses: ${options.statuses ?? m.statuses}`, ...m.tail, ...(options.extra ?? [])];
  return `    mapping:\n${lines.map((l) => `      ${l}\n`).join('')}`;
}

/** The `notes:` line of the example instance (ConnectWise needs none: its note flags are fixed). */
export function exampleNotesYaml(kind: 'autotask' | 'halo'): string {
  return kind === 'autotask'
    ? '    notes: { internal: { noteType: 1, publish: 2 }, customer: { noteType: 1, publish: 1 } }\n'
    : '    notes: { internal: { outcome: "Private Note" }, customer: { outcome: "Email User" } }\n';
}

export const BUILTIN_CONFIG_YAML = `# Built-in configuration: the example policy, three PSA instances in observe mode on loopback.
${examplePolicyYaml(`http://127.0.0.1:${P.notifiers}`)}instances:
  - id: acme-cw
    kind: connectwise
    policy: standard
    mode: observe
    connection:
      companyId: builtin
      publicKey: builtin-public-key
      privateKey: builtin-private-key
      clientId: builtin-client-id
      apiMember: escalator-api
      baseUrl: http://127.0.0.1:${P.connectwise}/v4_6_release/apis/3.0
    webhook: { keyUrlHosts: ["http://127.0.0.1:${P.connectwise}"] }
${exampleMappingYaml('connectwise')}  - id: globex-at
    kind: autotask
    policy: standard
    mode: observe
    connection:
      username: builtin@example.invalid
      secret: builtin-secret
      integrationCode: BUILTININTEGRATION
      zoneUrl: http://127.0.0.1:${P.autotask}/atservicesrest/v1.0
    webhook: { secretKey: "\${BUILTIN_AUTOTASK_WEBHOOK_SECRET}" }
    fields: { environment: { field: [issueType, subIssueType] } }
${exampleMappingYaml('autotask')}${exampleNotesYaml('autotask')}  - id: initech-halo
    kind: halo
    policy: standard
    mode: observe
    connection:
      apiUrl: http://127.0.0.1:${P.halo}/api
      authUrl: http://127.0.0.1:${P.halo}/auth
      clientId: builtin-client-id
      clientSecret: builtin-client-secret
    webhook: { basicAuth: { username: escalator, password: "\${BUILTIN_HALO_WEBHOOK_PASSWORD}" } }
${exampleMappingYaml('halo')}${exampleNotesYaml('halo')}`;

/**
 * Loads the built-in config. Security: its webhook secrets are random per process, never published constants —
 * a known secret would let anyone on the network forge deliveries to a service started without a config file.
 */
export function loadBuiltinConfig(registry: ConnectorRegistry): LoadResult {
  const secrets: EnvVars = {
    BUILTIN_AUTOTASK_WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
    BUILTIN_HALO_WEBHOOK_PASSWORD: randomBytes(24).toString('base64url'),
  };
  return loadConfigText(BUILTIN_CONFIG_YAML, BUILTIN_CONFIG_SOURCE, secrets, registry);
}

export type ConfigSource = { kind: 'file'; path: string } | { kind: 'builtin' };

/** Where the config comes from (docs/spec.md §7): `--config`, else `CONFIG_FILE`, else `./escalator.yaml` if it exists, else built-in. */
export function resolveConfigSource(
  env: Pick<EnvConfig, 'configFile'>,
  options: { explicit?: string; cwd?: string; exists?: (path: string) => boolean } = {},
): ConfigSource {
  const file = options.explicit ?? env.configFile;
  if (file !== undefined) return { kind: 'file', path: file };
  const fallback = resolve(options.cwd ?? '.', 'escalator.yaml');
  return (options.exists ?? existsSync)(fallback) ? { kind: 'file', path: fallback } : { kind: 'builtin' };
}

/** Loads whatever `resolveConfigSource` chose. */
export function loadFromSource(source: ConfigSource, env: EnvVars, registry: ConnectorRegistry): LoadResult {
  return source.kind === 'builtin' ? loadBuiltinConfig(registry) : loadConfigFile(source.path, env, registry);
}
