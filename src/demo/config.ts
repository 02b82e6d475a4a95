import { exampleMappingYaml, exampleNotesYaml, examplePolicyYaml } from '../config/builtin.js';
import { loadConfigText } from '../config/index.js';
import type { AppConfig, ConnectorRegistry } from '../config/index.js';

import type { AutotaskSandbox } from './sandboxes/autotask.js';
import { AT_API_RESOURCE } from './sandboxes/autotask-tenant.js';
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
${exampleMappingYaml('connectwise', { statuses: '{ waiting_customer: ["Waiting Customer"], closed: ["Closed"] }' })}  - id: globex-at
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
${exampleMappingYaml('autotask', { extra: ['vipCompanies: [174]'] })}${exampleNotesYaml('autotask')}  - id: initech-halo
    kind: halo
    policy: standard
    mode: enforce
    connection:
      apiUrl: \${HALO_ORIGIN}/api
      authUrl: \${HALO_ORIGIN}/auth
      clientId: \${HALO_CLIENT_ID}
      clientSecret: \${HALO_CLIENT_SECRET}
    webhook: { basicAuth: { username: escalator, password: "\${HALO_WEBHOOK_PASSWORD}" } }
${exampleMappingYaml('halo')}${exampleNotesYaml('halo')}`;

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
    CW_BASE_URL: s.connectwise.baseUrl,
    CW_ORIGIN: s.connectwise.origin,
    CW_PUBLIC_KEY: s.connectwise.publicKey,
    CW_PRIVATE_KEY: s.connectwise.privateKey,
    CW_CLIENT_ID: s.connectwise.clientId,
    AT_USERNAME: s.autotask.username,
    AT_SECRET: s.autotask.secret,
    AT_INTEGRATION_CODE: s.autotask.integrationCode,
    AT_ZONE_URL: s.autotask.zoneUrl,
    AT_WEBHOOK_SECRET: s.autotask.webhookSecret,
    HALO_ORIGIN: s.halo.origin,
    HALO_CLIENT_ID: s.halo.clientId,
    HALO_CLIENT_SECRET: s.halo.clientSecret,
    HALO_WEBHOOK_PASSWORD: s.halo.hookPassword,
  };
  const loaded = loadConfigText(DEMO_CONFIG_YAML, 'demo (built-in)', vars, registry);
  if (!loaded.ok) throw new Error(`demo config: ${loaded.error.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return loaded.value;
}
