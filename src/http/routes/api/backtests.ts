import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import type { BacktestSpec } from '../../../backtest/engine-core.js';
import { BacktestJobs, TooManyBacktests } from '../../../backtest/jobs.js';
import type { BacktestJob } from '../../../backtest/jobs.js';
import { BacktestResultSchema } from '../../../backtest/report.js';
import type { LineSource } from '../../../backtest/run.js';
import { PsaBudget } from '../../../backtest/psa-budget.js';
import { lazyPsaSource } from '../../../backtest/psa-source.js';
import { historySource, parseSince } from '../../../backtest/sources.js';
import { TimelineSchema } from '../../../backtest/timeline.js';
import { InstantSchema, PolicySchema } from '../../../contract/index.js';
import type { HttpClient, Policy } from '../../../contract/index.js';
import { PolicyCompileError, compilePolicy } from '../../../engine/index.js';
import { inLane } from '../../../pipeline/outbound/rate-lanes.js';
import { buildCompileInput } from '../../../pipeline/policy/compile-input.js';
import { HttpError, notFoundError } from '../../errors.js';
import { errorResponses } from '../../schemas/common.js';
import type { AppServices, KnownInstance } from '../../services.js';

import { apiDoc, knownInstance } from './common.js';

/**
 * Backtests for the console (issue 15, docs/backtest.md): `POST /api/backtests` starts an asynchronous job over the
 * service's observed history or timelines in the body, `GET /api/backtests/:id` reports its progress and, once done,
 * the report. The simulation is src/backtest (the same as `psa-escalator backtest`); this file only adapts HTTP.
 */

const BacktestRequestSchema = z.object({
  instanceId: z.string().min(1),
  source: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('history'),
      since: z.string().default('30d').describe('a duration back from now (30d, 12h) or an instant'),
    }),
    z.object({ kind: z.literal('timelines'), timelines: z.array(TimelineSchema).min(1).max(5_000) }),
    z.object({
      kind: z.literal('psa'),
      since: z
        .string()
        .default('30d')
        .describe('tickets changed within this duration back from now (30d, 12h) or since an instant'),
      budgetShare: z
        .number()
        .gt(0)
        .max(1)
        .default(0.2)
        .describe("share of the instance's request budget the read may use"),
      refresh: z.boolean().default(false).describe('read the PSA again even when a cached read of this window exists'),
    }),
  ]),
  /** The candidate policy (the `policies.<name>` block of escalator.yaml as JSON); default: the instance's own. */
  policy: PolicySchema.optional(),
  /** A second policy to compare with. */
  compare: PolicySchema.optional(),
  /** End of the window: scheduled checks run until then. Default: now for history, the last snapshot otherwise. */
  until: InstantSchema.optional(),
  keepDecisions: z.number().int().min(0).max(10_000).default(1_000),
});

const ProgressSchema = z.object({
  phase: z.enum(['index', 'simulate']),
  lines: z.number().int(),
  total: z.number().int().optional(),
});
const JobSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  progress: ProgressSchema,
  error: z.string().optional(),
  result: BacktestResultSchema.optional(),
});

const IdParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/) });

function jobOut(job: BacktestJob, withResult: boolean): z.infer<typeof JobSchema> {
  const { result, ...rest } = job;
  return { ...rest, progress: { ...job.progress }, ...(withResult && result ? { result } : {}) };
}

function policyInput(
  services: AppServices,
  known: KnownInstance,
  policy: Policy | undefined,
  label: string,
): BacktestSpec['policy'] {
  const { config } = services.deps;
  const name = known.loaded.info.policy;
  const merged = policy ? { ...config, policies: { ...config.policies, [name]: policy } } : config;
  const input = buildCompileInput(merged, known.loaded, known.connector);
  try {
    compilePolicy(input);
  } catch (e) {
    if (e instanceof PolicyCompileError)
      throw new HttpError('bad_request', `${label}: ${e.message}`, { details: { field: label } });
    throw e;
  }
  return { name: policy ? `${label}:${name}` : name, input };
}

/** The job's spec (policies compiled, 400 when one is not valid) and the source of its ticket timelines. */
function jobInput(
  services: AppServices,
  body: z.infer<typeof BacktestRequestSchema>,
): { spec: BacktestSpec; source: LineSource } {
  const known = knownInstance(services, body.instanceId);
  const spec: BacktestSpec = {
    instanceId: body.instanceId,
    policy: policyInput(services, known, body.policy, 'policy'),
    keepDecisions: body.keepDecisions,
    ...(body.compare ? { compare: policyInput(services, known, body.compare, 'compare') } : {}),
  };
  const now = services.now().getTime();
  if (body.source.kind === 'history') {
    const store = services.deps.timelines;
    if (!store) throw new HttpError('unavailable', 'this process has no access to the observed history');
    const since = parseSince(body.source.since, now);
    if (since === undefined)
      throw new HttpError('bad_request', 'source.since: expected a duration like 30d, 12h or an RFC 3339 instant', {
        details: { field: 'source.since' },
      });
    const until = body.until ? Date.parse(body.until) : now;
    spec.until = until;
    return { spec, source: historySource(store, body.instanceId, { fromMs: since, toMs: until }) };
  }
  if (body.source.kind === 'psa') {
    spec.until = body.until ? Date.parse(body.until) : now;
    return { spec, source: psaJobSource(services, known, body.source, now) };
  }
  const lines = body.source.timelines.map((t) => JSON.stringify({ ...t, instance: body.instanceId }));
  if (body.until) spec.until = Date.parse(body.until);
  return {
    spec,
    source: async function* () {
      yield* lines;
    },
  };
}

/**
 * `source: {kind: "psa"}`: the PSA's own history rebuilt by the instance's connector (docs/backtest.md "--from-psa"),
 * read on the job's first pass, in the sweep lane of the shared budget and within `budgetShare` of it, cached under
 * the temporary directory per instance and `since` (a later job with the same `since` reuses it: no PSA call).
 */
function psaJobSource(
  services: AppServices,
  known: KnownInstance,
  src: { since: string; budgetShare: number; refresh: boolean },
  now: number,
): LineSource {
  const { connector } = known;
  if (!connector.readHistory)
    throw new HttpError(
      'bad_request',
      `source.kind psa: the ${known.loaded.info.kind} connector cannot read ticket history`,
      { details: { field: 'source.kind' } },
    );
  const since = parseSince(src.since, now);
  if (since === undefined)
    throw new HttpError('bad_request', 'source.since: expected a duration like 30d, 12h or an RFC 3339 instant', {
      details: { field: 'source.since' },
    });
  const ctx = known.context();
  const budget = new PsaBudget(ctx.instance.rateLimit, src.budgetShare);
  const http: HttpClient = {
    safeGet: (url, options) => ctx.http.safeGet(url, options),
    async request(req) {
      if (req.rateLimited !== false) (await budget.acquire(req))();
      return ctx.http.request(req);
    },
  };
  const id = known.loaded.info.id;
  const cachePath = join(
    tmpdir(),
    'psa-escalator-backtest-cache',
    `${id}-${src.since.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl.gz`,
  );
  return lazyPsaSource(
    {
      connector,
      ctx: { ...ctx, http },
      window: { from: new Date(since).toISOString(), to: new Date(now).toISOString() },
      cachePath,
      refresh: src.refresh,
      calls: () => budget.used,
    },
    (fn) => inLane('sweep', fn),
  );
}

export default async function backtestRoutes(app: FastifyInstance, options: { services: AppServices }): Promise<void> {
  const { services } = options;
  const jobs = new BacktestJobs({ now: () => services.now().getTime() });
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/backtests',
    {
      preValidation: async (req) => {
        const id = (req.body as { instanceId?: unknown } | null | undefined)?.instanceId;
        if (typeof id === 'string' && id !== '') knownInstance(services, id);
      },
      schema: {
        ...apiDoc,
        summary: 'Start a backtest: replay ticket history through a policy (asynchronous)',
        description:
          'Source `history`: the snapshots this service observed (changed within `since`); `timelines`: the timeline ' +
          'JSONL format (docs/backtest.md) as a JSON array; `psa`: the PSA’s own history of the tickets changed within ' +
          '`since`, rebuilt by the connector within `budgetShare` of the instance’s request budget and cached (a later job ' +
          'with the same `since` makes no PSA call; `refresh` reads again). `policy`/`compare`: policy blocks as in escalator.yaml ' +
          '(default: the instance’s own). Answers 202 with the job; poll `GET /api/backtests/:id`.',
        body: BacktestRequestSchema,
        response: { 202: JobSchema, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const { spec, source } = jobInput(services, req.body);
      try {
        const { job } = jobs.start(spec, source);
        return reply.code(202).send(jobOut(job, false));
      } catch (e) {
        if (e instanceof TooManyBacktests)
          throw new HttpError('unavailable', e.message, { headers: { 'retry-after': '30' } });
        throw e;
      }
    },
  );
  r.get(
    '/backtests/:id',
    {
      schema: {
        ...apiDoc,
        summary: 'A backtest job: progress while running, the report (and comparison) once done',
        params: IdParams,
        response: { 200: JobSchema, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req) => {
      const job = jobs.get(req.params.id);
      if (!job) throw notFoundError();
      return jobOut(job, true);
    },
  );
}
