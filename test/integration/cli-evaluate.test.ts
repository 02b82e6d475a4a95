import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { Decision } from '../../src/contract/index.js';
import { exampleEnv, fixturesDir } from '../fixtures/config/example-env.js';
import { cli, root } from '../fixtures/config/run-cli.js';

const example = join(root, 'examples/escalator.yaml');
const ticketFile = join(fixturesDir, 'ticket-t1-timeout.json');

describe('psa-escalator evaluate (child process, no Redis)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cli-eval-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints the Decision JSON on stdout and the rendered handoff note on stderr', async () => {
    const r = await cli(['evaluate', '--config', example, '--instance', 'acme-cw', '--ticket', ticketFile], {
      ...exampleEnv,
    });
    expect(r.code).toBe(0);
    const decision = JSON.parse(r.stdout) as Decision;
    const reassign = decision.actions.find((a) => a.type === 'reassign');
    expect(reassign).toMatchObject({ rule: 't1-timeout', tier: 'T2', group: 'tier2', location: { board: 1, team: 4 } });
    expect(decision.reasons[0]).toMatchObject({ rule: 't1-timeout', matched: { timeInTier: 150, threshold: 120 } });
    expect(r.stderr).toContain('--- internal note · rule t1-timeout · handoff ---');
    expect(r.stderr).toContain('Printer offline on floor 3');
  });

  it('--at overrides the file instant (30 minutes earlier nothing fires; nextCheckAt is the 2h mark)', async () => {
    const r = await cli(
      [
        'evaluate',
        '--config',
        example,
        '--instance',
        'acme-cw',
        '--ticket',
        ticketFile,
        '--at',
        '2026-11-24T14:30:00Z',
      ],
      { ...exampleEnv },
    );
    expect(r.code).toBe(0);
    const decision = JSON.parse(r.stdout) as Decision;
    expect(decision.actions).toEqual([]);
    expect(decision.nextCheckAt).toBe('2026-11-24T15:00:00Z');
    expect(r.stderr).toBe('');
  });

  it('uses the instance mapping, not ticket.ref.instance (Halo team names)', async () => {
    const halo = join(scratch, 'halo.json');
    writeFileSync(
      halo,
      JSON.stringify({
        title: 'Ransomware note on the file server',
        status: 'open',
        priority: 'P2',
        company: 'Initech',
        createdAt: '2026-11-24T14:00:00Z',
        location: { team: { id: '1', name: '1st line support' } },
      }),
    );
    // No --config and an empty cwd: the built-in config (same policy and mapping as the example).
    const r = await cli(
      ['evaluate', '--instance', 'initech-halo', '--ticket', halo, '--at', '2026-11-24T14:05:00Z'],
      {},
      scratch,
    );
    expect(r.code).toBe(0);
    const decision = JSON.parse(r.stdout) as Decision;
    expect(decision.actions.find((a) => a.type === 'reassign')).toMatchObject({
      rule: 'emergency-security',
      tier: 'T3',
      location: { team: 'Security' },
    });
  });

  it('exits 1 with one line per problem on an invalid ticket', async () => {
    const bad = join(scratch, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        ticket: { status: 'opened', priority: 'P2', company: 'Acme', createdAt: 'yesterday', tier: 'T1' },
      }),
    );
    const r = await cli(['evaluate', '--instance', 'acme-cw', '--ticket', bad], {}, scratch);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContain('ticket.title: is required');
    expect(lines.some((l) => l.startsWith('ticket.status: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('ticket.createdAt: '))).toBe(true);
  });

  it('exits 1 with one line for a missing file, bad JSON, an unknown instance, a bad --at or a missing flag', async () => {
    const notJson = join(scratch, 'x.json');
    writeFileSync(notJson, '{ nope');
    const cases = [
      [['evaluate', '--instance', 'acme-cw', '--ticket', join(scratch, 'none.json')], /none\.json: file not found/],
      [['evaluate', '--instance', 'acme-cw', '--ticket', notJson], /x\.json: not valid JSON/],
      [
        ['evaluate', '--instance', 'nope', '--ticket', ticketFile],
        /--instance: unknown instance "nope" \(known: acme-cw, globex-at, initech-halo\)/,
      ],
      [
        ['evaluate', '--instance', 'acme-cw', '--ticket', ticketFile, '--at', 'tomorrow'],
        /--at: expected an RFC 3339 instant/,
      ],
      [['evaluate', '--ticket', ticketFile], /--instance ID is required/],
    ] as const;
    for (const [args, pattern] of cases) {
      const r = await cli([...args], {}, scratch);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
  });
});
