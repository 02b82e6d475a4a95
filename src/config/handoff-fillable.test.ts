import { describe, expect, it } from 'vitest';

import { connectors } from '../connectors.js';

import { loadConfigText } from './load.js';
import { formatProblem } from './problems.js';

/** check-config warns when `handoff.required` names a section an instance cannot fill from its PSA (issue 13). */
const yaml = (fields: string) => `tiers: [T1, T2]
policies:
  main:
    calendar: always
    handoff: { required: [customer, environment, urgency], onMissing: block }
    rules:
      - id: up
        kind: tiered
        when: { tier: T1, timeInTier: 2h }
        then: { escalateTo: T2 }
instances:
  - id: at
    kind: autotask
    policy: main
    connection: { username: api@example.com, secret: s3cret, integrationCode: CODE, zoneUrl: "https://webservices5.autotask.net/atservicesrest/v1.0" }
    webhook: { secretKey: whsec-0123456789 }
${fields}    mapping:
      tiers: { T1: { queueID: 1 }, T2: { queueID: 2 } }
`;

const warnings = (text: string): string[] => {
  const r = loadConfigText(text, 'escalator.yaml', {}, connectors);
  if (!r.ok) throw new Error(r.error.map(formatProblem).join('\n'));
  return (r.value.warnings ?? []).map(formatProblem);
};

describe('check-config: required handoff sections an instance cannot fill', () => {
  it('warns for an Autotask instance that requires environment without a mapping for it (onMissing: block)', () => {
    const lines = warnings(yaml(''));
    const hit = lines.filter((l) => l.includes('handoff section "environment"'));
    expect(hit).toHaveLength(1);
    expect(hit[0]).toMatch(
      /^instances\[0\]\.fields: policy main requires handoff section "environment", which this autotask instance cannot fill from its PSA: every escalation of this instance would be blocked; map it under fields\.environment/,
    );
    // Urgency comes from the priority, customer from the company: no warning for those.
    expect(lines.some((l) => l.includes('"urgency"') || l.includes('"customer"'))).toBe(false);
  });

  it('is quiet once fields.environment maps a standard field (or a UDF)', () => {
    expect(
      warnings(yaml('    fields:\n      environment: { field: [issueType, subIssueType] }\n')).filter((l) =>
        l.includes('handoff section'),
      ),
    ).toEqual([]);
    expect(
      warnings(yaml('    fields:\n      environment: { udf: Environment }\n')).filter((l) =>
        l.includes('handoff section'),
      ),
    ).toEqual([]);
  });

  it('rejects a malformed fields entry with one line naming the YAML path', () => {
    const r = loadConfigText(
      yaml('    fields:\n      environment: { column: issueType }\n'),
      'escalator.yaml',
      {},
      connectors,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map(formatProblem).join('\n')).toMatch(/instances\[0\]\.fields\.environment/);
  });
});

describe('ConnectWise webhook.keyUrlHosts', () => {
  const cw = (connection: string) => `tiers: [T1, T2]
policies:
  main:
    calendar: always
    rules:
      - id: up
        kind: tiered
        when: { tier: T1, timeInTier: 2h }
        then: { escalateTo: T2 }
instances:
  - id: cw
    kind: connectwise
    policy: main
    connection: { ${connection}, companyId: acme, publicKey: pub, privateKey: priv, clientId: cid }
    mapping:
      tiers: { T1: { board: 1 }, T2: { board: 2 } }
`;
  const load = (text: string) => {
    const r = loadConfigText(text, 'escalator.yaml', {}, connectors);
    if (!r.ok) throw new Error(r.error.map(formatProblem).join('\n'));
    return r.value;
  };

  it('defaults to the origin of connection.site', () => {
    const host = load(cw('site: api-na.myconnectwise.net'));
    expect((host.instances[0]!.settings as { webhook: { keyUrlHosts: string[] } }).webhook.keyUrlHosts).toEqual([
      'api-na.myconnectwise.net',
    ]);
    expect((host.warnings ?? []).map(formatProblem).filter((l) => l.includes('keyUrlHosts'))).toEqual([]);
    const onPrem = load(cw('site: "http://127.0.0.1:9101/"'));
    expect((onPrem.instances[0]!.settings as { webhook: { keyUrlHosts: string[] } }).webhook.keyUrlHosts).toEqual([
      'http://127.0.0.1:9101',
    ]);
  });

  it('check-config warns when it ends up empty (baseUrl only)', () => {
    const lines = (load(cw('baseUrl: "https://cw.example.com/v4_6_release/apis/3.0"')).warnings ?? []).map(
      formatProblem,
    );
    expect(lines.filter((l) => l.startsWith('instances[0].webhook.keyUrlHosts: is empty'))).toHaveLength(1);
  });
});
