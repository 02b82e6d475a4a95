import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { run as runReport } from '../../src/cli/report.js';
import { buildMonthlyReport, renderReportHtml } from '../../src/pipeline/metrics/monthly-report.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { FakePsa } from '../helpers/test-psa.js';
import { ingestEvent, INSTANCE, startTestPipeline, testConfig, waitFor } from '../helpers/test-pipeline.js';

// Issue 17, monthly review: data made by the real pipeline (real Redis, workers, fake PSA, injected clock in
// November 2026), read back into the report's JSON and HTML, and the CLI verb writing both files.

let redis: TestRedis;
let fake: FakePsa;
let p: Awaited<ReturnType<typeof startTestPipeline>>;
const clock = Date.parse('2026-11-24T14:00:00Z');
const config = () => testConfig({ psaUrl: fake.url });
const scratch = mkdtempSync(join(tmpdir(), 'report-'));

beforeAll(async () => {
  redis = await startRedis();
  fake = new FakePsa();
  fake.now = () => clock;
  await fake.start();
  p = await startTestPipeline({ redisUrl: redis.url, config: config(), now: () => clock });
});

afterAll(async () => {
  await p.close();
  await fake.stop();
  await redis.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('monthly report', () => {
  it("reports the month's escalations by company and category, the Tier 3 patterns and the reviews", async () => {
    // Three ransomware tickets of Contoso (all → T3), one quiet ticket of Fabrikam.
    for (const [id, title, company] of [
      ['m1', 'Ransomware on laptop', 'Contoso'],
      ['m2', 'ransomware popup', 'Contoso'],
      ['m3', 'ransomware again', 'Contoso'],
      ['m4', 'Printer jam', 'Fabrikam'],
    ] as const) {
      fake.addTicket({ id, queue: '1', title, company, companyName: company, category: ['Security'] });
      await ingestEvent(p, { eventId: `e-${id}`, ticketId: id, action: 'created' }, `r-${id}`);
    }
    const entries = await waitFor(async () => {
      const { items } = await p.read.escalations({ limit: 10 });
      return items.length === 3 &&
        (await Promise.all(['m1', 'm2', 'm3', 'm4'].map((id) => p.stores.tickets.get(INSTANCE, id)))).every(
          (r) => r?.lastDecision && !r.pending,
        )
        ? items
        : undefined;
    }, 15_000);
    await p.read.review!(entries[0]!.id, { appropriate: true });

    const report = await buildMonthlyReport({
      redis: p.redis,
      keys: p.stores.keys,
      config: config(),
      month: '2026-11',
      now: clock,
    });
    const acme = report.instances.find((i) => i.id === INSTANCE)!;
    expect(acme.patterns.escalations).toBe(3);
    expect(acme.patterns.byCompany).toEqual({ Contoso: 3 });
    expect(acme.patterns.byCategory).toEqual({ Security: 3 });
    expect(acme.patterns.tier3.fleetShare).toBe(1);
    expect(acme.patterns.tier3.auditByCategory).toEqual({ Security: 3 });
    // 3 of 4 Security tickets escalated: 75 %, below the 80 % mark.
    expect(acme.patterns.functionalRuleCandidates).toEqual([]);
    expect(report.reviews).toMatchObject({ reviewed: 1, appropriate: 1, rules: [{ rule: 'emergency', reviewed: 1 }] });
    const html = renderReportHtml(report);
    expect(html).toContain('Escalation review — 2026-11');
    expect(html).toContain('<td>Contoso</td><td>3</td>');
    expect(html).not.toContain('<script');

    // An empty month has no escalations.
    const october = await buildMonthlyReport({
      redis: p.redis,
      keys: p.stores.keys,
      config: config(),
      month: '2026-10',
      now: clock,
    });
    expect(october.instances[0]!.patterns.escalations).toBe(0);
  }, 30_000);

  it('the CLI verb writes the JSON and HTML files, and refuses a bad month', async () => {
    const out: string[] = [];
    const io = {
      env: { REDIS_URL: redis.url },
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
      cwd: scratch,
      now: () => new Date(clock),
    };
    expect(await runReport(['--month', '2026-11', '--out', 'r'], io)).toBe(0);
    const json = JSON.parse(readFileSync(join(scratch, 'r', 'escalation-review-2026-11.json'), 'utf8')) as {
      month: string;
    };
    expect(json.month).toBe('2026-11');
    expect(readFileSync(join(scratch, 'r', 'escalation-review-2026-11.html'), 'utf8')).toContain('<!doctype html>');
    await expect(runReport(['--month', '2026-13'], io)).rejects.toThrow(/--month: expected YYYY-MM/);
  }, 30_000);
});
