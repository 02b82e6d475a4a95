import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import pino from 'pino';

import type { Logger } from '../contract/index.js';
import { createEscalationMetricsService } from '../pipeline/metrics/escalation-metrics-service.js';
import { buildMonthlyReport, monthWindow, renderReportHtml } from '../pipeline/metrics/monthly-report.js';
import { createKeys } from '../store/keys.js';
import { MetricsHistoryStore } from '../store/metrics-history-store.js';
import { closeRedis, createRedis, waitReady } from '../store/redis.js';

import { UsageError, parseFlags } from './args.js';
import type { CliIo } from './args.js';
import { loadCliConfigOrReport } from './load-config.js';

export const usage = `Usage: psa-escalator report --month YYYY-MM [--out DIR] [--config FILE]

Writes the monthly escalation review from the data in Redis ($REDIS_URL): per instance the escalation KPIs, the
breakdowns by company, category, hour of day and weekday, the patterns to look at (Tier 3 share above the fleet,
categories escalating >= 80 % = functional-rule candidates, the Tier 3 audit by category), the weekly reviews'
verdicts and the RCA status. Files: DIR/escalation-review-YYYY-MM.json and .html (DIR default: ./reports).

  --month YYYY-MM  the calendar month (UTC)
  --out DIR        output folder (created when missing)
  --config FILE    configuration (default: $CONFIG_FILE, else ./escalator.yaml, else the built-in config)
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, {
    month: { type: 'string' },
    out: { type: 'string' },
    config: { type: 'string' },
  });
  if (values.month === undefined) throw new UsageError('--month YYYY-MM is required');
  const w = monthWindow(values.month);
  if (!w) throw new UsageError(`--month: expected YYYY-MM, got ${JSON.stringify(values.month)}`);
  const loaded = loadCliConfigOrReport(io, values.config);
  if (!loaded) return 1;
  const { env, config } = loaded;
  if (!env.redisUrl) throw new UsageError("REDIS_URL is required (the report reads the service's Redis)");
  const log = pino({ level: 'silent' }) as unknown as Logger;
  const redis = createRedis({ url: env.redisUrl, role: 'client', name: 'psa-escalator:report', log });
  try {
    await waitReady(redis);
    const keys = createKeys();
    const now = io.now().getTime();
    const metrics = createEscalationMetricsService({
      store: new MetricsHistoryStore(redis, keys, { retentionMs: config.retention.auditMs, now: () => now }),
      config,
      log,
    });
    const report = await buildMonthlyReport({
      redis,
      keys,
      config,
      month: values.month,
      now,
      kpis: async (instance, from, to) => metrics.query({ instance, from, to }).catch(() => null),
    });
    const dir = resolve(io.cwd, values.out ?? 'reports');
    mkdirSync(dir, { recursive: true });
    const base = resolve(dir, `escalation-review-${values.month}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.html`, renderReportHtml(report));
    io.stdout.write(`${base}.json\n${base}.html\n`);
    return 0;
  } finally {
    await closeRedis(redis);
  }
}
