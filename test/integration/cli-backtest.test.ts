import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

import { timelineLine } from '../../bench/backtest-data.js';
import type { BacktestResult } from '../../src/backtest/report.js';
import { EvaluateTicketSchema } from '../../src/engine/index.js';
import { createKeys } from '../../src/store/keys.js';
import { TimelineStore } from '../../src/store/timeline-store.js';
import { exampleEnv } from '../fixtures/config/example-env.js';
import { cli, root } from '../fixtures/config/run-cli.js';
import { startRedis } from '../helpers/redis.js';

// Issue 15: `psa-escalator backtest` and `export` as a user runs them (child process, no Redis, no PSA).

const example = join(root, 'examples/escalator.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'cli-backtest-'));
// Small enough for the CLI helper's 30 s limit on a loaded machine, large enough for every rule to fire.
const text = `${Array.from({ length: 120 }, (_, i) => timelineLine(i)).join('\n')}\n`;
const plain = join(scratch, 'timelines.jsonl');
const gz = join(scratch, 'timelines.jsonl.gz');
writeFileSync(plain, text);
writeFileSync(gz, gzipSync(text));
const variant = join(scratch, 'slower-t1.yaml');
writeFileSync(
  variant,
  readFileSync(example, 'utf8').replace('when: { tier: T1, timeInTier: 2h,', 'when: { tier: T1, timeInTier: 4h,'),
);

const base = ['backtest', '--config', example, '--instance', 'acme-cw'];

/** The CLI with `input` on stdin. */
function withStdin(
  args: string[],
  input: Buffer | string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/cli/index.ts'), ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...exampleEnv },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('psa-escalator backtest / export (child process)', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('--json: the same report from a plain file in this thread and from gzip on 2 worker threads (deterministic)', async () => {
    const a = await cli([...base, '--input', plain, '--json', '--keep-decisions', '100', '--workers', '0'], {
      ...exampleEnv,
    });
    expect(a.code, a.stderr).toBe(0);
    const b = await cli(
      [...base, '--input', gz, '--json', '--keep-decisions', '100', '--workers', '2', '--batch-size', '16'],
      { ...exampleEnv },
    );
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(a.stdout) as BacktestResult;
    expect(ra.report.tickets).toBe(120);
    expect(ra.report.decisionsTotal).toBeGreaterThan(100);
    expect(ra.report.perRule['t1-timeout']?.fired).toBeGreaterThan(0);
    expect(ra.report.decisions[0]).toMatchObject({
      instanceId: 'acme-cw',
      ticketId: expect.any(String),
      at: expect.any(String),
      rule: expect.any(String),
      kind: expect.any(String),
      actions: expect.any(Array),
      reasons: expect.any(Array),
    });
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toMatch(/simulating 120\/120 \(100 %\) lines/);
  }, 120_000);

  it('reads gzip from stdin (-)', async () => {
    const r = await withStdin(
      [...base, '--input', '-', '--json', '--keep-decisions', '100', '--workers', '0'],
      gzipSync(text),
    );
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as BacktestResult).report.tickets).toBe(120);
  }, 60_000);

  it('--compare: the summary names what changes, and --out writes a self-contained HTML report', async () => {
    const out = join(scratch, 'report.html');
    const r = await cli([...base, '--input', plain, '--compare', variant, '--out', out, '--workers', '0'], {
      ...exampleEnv,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /Compared with slower-t1\.yaml:standard: moves \d+ → \d+ \(\+\d+ \/ -\d+\), \d+ tickets affected/,
    );
    expect(r.stdout).toMatch(/t1-timeout: \d+ → \d+ \(-\d+\)/);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5);
    // Nothing to fetch: no script, stylesheet, image or font from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(html).toContain('Compared with slower-t1.yaml:standard');
  }, 60_000);

  it('a bad line stops the run with one line naming it, exit 1', async () => {
    const bad = join(scratch, 'bad.jsonl');
    writeFileSync(bad, `${timelineLine(1)}\n{"instance":"acme-cw","snapshots":[]}\n`);
    const r = await cli([...base, '--input', bad, '--workers', '0'], { ...exampleEnv });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('line 2: snapshots: Too small: expected array to have >=1 items');
    const missing = await cli([...base, '--input', join(scratch, 'nope.jsonl')], { ...exampleEnv });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.jsonl: file not found');
    const none = await cli([...base], { ...exampleEnv });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('give exactly one source');
  }, 60_000);

  it('export writes normalized timelines (gzip by extension) that backtest reads back to the same report', async () => {
    const out = join(scratch, 'export.jsonl.gz');
    const e = await cli(['export', '--config', example, '--instance', 'acme-cw', '--input', plain, '--out', out], {
      ...exampleEnv,
    });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain('export: 120 timelines');
    const a = await cli([...base, '--input', plain, '--json', '--keep-decisions', '100', '--workers', '0'], {
      ...exampleEnv,
    });
    const b = await cli([...base, '--input', out, '--json', '--keep-decisions', '100', '--workers', '0'], {
      ...exampleEnv,
    });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  }, 90_000);
});

describe('psa-escalator backtest / export --from-history (child process, real Redis)', () => {
  it('reads the snapshots the service observed: only tickets changed within --since, the window ending now', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    try {
      const store = new TimelineStore(client, createKeys());
      const now = Date.now();
      const ticket = (id: string, createdAt: number, status: string) =>
        EvaluateTicketSchema.parse({
          ref: { instance: 'acme-cw', psa: 'connectwise', id },
          title: 'Printer offline',
          status,
          priority: 'P3',
          company: { id: '19', name: 'Acme' },
          location: { queue: { id: '1' }, team: { id: '3' } },
          owner: 't1.sam',
          createdAt: new Date(createdAt).toISOString(),
          firstRespondedAt: new Date(createdAt).toISOString(),
        });
      // Two tickets seen in the last 3 days (one still open: its T1 timeout falls inside the window), one 60 days ago.
      const recent = now - 3 * 86_400_000;
      await store.observe('acme-cw', ticket('1', recent, 'open'), recent, undefined);
      await store.observe('acme-cw', ticket('2', recent, 'open'), recent, undefined);
      await store.observe('acme-cw', ticket('2', recent, 'resolved'), recent + 600_000, ticket('2', recent, 'open'));
      // An unchanged read is not stored again.
      await store.observe(
        'acme-cw',
        ticket('2', recent, 'resolved'),
        recent + 700_000,
        ticket('2', recent, 'resolved'),
      );
      const old = now - 60 * 86_400_000;
      await store.observe('acme-cw', ticket('3', old, 'open'), old, undefined);
      expect(await store.snapshots('acme-cw', '2')).toHaveLength(2);

      const env = { ...exampleEnv, REDIS_URL: redis.url };
      const r = await cli(
        [...base, '--from-history', '--since', '30d', '--json', '--keep-decisions', '100', '--workers', '0'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      const report = (JSON.parse(r.stdout) as BacktestResult).report;
      expect(report.tickets).toBe(2);
      expect(report.decisions.filter((d) => d.ticketId === '1').map((d) => d.rule)).toContain('t1-timeout');
      expect(report.decisions.filter((d) => d.ticketId === '2')).toEqual([]);
      const e = await cli(
        ['export', '--config', example, '--instance', 'acme-cw', '--from-history', '--since', '30d'],
        env,
      );
      expect(e.code, e.stderr).toBe(0);
      expect(
        e.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { snapshots: unknown[] }).snapshots.length),
      ).toEqual([1, 2]);
      const noRedis = await cli([...base, '--from-history'], { ...exampleEnv });
      expect(noRedis.code).toBe(1);
      expect(noRedis.stderr).toContain('set REDIS_URL');
    } finally {
      client.disconnect();
      await redis.close();
    }
  }, 90_000);
});
