import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { parseEnv } from '../../src/config/env.js';
import { runDemo } from '../../src/demo/run.js';
import type { RunningService } from '../../src/main.js';
import { freePort } from '../helpers/redis.js';

/**
 * The demo scenario (three PSA sandboxes, the real service, embedded Redis) run in-process until its story is over,
 * then kept serving while a real headless Chromium (Debian's `chromium`, driven by playwright-core) uses the console.
 */
export interface DemoConsole {
  service: RunningService;
  base: string;
  token: string;
  printed: string[];
  stop(): Promise<void>;
}

export const ADMIN = 'console-test-token-0123456789abcdef';

export async function startDemoConsole(): Promise<DemoConsole> {
  const port = await freePort();
  const env = parseEnv({ PORT: String(port), ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' });
  if (!env.ok) throw new Error(env.error.join('\n'));
  const printed: string[] = [];
  let release!: () => void;
  let stopping: Promise<number> | undefined;
  const released = new Promise<void>((r) => (release = r));
  const serving = new Promise<RunningService>((resolve, reject) => {
    const done = runDemo({
      env: env.value,
      host: '127.0.0.1',
      exit: false,
      scale: 600,
      print: (...lines) => printed.push(...lines),
      waitForStop: async (service) => {
        resolve(service);
        await released;
        await service.close();
        return 0;
      },
    });
    done.then((code) => reject(new Error(`demo ended before serving (exit ${code}):\n${printed.join('\n')}`)), reject);
    stopping = done;
  });
  const service = await serving;
  return {
    service,
    base: `http://127.0.0.1:${port}`,
    token: ADMIN,
    printed,
    async stop() {
      release();
      await stopping?.catch(() => undefined);
    },
  };
}

/** `CHROMIUM_PATH`, else Debian's chromium (`.ci/run` installs it). */
export function chromiumPath(): string {
  const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => !!p,
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `no Chromium found (tried ${candidates.join(', ')}): apt-get install chromium, or set CHROMIUM_PATH`,
    );
  return found;
}

export async function launch(): Promise<Browser> {
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start. The rest keep Chromium from
  // calling home (no network here: its background connections would be refused, many at a time).
  const args = [
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args });
}

const require = createRequire(import.meta.url);
export const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core in the page (evaluated over CDP, so the page's CSP stays strict) and returns serious/critical ones. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // A string expression: the test project has no DOM typings (the page's `axe` global comes from axeSource).
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`,
  )) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Collects console errors, page errors and failed requests of every page in the context. */
export function watchErrors(context: BrowserContext): string[] {
  const errors: string[] = [];
  context.on('page', (p) => {
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${p.url()}: console.error: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`${p.url()}: ${e.message}`));
  });
  return errors;
}
