import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Queue } from 'bullmq';

import type { EnvConfig } from '../config/index.js';
import { connectors } from '../connectors.js';
import { createLogger } from '../lib/logger.js';
import type { AppLogger } from '../lib/logger.js';
import { runUntilSignal, startService } from '../main.js';
import type { RunningService } from '../main.js';

import { DemoClock } from './clock.js';
import { DemoPacer } from './pacer.js';
import type { PacedPipeline } from './pacer.js';
import { loadDemoConfig } from './config.js';
import type { DemoSandboxes } from './config.js';
import { AuditFollower, PSA_NAMES, localTime, summaryTable } from './live-log.js';
import { AutotaskSandbox } from './sandboxes/autotask.js';
import { ConnectWiseSandbox } from './sandboxes/connectwise.js';
import { HaloSandbox } from './sandboxes/halo.js';
import type { Sandbox } from './sandboxes/http.js';
import { NotifierSink } from './sandboxes/notifiers.js';
import { STORY_MINUTES, scenario } from './scenario.js';
import { verifyEscalations } from './verify.js';

/** Options of `psa-escalator demo` (the verb parses flags and the environment). */
export interface DemoOptions {
  env: EnvConfig;
  /** Bind address: HOST when it was set, else loopback (the demo is for the person at this machine). */
  host: string;
  /** Stop after the summary (tests, CI). */
  exit: boolean;
  /** Writes lines to the console (stdout). */
  print: (...lines: string[]) => void;
  /** Simulated ms per real ms. @defaultValue 600 */
  scale?: number;
  /** Resolves when the user asks to stop (Ctrl-C); used without `exit`. @defaultValue SIGINT/SIGTERM */
  waitForStop?: (service: RunningService, log: AppLogger) => Promise<number>;
}

/** Tuesday 24 November 2026, 09:00 in New York: inside the demo calendar's business hours. */
export const DEMO_START = Date.parse('2026-11-24T14:00:00Z');

async function startSandboxes(clock: DemoClock): Promise<DemoSandboxes> {
  const [connectwise, autotask, halo, notifiers] = await Promise.all([
    new ConnectWiseSandbox({ now: clock.now }).start(),
    new AutotaskSandbox({ now: clock.now }).start(),
    new HaloSandbox({ now: clock.now }).start(),
    new NotifierSink().start(),
  ]);
  return { connectwise, autotask, halo, notifiers };
}

const instanceOf: Record<Sandbox['kind'], string> = {
  connectwise: 'acme-cw',
  autotask: 'globex-at',
  halo: 'initech-halo',
};

/** Sandbox writes and notifications are printed after the decision that caused them (the audit poll comes first). */
function wireOutput(s: DemoSandboxes, pending: string[]): void {
  for (const sb of [s.connectwise, s.autotask, s.halo])
    sb.tally.onWrite = (line) => pending.push(`        ↳ ${PSA_NAMES[sb.kind]} sandbox: ${line}`);
  s.notifiers.onNotify = (n, text) =>
    pending.push(`        ↳ ${n.notifier} notified: ${text.replace(/\s+/g, ' ').slice(0, 100)}`);
}

async function playStory(
  sandboxes: DemoSandboxes,
  clock: DemoClock,
  pacer: DemoPacer,
  print: (...lines: string[]) => void,
): Promise<void> {
  for (const step of scenario(sandboxes, clock)) {
    // Simulated time waits at the step's minute until the step has run (and then for what it caused).
    pacer.storyAt(clock.at(step.at));
    await clock.waitUntil(clock.at(step.at));
    print(`[${localTime(clock.now())}] ▶ ${step.say}`);
    await step.run();
  }
  pacer.storyAt(clock.at(STORY_MINUTES));
  await clock.waitUntil(clock.at(STORY_MINUTES));
}

/** The pacer's view of the service: the due-check loop, the events then tickets queue, the schedule. */
function pacedPipeline(service: RunningService): PacedPipeline {
  const { queues, stores } = service.pipeline;
  const unfinished = async (q: Queue) =>
    Object.values(await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children')).reduce(
      (a, b) => a + b,
      0,
    );
  return {
    dueChecks: () => service.pipeline.dueChecks(),
    pendingJobs: async () => (await unfinished(queues.events)) + (await unfinished(queues.tickets)),
    nextDue: () => stores.schedule.earliest(),
  };
}

/** Runs the demo; resolves with the exit code. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { print } = options;
  const log = createLogger({ level: options.env.logLevel, base: { role: 'demo' } });
  const token = options.env.adminToken ?? randomBytes(24).toString('base64url');
  const dataDir = options.env.redisUrl ? undefined : await mkdtemp(join(tmpdir(), 'psa-escalator-demo-'));
  // Frozen while Redis and the service start, so the story begins at 09:00 sharp.
  const clock = new DemoClock({ start: DEMO_START, scale: 0 });
  const sandboxes = await startSandboxes(clock);
  const all: Sandbox[] = [sandboxes.connectwise, sandboxes.autotask, sandboxes.halo];
  const cleanup = async () => {
    await Promise.all([...all, sandboxes.notifiers].map((s) => s.close()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  let service: RunningService | undefined;
  try {
    const config = loadDemoConfig(sandboxes, connectors);
    const env: EnvConfig = { ...options.env, host: options.host, adminToken: token, ...(dataDir ? { dataDir } : {}) };
    print('psa-escalator demo: starting Redis, the service and three PSA sandboxes (ConnectWise, Autotask, HaloPSA)…');
    service = await startService({ env, config, log, pipeline: { now: clock.now, tuning: { pollMs: 100 } } });
    const base = `http://127.0.0.1:${new URL(service.url).port}`;
    for (const sb of all) sb.webhookUrl = `${base}/webhooks/${instanceOf[sb.kind]}`;
    // Held at 09:00 until the pacer (story()) lets simulated time run.
    clock.holdAt(clock.start);
    clock.setScale(options.scale ?? 600);
    printBanner(print, { base, token, generated: options.env.adminToken === undefined, clock });
    const code = await story(service, sandboxes, clock, { print, log, base, token });
    if (options.exit || code !== 0) return code;
    print(
      '',
      `Still serving: the console at ${base}/ui/sign-in#token=${encodeURIComponent(token)}, ${base}/docs and ${base}/api/* (Authorization: Bearer ${token}). Ctrl-C stops.`,
    );
    const stopped = await (options.waitForStop ?? ((s, l) => runUntilSignal(s, { log: l })))(service, log);
    service = undefined;
    return stopped;
  } finally {
    await service?.close();
    await cleanup();
  }
}

function printBanner(
  print: (...lines: string[]) => void,
  o: { base: string; token: string; generated: boolean; clock: DemoClock },
): void {
  print(
    `Service:   ${o.base}   (API docs: ${o.base}/docs)`,
    // The token rides in the URL fragment: the browser never sends it to a server or a log; the sign-in page posts it.
    `Console:   ${o.base}/ui/sign-in#token=${encodeURIComponent(o.token)}   (open it to sign in; later: ${o.base}/ui)`,
    `Token:     ${o.token}${o.generated ? '   (generated; set ADMIN_TOKEN to choose one)' : '   (from ADMIN_TOKEN)'}`,
    `Try:       curl -H "Authorization: Bearer ${o.token}" ${o.base}/api/escalations`,
    `Clock:     simulated, ${o.clock.scale}× real time (1 s = ${o.clock.scale / 60} min), starting Tue 24 Nov 2026 09:00 America/New_York`,
    '',
  );
}

interface StoryIo {
  print: (...lines: string[]) => void;
  log: AppLogger;
  base: string;
  token: string;
}

async function story(
  service: RunningService,
  sandboxes: DemoSandboxes,
  clock: DemoClock,
  io: StoryIo,
): Promise<number> {
  const pending: string[] = [];
  wireOutput(sandboxes, pending);
  const follower = new AuditFollower(service.pipeline.read, (l) => io.print(l));
  const flush = async () => {
    await follower.poll().catch(() => 0);
    for (const line of pending.splice(0)) io.print(line);
  };
  const timer = setInterval(() => void flush(), 200);
  const pacer = new DemoPacer(clock, pacedPipeline(service), {
    onGrace: ({ at, stillMs, reason }) =>
      io.log.warn(
        { at: new Date(at).toISOString(), stillMs, reason },
        'demo clock: the service was still busy after the grace; simulated time runs on (a decision may come late)',
      ),
  });
  // The first step is at the start: nothing runs before it.
  pacer.storyAt(clock.start);
  pacer.start();
  try {
    await playStory(sandboxes, clock, pacer, (l) => io.print(l));
    // The story is over: simulated time stands still while the service finishes what it caused, so no check past
    // the story's end fires on a slow machine and not on a fast one.
    await pacer.stop();
    clock.holdAt(-Infinity);
    await settle(service, flush);
  } finally {
    clearInterval(timer);
    await pacer.stop();
    clock.holdAt(Infinity);
  }
  io.log.debug({ pacer: pacer.stats }, 'demo clock: pacing done');
  if (pacer.stats.graces > 0)
    io.print(
      `(The machine was too busy to keep the simulated clock in step ${pacer.stats.graces} time(s): some decisions came later than their due minute.)`,
    );
  clock.setScale(1);
  await flush();
  return summarize(sandboxes, io);
}

/** Waits (≤ 10 s) until no job is waiting or running, so the summary counts everything the story caused. */
async function settle(service: RunningService, flush: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10_000;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 3) {
    await new Promise((r) => setTimeout(r, 300));
    // A Redis starved on a busy machine can time a read out: that look counts as busy, the deadline still holds.
    const counts = await Promise.all(
      [service.pipeline.queues.events, service.pipeline.queues.tickets].map((q) =>
        q.getJobCounts('waiting', 'active', 'prioritized'),
      ),
    ).catch(() => undefined);
    const busy = counts ? counts.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0) : 1;
    quiet = busy === 0 ? quiet + 1 : 0;
    await flush();
  }
}

async function summarize(sandboxes: DemoSandboxes, io: StoryIo): Promise<number> {
  const all: Sandbox[] = [sandboxes.connectwise, sandboxes.autotask, sandboxes.halo];
  io.print('', 'Summary', ...summaryTable(all), `Notifications sent: ${sandboxes.notifiers.received.length}`, '');
  const check = await verifyEscalations(io.base, io.token, Object.values(instanceOf));
  const listed = Object.entries(check.escalations)
    .map(([id, n]) => `${id} ${n}`)
    .join(', ');
  if (!check.ok) {
    io.print(`✘ GET /api/escalations: ${check.problem ?? 'check failed'} (${listed})`);
    return 1;
  }
  io.print(`✔ GET /api/escalations lists the applied escalations with their reasons: ${listed}`);
  return 0;
}
