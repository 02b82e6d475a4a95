import { Redis } from 'ioredis';

import { ConnectorError, err, ok } from '../../src/contract/index.js';
import type { ActionResult, AnyConnector } from '../../src/contract/index.js';
import type { AppConfig } from '../../src/config/types.js';
import { createRuntimes } from '../../src/pipeline/outbound/instance-runtime.js';
import { createEscalationMetricsService } from '../../src/pipeline/metrics/escalation-metrics-service.js';
import { createPolicyEngine } from '../../src/pipeline/policy/policy-engine.js';
import { processTicket } from '../../src/pipeline/process/process-ticket.js';
import type { Outcome } from '../../src/pipeline/process/process-ticket.js';
import type { ProcessorDeps } from '../../src/pipeline/process/processor-deps.js';
import { createStores } from '../../src/store/stores.js';
import type { Stores } from '../../src/store/stores.js';
import { policyFacts } from '../../src/store/ticket-counters.js';
import { MetricsHistoryStore } from '../../src/store/metrics-history-store.js';

import { INSTANCE, quietLog, testConfig } from './test-pipeline.js';
import type { TestConfigOptions } from './test-pipeline.js';
import { testConnector } from './test-connector.js';
import type { FakeNote, FakeTicket } from './test-psa.js';

/**
 * The ticket processor of the real pipeline (`processTicket`: fetch → state → engine → audit → write-back → state,
 * schedule, counters, escalation-metrics history) on a real Redis, with a PSA that answers in-process at once.
 * What it leaves out is the transport only: the webhook route and the BullMQ hop (a job per evaluation). Used where
 * tens of thousands of ticket lifecycles must fit in seconds (bounded-Redis test, `bench/redis-memory.ts`).
 */
export interface InstantPipeline {
  redis: Redis;
  stores: Stores;
  /** The PSA's tickets (the fake reads and writes them in place). */
  psa: Map<string, FakeTicket>;
  /** One evaluation of one ticket, as a `tickets` job would run it. */
  evaluate(ticketId: string): Promise<Outcome>;
  close(): Promise<void>;
}

function applyInPlace(psa: Map<string, FakeTicket>, plan: Parameters<AnyConnector['applyActions']>[1]): ActionResult[] {
  const t = psa.get(plan.ticketId);
  const out: ActionResult[] = [];
  if (plan.reassign) {
    const queue = plan.reassign.location.queue;
    if (t && queue !== undefined) t.queue = String(queue);
    if (t && typeof plan.reassign.owner === 'string') t.owner = plan.reassign.owner;
    out.push({ actionId: plan.reassign.actionId, action: 'reassign', status: 'applied' });
  }
  if (plan.priority) {
    if (t) t.priority = Number(plan.priority.id);
    out.push({ actionId: plan.priority.actionId, action: 'priority', status: 'applied' });
  }
  for (const n of plan.notes) {
    if (plan.verify && t?.notes.some((x) => x.text.includes(n.marker))) {
      out.push({ actionId: n.actionId, action: 'note', status: 'skipped' });
      continue;
    }
    const note: FakeNote = {
      id: `${plan.ticketId}-${t?.notes.length ?? 0}`,
      text: `${n.text}\n\n${n.marker}`,
      internal: n.visibility === 'internal',
      at: new Date().toISOString(),
      author: 'escalator-api',
    };
    t?.notes.unshift(note);
    out.push({ actionId: n.actionId, action: 'note', status: 'applied' });
  }
  if (t) t.updatedAt = new Date(Math.max(Date.now(), Date.parse(t.updatedAt) + 1)).toISOString();
  return out;
}

/** The test connector's normalize over an in-memory PSA: no HTTP, no rate limiter, no latency. */
function instantConnector(psa: Map<string, FakeTicket>): AnyConnector {
  return {
    ...testConnector,
    async fetchTicket(_ctx, ticketId) {
      const t = psa.get(ticketId);
      return t
        ? ok({ ticket: structuredClone(t), notes: structuredClone(t.notes) })
        : err(new ConnectorError('not_found', 'no such ticket'));
    },
    async applyActions(_ctx, plan) {
      return applyInPlace(psa, plan);
    },
  };
}

export async function startInstantPipeline(
  redisUrl: string,
  options: Omit<TestConfigOptions, 'psaUrl'> = {},
): Promise<InstantPipeline> {
  const config: AppConfig = testConfig({ psaUrl: 'http://127.0.0.1:9', ...options });
  const psa = new Map<string, FakeTicket>();
  const connectors = { connectwise: instantConnector(psa) };
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const log = quietLog();
  const stores = createStores(redis, config);
  const history = new MetricsHistoryStore(redis, stores.keys, { retentionMs: config.retention.auditMs });
  const facts = policyFacts(config.policies['standard']!, config.groups);
  const deps: ProcessorDeps = {
    ...stores,
    runtimes: createRuntimes({ config, connectors, redis, keys: stores.keys, log }),
    engine: createPolicyEngine(config, connectors),
    facts: () => facts,
    notify: async () => undefined,
    escalationMetrics: createEscalationMetricsService({ store: history, config, log }),
    log,
    now: Date.now,
  };
  return {
    redis,
    stores,
    psa,
    evaluate: (ticketId) => processTicket(deps, { instanceId: INSTANCE, ticketId, trigger: 'webhook', retry: false }),
    close: async () => {
      redis.disconnect();
    },
  };
}

/** Counts the keys matching `pattern` (SCAN, never KEYS). */
export async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    n += batch.length;
  } while (cursor !== '0');
  return n;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
