import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { exampleEnv, fixturesDir } from '../fixtures/config/example-env.js';
import { cli, root } from '../fixtures/config/run-cli.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const example = join(root, 'examples/escalator.yaml');

describe('psa-escalator check-config (child process)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cli-check-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('exits 0 with a one-line summary on the example config with its env vars set', async () => {
    const r = await cli(['check-config', example], { ...exampleEnv });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout).toContain(
      `${example}: OK · 3 instances [acme-cw (connectwise, enforce), globex-at (autotask, enforce), initech-halo (halo, enforce)]`,
    );
  });

  it('exits 1 with exactly one line per problem (path and line) on a bad file', async () => {
    const r = await cli(['check-config', join(fixturesDir, 'bad.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(lines(readFileSync(join(fixturesDir, 'bad.expected.txt'), 'utf8')));
  });

  it('prints the docs/spec.md §6 example problem for a bad duration in the example policy', async () => {
    const file = join(scratch, 'bad-duration.yaml');
    const text = readFileSync(example, 'utf8').replace('timeInTier: 2h, status', 'timeInTier: two hours, status');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('two hours')) + 1;
    const r = await cli(['check-config', file], { ...exampleEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `policies.standard.rules[4].when.timeInTier: expected a duration like "2h", got "two hours" (line ${line})\n`,
    );
  });

  it('names every missing ${VAR} of the example and exits 1', async () => {
    const r = await cli(['check-config', example], { ...exampleEnv, AT_SECRET: '', HALO_CLIENT_ID: '' });
    expect(r.code).toBe(1);
    // Line numbers read from the file: adding a commented key to the example must not break this test.
    const lineOf = (t: string) =>
      readFileSync(example, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes(t)) + 1;
    expect(lines(r.stderr)).toEqual([
      `instances[1].connection.secret: environment variable AT_SECRET is empty (line ${lineOf('${AT_SECRET}')})`,
      `instances[2].connection.clientId: environment variable HALO_CLIENT_ID is empty (line ${lineOf('${HALO_CLIENT_ID}')})`,
    ]);
  });

  it('warns (one line naming the path) when a ConnectWise instance has no connection.apiMember, and still exits 0', async () => {
    const file = join(scratch, 'no-api-member.yaml');
    const text = readFileSync(example, 'utf8');
    const without = text
      .split('\n')
      .filter((l) => !/^\s+apiMember:/.test(l))
      .join('\n');
    expect(without).not.toBe(text);
    writeFileSync(file, without);
    const r = await cli(['check-config', file], { ...exampleEnv });
    expect(r.code).toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^warning: instances\[0\]\.connection\.apiMember: not set: /);
    expect(r.stderr).toContain('marker');
  });

  it('defaults to $CONFIG_FILE, then ./escalator.yaml', async () => {
    const viaEnv = await cli(['check-config'], { ...exampleEnv, CONFIG_FILE: example });
    expect(viaEnv.code).toBe(0);
    writeFileSync(join(scratch, 'escalator.yaml'), readFileSync(join(fixturesDir, 'minimal.yaml')));
    const viaCwd = await cli(['check-config'], {}, scratch);
    expect(viaCwd.code).toBe(0);
    expect(viaCwd.stdout).toMatch(/^escalator\.yaml: OK · 3 instances/);
    expect(lines(viaCwd.stderr)).toEqual([
      'warning: instances[2].mapping.members: member "bob" of group tier2 has no entry, so it can\'t be assigned in this halo instance (line 55)',
    ]);
    mkdirSync(join(scratch, 'empty'));
    const none = await cli(['check-config'], {}, join(scratch, 'empty'));
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('escalator.yaml: file not found\n');
  });

  it('checks the built-in config with an empty environment', async () => {
    const r = await cli(['check-config', '--builtin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^built-in: OK · 3 instances \[acme-cw \(connectwise, observe\)/);
  });

  it('reports a bad environment variable as one line, and fails', async () => {
    const r = await cli(['check-config', example], { ...exampleEnv, PORT: 'http' });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['PORT: expected a port number 0-65535, got "http"']);
  });

  it('fails with one line on an unknown command or flag', async () => {
    const verb = await cli(['check-confg']);
    expect(verb.code).toBe(1);
    expect(lines(verb.stderr)).toEqual([
      'psa-escalator: unknown command "check-confg" (run `psa-escalator --help` for the list)',
    ]);
    const flag = await cli(['check-config', '--strict']);
    expect(flag.code).toBe(1);
    expect(lines(flag.stderr)).toHaveLength(1);
  });
});
