import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { freePort } from '../helpers/redis.js';
import { waitFor } from '../helpers/test-pipeline.js';

// Issue 9 "Must show" 1 / docs/spec.md §6 `demo [--exit]`: the demo as a user runs it, in a child process (tsx), with no
// Redis, config or credentials given: every PSA sandbox receives at least one escalation, and GET /api/escalations
// with the printed token lists them with their reasons.

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');
const cli = join(root, 'src/cli/index.ts');

/** Environment without anything from the developer's shell that the demo would honour. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const drop = new Set([
    'REDIS_URL',
    'CONFIG_FILE',
    'PORT',
    'HOST',
    'DATA_DIR',
    'ADMIN_TOKEN',
    'PUBLIC_URL',
    'LOG_LEVEL',
  ]);
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.has(k))), ...extra };
}

interface Child {
  proc: ChildProcessByStdio<null, Readable, Readable>;
  exited: Promise<number | null>;
  out: () => string;
  err: () => string;
}

function startDemo(args: string[], env: Record<string, string>): Child {
  const proc = spawn(tsx, [cli, 'demo', ...args], { cwd: root, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exited, out: () => out, err: () => err };
}

/** Summary rows: PSA name → columns (tickets, escalations written, notes…, duplicates, echoes). */
function summaryRows(out: string): Record<string, string[]> {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('PSA '));
  const rows: Record<string, string[]> = {};
  for (const line of lines.slice(start + 2, start + 5)) {
    const cells = line.trim().split(/\s{2,}/);
    rows[cells[0]!] = cells.slice(1);
  }
  return rows;
}

function expectEscalationsInEverySandbox(out: string): void {
  const rows = summaryRows(out);
  expect(Object.keys(rows).sort()).toEqual(['Autotask', 'ConnectWise', 'HaloPSA']);
  for (const [psa, cells] of Object.entries(rows)) {
    expect(Number(cells[1]), `${psa} escalations written`).toBeGreaterThanOrEqual(1);
    expect(Number(cells[3]), `${psa} duplicates dropped`).toBeGreaterThanOrEqual(1);
  }
}

describe('psa-escalator demo (child process)', () => {
  it('--exit: plays the story against the three sandboxes, verifies /api/escalations itself and exits 0', async () => {
    const port = await freePort();
    const child = startDemo(['--exit'], { PORT: String(port) });
    const code = await child.exited;
    expect(code, `stdout:\n${child.out()}\nstderr:\n${child.err()}`).toBe(0);
    const out = child.out();
    expectEscalationsInEverySandbox(out);
    // The live log names the PSA, ticket, rule and move, and quotes the handoff note.
    expect(out).toMatch(/ConnectWise #1002 {2}rule emergency-security \(emergency\): text matches "ransomware"/);
    expect(out).toMatch(/ConnectWise #1001 {2}rule t1-timeout \(tiered\)/);
    expect(out).toMatch(/Autotask #351201 {2}rule vip-fast-lane/);
    expect(out).toMatch(/Autotask #351202 {2}rule orphan/);
    expect(out).toMatch(/Autotask #351205 {2}rule recurring-incident/);
    expect(out).toMatch(/HaloPSA #4101 {2}rule sla-breach[^\n]*\n[^\n]*customer note/);
    expect(out).toMatch(/✎ "Escalation handoff: T1 → T3 Customer: Contoso Dental/);
    expect(out).toMatch(
      /✔ GET \/api\/escalations lists the applied escalations with their reasons: acme-cw [1-9]\d*, globex-at [1-9]\d*, initech-halo [1-9]\d*/,
    );
  }, 60_000);

  it('without --exit: keeps serving /api with the printed token (401 without it) until Ctrl-C, then exits 0', async () => {
    const port = await freePort();
    const child = startDemo([], { PORT: String(port) });
    try {
      await waitFor(() => child.out().includes('Ctrl-C stops'), 55_000, 200).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout:\n${child.out()}\nstderr:\n${child.err()}`);
      });
      const token = /Token: +(\S+) +\(generated/.exec(child.out())?.[1];
      expect(token).toBeDefined();
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/api/escalations`)).status).toBe(401);
      const res = await fetch(`${base}/api/escalations?limit=500`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const { items } = (await res.json()) as {
        items: {
          instanceId: string;
          psa: string;
          decision: {
            actions: { type: string }[];
            reasons: { rule: string; kind: string; matched: Record<string, unknown> }[];
          };
          results: { action: string; status: string }[];
        }[];
      };
      for (const instance of ['acme-cw', 'globex-at', 'initech-halo']) {
        const moved = items.filter(
          (e) => e.instanceId === instance && e.decision.actions.some((a) => a.type === 'reassign'),
        );
        expect(moved.length, instance).toBeGreaterThanOrEqual(1);
        for (const e of moved) {
          expect(e.results).toContainEqual(expect.objectContaining({ action: 'reassign', status: 'applied' }));
          expect(e.decision.reasons.length).toBeGreaterThanOrEqual(1);
          expect(e.decision.reasons[0]).toMatchObject({
            rule: expect.any(String),
            kind: expect.any(String),
            matched: expect.any(Object),
          });
        }
      }
      expect((await fetch(`${base}/docs`)).status).toBeLessThan(400);
      expectEscalationsInEverySandbox(child.out());
    } finally {
      child.proc.kill('SIGINT');
    }
    expect(await child.exited).toBe(0);
  }, 60_000);
});
