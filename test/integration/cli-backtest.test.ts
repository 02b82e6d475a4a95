import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { timelineLine } from '../../bench/backtest-data.js';
import type { BacktestResult } from '../../src/backtest/report.js';
import { exampleEnv } from '../fixtures/config/example-env.js';
import { cli, root } from '../fixtures/config/run-cli.js';

// Issue 15: `psa-escalator backtest` and `export` as a user runs them (child process, no Redis, no PSA).

const example = join(root, 'examples/escalator.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'cli-backtest-'));
const text = `${Array.from({ length: 300 }, (_, i) => timelineLine(i)).join('\n')}\n`;
const plain = join(scratch, 'timelines.jsonl');
const gz = join(scratch, 'timelines.jsonl.gz');
writeFileSync(plain, text);
writeFileSync(gz, gzipSync(text));
const variant = join(scratch, 'slower-t1.yaml');
writeFileSync(variant, readFileSync(example, 'utf8').replace('when: { tier: T1, timeInTier: 2h,', 'when: { tier: T1, timeInTier: 4h,'));

const base = ['backtest', '--config', example, '--instance', 'acme-cw'];

/** The CLI with `input` on stdin. */
function withStdin(args: string[], input: Buffer | string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/cli/index.ts'), ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...exampleEnv } });
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
    const a = await cli([...base, '--input', plain, '--json', '--keep-decisions', '100', '--workers', '0'], { ...exampleEnv });
    expect(a.code, a.stderr).toBe(0);
    const b = await cli([...base, '--input', gz, '--json', '--keep-decisions', '100', '--workers', '2'], { ...exampleEnv });
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(a.stdout) as BacktestResult;
    expect(ra.report.tickets).toBe(300);
    expect(ra.report.decisionsTotal).toBeGreaterThan(100);
    expect(ra.report.perRule['t1-timeout']?.fired).toBeGreaterThan(0);
    expect(ra.report.decisions[0]).toMatchObject({ instanceId: 'acme-cw', ticketId: expect.any(String), at: expect.any(String), rule: expect.any(String), kind: expect.any(String), actions: expect.any(Array), reasons: expect.any(Array) });
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toMatch(/simulating 300\/300 \(100 %\) lines/);
  }, 120_000);

  it('reads gzip from stdin (-)', async () => {
    const r = await withStdin([...base, '--input', '-', '--json', '--keep-decisions', '100', '--workers', '0'], gzipSync(text));
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as BacktestResult).report.tickets).toBe(300);
  }, 60_000);

  it('--compare: the summary names what changes, and --out writes a self-contained HTML report', async () => {
    const out = join(scratch, 'report.html');
    const r = await cli([...base, '--input', plain, '--compare', variant, '--out', out, '--workers', '0'], { ...exampleEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Compared with slower-t1\.yaml:standard: moves \d+ → \d+ \(\+\d+ \/ -\d+\), \d+ tickets affected/);
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
    const e = await cli(['export', '--config', example, '--instance', 'acme-cw', '--input', plain, '--out', out], { ...exampleEnv });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain('export: 300 timelines');
    const a = await cli([...base, '--input', plain, '--json', '--keep-decisions', '100', '--workers', '0'], { ...exampleEnv });
    const b = await cli([...base, '--input', out, '--json', '--keep-decisions', '100', '--workers', '0'], { ...exampleEnv });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  }, 90_000);
});
