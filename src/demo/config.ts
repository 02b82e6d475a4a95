import { examplePolicyYaml } from '../config/builtin.js';
import { loadConfigText } from '../config/index.js';
import type { AppConfig, ConnectorRegistry } from '../config/index.js';

import type { AutotaskSandbox } from './sandboxes/autotask.js';
import { AT_API_RESOURCE } from './sandboxes/autotask.js';
import type { ConnectWiseSandbox } from './sandboxes/connectwise.js';
import type { HaloSandbox } from './sandboxes/halo.js';
import type { NotifierSink } from './sandboxes/notifiers.js';

/**
 * The demo's built-in configuration: the example policy (examples/escalator.yaml) word for word, one instance per
 * PSA in `mode: enforce`, each pointed at its loopback sandbox. Sandbox URLs and the random per-run credentials are
 * `${VARS}` resolved by the normal config loader, so the demo exercises the same path as a real escalator.yaml.
 */
export const DEMO_CONFIG_YAML = `# psa-escalator demo: the example policy against three local PSA sandboxes (enforce mode).
${examplePolicyYaml('${DEMO_NOTIFY}')}instances:
  - id: acme-cw
    kind: connectwise
    policy: standard
    mode: enforce
    connection:
      baseUrl: \${CW_BASE_URL}
      companyId: acme
      publicKey: \${CW_PUBLIC_KEY}
      privateKey: \${CW_PRIVATE_KEY}
      clientId: \${CW_CLIENT_ID}
      apiMember: escalator-api
    webhook: { keyUrlHosts: ["\${CW_ORIGIN}"] }
    mapping:
      tiers:
        T1: { board: 1, team: 3 }
        T2: [{ board: 1, team: 4 }, { board: 5, team: 9 }]
        T3: [{ board: 12, team: 27 }, { board: 12, team: 30 }]
        T4: { board: 14 }
      groups: { network: { board: 5, team: 9 }, security: { board: 12, team: 30 }, tier2: { board: 1, team: 4 }, tier3: { board: 12, team: 27 } }
      priorities: { P1: [4], P2: [5], P3: [6], P4: [7, 8] }
      statuses: { waiting_customer: ["Waiting Customer"], closed: ["Closed"] }
      boardStatusOnMove: "New"
      vipCompanies: [HQCorp]
      usersAffected: { fromImpact: { High: 25, Medium: 2, Low: 1 } }
  - id: globex-at
    kind: autotask
    policy: standard
    mode: enforce
    connection:
      username: \${AT_USERNAME}
      secret: \${AT_SECRET}
      integrationCode: \${AT_INTEGRATION_CODE}
      zoneUrl: \${AT_ZONE_URL}
      apiResourceID: ${AT_API_RESOURCE}
    webhook: { secretKey: "\${AT_WEBHOOK_SECRET}" }
    mapping:
      tiers:
        T1: { queueID: 29682833 }
        T2: [{ queueID: 29682969 }, { queueID: 29683500 }]
        T3: [{ queueID: 29683484 }, { queueID: 29683501 }]
      groups: { network: { queueID: 29683500 }, security: { queueID: 29683501 }, tier2: { queueID: 29682969 }, tier3: { queueID: 29683484 } }
      priorities: { P1: [4], P2: [1], P3: [2], P4: [3] }
      statuses: { waiting_customer: [7], waiting_vendor: [10], resolved: [5] }
      vipCompanies: [174]
      members:
        net.alice: { resourceID: 29684001, roleID: 29683001 }
        net.bob: { resourceID: 29684002, roleID: 29683001 }
        t2.erin: { resourceID: 29684003, roleID: 29683002 }
        t2.frank: { resourceID: 29684004, roleID: 29683002 }
        sec.carol: { resourceID: 29684005, roleID: 29683003 }
        sec.dave: { resourceID: 29684006, roleID: 29683003 }
        t3.grace: { resourceID: 29684007, roleID: 29683003 }
        t3.heidi: { resourceID: 29684008, roleID: 29683003 }
    notes: { internal: { noteType: 1, publish: 2 }, customer: { noteType: 1, publish: 1 } }
  - id: initech-halo
    kind: halo
    policy: standard
    mode: enforce
    connection:
      apiUrl: \${HALO_ORIGIN}/api
      authUrl: \${HALO_ORIGIN}/auth
      clientId: \${HALO_CLIENT_ID}
      clientSecret: \${HALO_CLIENT_SECRET}
    webhook: { basicAuth: { username: escalator, password: "\${HALO_WEBHOOK_PASSWORD}" } }
    mapping:
      tiers:
        T1: { team: "1st Line Support" }
        T2: [{ team: "2nd Line Support" }, { team: "Network" }]
        T3: [{ team: "3rd Line Support" }, { team: "Security" }]
      groups: { network: { team: "Network" }, security: { team: "Security" }, tier2: { team: "2nd Line Support" }, tier3: { team: "3rd Line Support" } }
      priorities: { P1: [1], P2: [2], P3: [3], P4: [4] }
      statuses: { waiting_customer: ["Waiting on Customer"], resolved: ["Resolved"], closed: ["Closed"] }
      members:
        net.alice: { agent_id: 14 }
        net.bob: { agent_id: 15 }
        t2.erin: { agent_id: 12 }
        t2.frank: { agent_id: 13 }
        sec.carol: { agent_id: 16 }
        sec.dave: { agent_id: 17 }
        t3.grace: { agent_id: 18 }
        t3.heidi: { agent_id: 19 }
    notes: { internal: { outcome: "Private Note" }, customer: { outcome: "Email User" } }
`;

export interface DemoSandboxes {
  connectwise: ConnectWiseSandbox;
  autotask: AutotaskSandbox;
  halo: HaloSandbox;
  notifiers: NotifierSink;
}

/** Loads the demo config against running sandboxes; a problem here is a bug in the demo (thrown with every line). */
export function loadDemoConfig(s: DemoSandboxes, registry: ConnectorRegistry): AppConfig {
  const vars = {
    DEMO_NOTIFY: s.notifiers.origin,
    CW_BASE_URL: s.connectwise.baseUrl, CW_ORIGIN: s.connectwise.origin, CW_PUBLIC_KEY: s.connectwise.publicKey,
    CW_PRIVATE_KEY: s.connectwise.privateKey, CW_CLIENT_ID: s.connectwise.clientId,
    AT_USERNAME: s.autotask.username, AT_SECRET: s.autotask.secret, AT_INTEGRATION_CODE: s.autotask.integrationCode,
    AT_ZONE_URL: s.autotask.zoneUrl, AT_WEBHOOK_SECRET: s.autotask.webhookSecret,
    HALO_ORIGIN: s.halo.origin, HALO_CLIENT_ID: s.halo.clientId, HALO_CLIENT_SECRET: s.halo.clientSecret, HALO_WEBHOOK_PASSWORD: s.halo.hookPassword,
  };
  const loaded = loadConfigText(DEMO_CONFIG_YAML, 'demo (built-in)', vars, registry);
  if (!loaded.ok) throw new Error(`demo config: ${loaded.error.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return loaded.value;
}
