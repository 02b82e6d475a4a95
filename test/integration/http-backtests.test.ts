import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { timelineLine } from '../../bench/backtest-data.js';
import { runBacktest } from '../../src/backtest/run.js';
import { backtestSpec } from '../../src/backtest/setup.js';
import { parse } from 'yaml';

import { BUILTIN_CONFIG_YAML, loadBuiltinConfig } from '../../src/config/index.js';
import type { AppConfig } from '../../src/config/types.js';
import { connectors } from '../../src/connectors.js';
import { ADMIN_TOKEN, build, type Built } from '../helpers/build.js';
import { waitFor } from '../helpers/test-pipeline.js';

// Issue 15: POST /api/backtests (asynchronous job with progress) and GET /api/backtests/:id, on the real app with the
// built-in config (the example policy), over real HTTP. The job runs on a worker thread, as in production.

let h: Built;
let config: AppConfig;
let base: string;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const timelines = Array.from({ length: 40 }, (_, i) => JSON.parse(timelineLine(i)) as unknown);

beforeAll(async () => {
  const loaded = loadBuiltinConfig(connectors);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  config = loaded.value;
  h = await build({ config, connectors, now: () => new Date('2026-12-06T12:00:00Z') });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = h.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => h.app.close());

interface Res {
  statusCode: number;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-local response reader
}
async function call(
  method: string,
  path: string,
  payload?: unknown,
  headers: Record<string, string> = auth,
): Promise<Res> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  const body = await res.text();
  return { statusCode: res.status, body, json: () => JSON.parse(body) };
}
const post = (payload: unknown) => call('POST', '/api/backtests', payload);
const get = (id: string) => call('GET', `/api/backtests/${id}`);

async function finished(id: string): Promise<{
  status: string;
  progress: { phase: string; lines: number; total?: number };
  result?: {
    report: { tickets: number; decisions: unknown[] };
    compare?: { comparison: { rules: { rule: string; delta: number }[]; ticketsAffected: number } };
  };
  error?: string;
}> {
  let body: Awaited<ReturnType<typeof finished>> | undefined;
  await waitFor(
    async () => {
      body = (await get(id)).json();
      return body!.status !== 'running';
    },
    60_000,
    100,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}: last ${JSON.stringify(body)}`);
  });
  return body!;
}

describe('POST /api/backtests + GET /api/backtests/:id', () => {
  it('runs a job over timelines in the body: 202, then progress, then the same report the CLI core computes', async () => {
    const res = await post({ instanceId: 'acme-cw', source: { kind: 'timelines', timelines }, keepDecisions: 10_000 });
    expect(res.statusCode).toBe(202);
    const job = res.json();
    expect(job).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      instanceId: 'acme-cw',
      status: 'running',
      progress: { phase: 'index' },
    });
    const done = await finished(job.id);
    expect(done.status, done.error).toBe('done');
    expect(done.progress).toEqual({ phase: 'simulate', lines: 40, total: 40 });
    const spec = backtestSpec({ config, instanceId: 'acme-cw', keepDecisions: 10_000 });
    if (!spec.ok) throw new Error(spec.error);
    const direct = await runBacktest(
      async function* () {
        yield* timelines.map((t) => JSON.stringify(t));
      },
      spec.value,
      { workers: 0 },
    );
    expect(done.result!.report).toEqual(JSON.parse(JSON.stringify(direct.report)));
    expect(done.result!.report.tickets).toBe(40);
  }, 90_000);

  it('compares with a candidate policy given as JSON (t1-timeout after 4 h instead of 2 h)', async () => {
    // The policy block as written in escalator.yaml (YAML units: "2h", business minutes), sent as JSON.
    const slower = (
      parse(BUILTIN_CONFIG_YAML) as {
        policies: Record<string, { rules: { id: string; when: Record<string, unknown> }[] }>;
      }
    ).policies['standard']!;
    for (const r of slower.rules) if (r.id === 't1-timeout') r.when['timeInTier'] = '4h';
    const res = await post({ instanceId: 'acme-cw', source: { kind: 'timelines', timelines }, compare: slower });
    expect(res.statusCode, res.body).toBe(202);
    const done = await finished(res.json().id);
    expect(done.status, done.error).toBe('done');
    const t1 = done.result!.compare!.comparison.rules.find((r) => r.rule === 't1-timeout');
    expect(t1!.delta).toBeLessThanOrEqual(0);
    // The T1 timeouts that still fire do so 2 business hours later: those moves differ.
    expect(done.result!.compare!.comparison.ticketsAffected).toBeGreaterThan(0);
  }, 90_000);

  it('bad input is a 400 naming the field; unknown instance and job are 404; history without the store is 503', async () => {
    const bad = await post({
      instanceId: 'acme-cw',
      source: { kind: 'timelines', timelines: [{ instance: 'acme-cw', snapshots: [] }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toContain('snapshots');
    const badPolicy = await post({
      instanceId: 'acme-cw',
      source: { kind: 'timelines', timelines },
      policy: {
        ...(parse(BUILTIN_CONFIG_YAML) as { policies: Record<string, object> }).policies['standard'],
        calendar: 'nope',
      },
    });
    expect(badPolicy.statusCode).toBe(400);
    expect((await post({ instanceId: 'nope', source: { kind: 'timelines', timelines } })).statusCode).toBe(404);
    expect((await get('0123456789abcdef')).statusCode).toBe(404);
    expect((await post({ instanceId: 'acme-cw', source: { kind: 'history' } })).statusCode).toBe(503);
    expect((await call('GET', '/api/backtests/0123456789abcdef', undefined, {})).statusCode).toBe(401);
  });
});
