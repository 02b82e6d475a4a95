import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FakeConnectWise, seedConnectWise } from '../helpers/fake-connectwise.js';
import { cli } from '../fixtures/config/run-cli.js';

// `psa-escalator webhooks register --instance ID` (docs/spec.md §6, issue 5): a child process against the fake ConnectWise
// creates exactly one ticket/owner callback at PUBLIC_URL/webhooks/<id>?recordId=, and a second run changes nothing.

const config = (baseUrl: string) => `
calendars: { always: { timezone: UTC, hours: { mon-sun: "00:00-24:00" } } }
tiers: [T1, T2]
policies: { standard: { calendar: always, rules: [] } }
instances:
  - id: acme-cw
    kind: connectwise
    policy: standard
    connection: { baseUrl: "${baseUrl}", companyId: acme, publicKey: pub-key, privateKey: priv-key, clientId: 3f1b5e1c-8a55-4a1f-9d8e-0c2b7e6d5a41, apiMember: escalator-api }
    mapping: { tiers: { T1: { board: 1, team: 3 }, T2: { board: 1, team: 4 } } }
`;

describe('psa-escalator webhooks register (child process)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cli-webhooks-'));
  let fake: FakeConnectWise;
  let file: string;

  beforeAll(async () => {
    fake = seedConnectWise(await new FakeConnectWise().start());
    file = join(scratch, 'escalator.yaml');
    writeFileSync(file, config(fake.baseUrl));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates one callback, then reports it unchanged', async () => {
    const env = { PUBLIC_URL: 'https://escalator.example.com/' };
    const first = await cli(['webhooks', 'register', '--instance', 'acme-cw', '--config', file], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 1, updated: 0, removed: 0 });
    expect(fake.callbacks).toEqual([
      expect.objectContaining({
        url: 'https://escalator.example.com/webhooks/acme-cw?recordId=',
        type: 'ticket',
        level: 'owner',
        inactiveFlag: false,
      }),
    ]);

    const second = await cli(['webhooks', 'register', '--instance', 'acme-cw', '--config', file], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 1, removed: 0 });
    expect(fake.callbacks).toHaveLength(1);
  });

  it('fails with one line without PUBLIC_URL, for an unknown instance, and for a bad sub-command', async () => {
    const noUrl = await cli(['webhooks', 'register', '--instance', 'acme-cw', '--config', file], {});
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr.trim().split('\n')).toHaveLength(1);
    expect(noUrl.stderr).toContain('PUBLIC_URL');

    const unknown = await cli(['webhooks', 'register', '--instance', 'nope', '--config', file], {
      PUBLIC_URL: 'https://x.example.com',
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown instance "nope"');

    const bad = await cli(['webhooks', 'list', '--config', file], { PUBLIC_URL: 'https://x.example.com' });
    expect(bad.code).not.toBe(0);
  });
});
