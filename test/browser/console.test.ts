import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { StoredDeadLetter } from '../../src/store/dead-letter-store.js';
import { waitFor } from '../helpers/test-pipeline.js';

import { launch, seriousViolations, startDemoConsole, watchErrors } from './demo-fixture.js';
import type { DemoConsole } from './demo-fixture.js';

// Issue 16 "Must show" 1: the operations console in a real headless Chromium (Debian's `chromium` driven by
// playwright-core) against the demo scenario's data: sign-in, every page, a ticking at-risk countdown, a dead-letter
// retry, a CSRF-less POST refused, no console errors (CSP violations are console errors), axe-core clean at desktop
// and phone widths. Screenshots of each page go to test/browser/screenshots/ (gitignored).

const shots = fileURLToPath(new URL('./screenshots/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Diagnostic: the elements that stick out to the right of the viewport. */
const WIDEST = `Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')`;

const pages = [
  { name: 'overview', path: '/ui/overview', expectText: ['acme-cw', 'globex-at', 'initech-halo', 'escalations today'] },
  {
    name: 'at-risk',
    path: '/ui/at-risk',
    expectText: ['Payroll export fails', 'Printer on the 2nd floor jams again', 'next breach or escalation first'],
  },
  {
    name: 'escalations',
    path: '/ui/escalations',
    expectText: ['emergency-security', 'vip-fast-lane', 'text matches "ransomware"', 'compared: text = ransomware'],
  },
  {
    name: 'ticket',
    path: '/ui/tickets/acme-cw/1002',
    expectText: ['Ransomware note on FINANCE-PC07', 'emergency-security', 'Timeline', 'SLA clocks'],
  },
  {
    name: 'metrics',
    path: '/ui/metrics?instance=acme-cw',
    expectText: [
      'Escalation rate per tier',
      'By instance',
      'initech-halo',
      'By company, acme-cw',
      'Contoso Dental',
      'By category, acme-cw',
    ],
  },
  { name: 'dead-letters', path: '/ui/dead-letters', expectText: ['PSA refused the write (test)', 'Retry'] },
  { name: 'policy', path: '/ui/policy', expectText: ['t1-timeout', 'emergency-security', 'Try a ticket'] },
] as const;

describe('operations console in headless Chromium (demo scenario)', () => {
  let demo: DemoConsole;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let letter: StoredDeadLetter;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    [demo, browser] = await Promise.all([startDemoConsole(), launch()]);
    // The demo's PSA sandboxes accept every write: a dead letter is recorded the way the pipeline records one.
    letter = await demo.service.pipeline.stores.deadLetters.add({
      instanceId: 'acme-cw',
      ticketId: '1001',
      kind: 'actions',
      actions: [{ type: 'note', rule: 't1-timeout' }],
      error: { code: 'psa_rejected', message: 'PSA refused the write (test)' },
    });
    context = await browser.newContext({ viewport: DESKTOP });
    errors = watchErrors(context);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await demo?.stop();
  }, 60_000);

  it('the demo prints the console URL, and opening it signs the printed token in (HttpOnly, SameSite=Strict cookie)', async () => {
    const line = demo.printed.find((l) => l.startsWith('Console:'));
    const url = /(http:\/\/\S+\/ui\/sign-in#token=\S+)/.exec(line ?? '')?.[1];
    expect(url, demo.printed.join('\n')).toBeDefined();
    await page.goto(url!);
    await page.waitForURL('**/ui/overview');
    expect(page.url()).not.toContain('token');
    const cookie = (await context.cookies()).find((c) => c.name === 'esc_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(await page.locator('h1').textContent()).toBe('Overview');
  });

  it('a wrong token is refused with a message; signed-out pages redirect to sign-in', async () => {
    const other = await browser.newContext({ viewport: DESKTOP });
    const errorsBefore = errors.length;
    const p = await other.newPage();
    await p.goto(`${demo.base}/ui/at-risk`);
    expect(new URL(p.url()).pathname).toBe('/ui/sign-in');
    await p.getByLabel('Admin token').fill('not-the-token');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => p.locator('[role=alert]').textContent()).toContain('not the admin token');
    expect((await other.cookies()).some((c) => c.name === 'esc_console')).toBe(false);
    await p.getByLabel('Admin token').fill(demo.token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL('**/ui/at-risk');
    await other.close();
    expect(errors.length).toBe(errorsBefore); // `other` is not watched; the shared list stayed clean
  });

  for (const pg of pages) {
    it(`${pg.name}: renders the demo's data, axe-core finds no serious violation at 1280 px and phone width`, async () => {
      for (const viewport of [DESKTOP, PHONE]) {
        await page.setViewportSize(viewport);
        const res = await page.goto(`${demo.base}${pg.path}`);
        expect(res?.status(), pg.path).toBe(200);
        expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
        const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
        for (const t of pg.expectText) expect(text, `${pg.path} at ${viewport.width}px`).toContain(t);
        if (pg.name === 'metrics') await page.waitForSelector('.chart-area[data-drawn] canvas');
        // Times were rewritten into the viewer's zone, the calendar zone stays on hover.
        const time = page.locator('main time[datetime]').first();
        if ((await time.count()) > 0) {
          await expect.poll(() => time.getAttribute('data-local')).toBe('1');
          expect(await time.getAttribute('title')).toMatch(/calendar time/);
        }
        const violations = await seriousViolations(page);
        expect(violations, `${pg.path} at ${viewport.width}px: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
        // Nothing wider than the phone screen outside the scrollable table regions.
        if (viewport === PHONE) {
          const overflow = Number(
            await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
          );
          const wide = overflow > 1 ? await page.evaluate(WIDEST) : '';
          expect(overflow, `${pg.path} scrolls sideways on a phone: ${String(wide)}`).toBeLessThanOrEqual(1);
        }
        await page.screenshot({ path: join(shots, `${pg.name}-${viewport.width}.png`), fullPage: true });
      }
      await page.setViewportSize(DESKTOP);
    });
  }

  it('an at-risk countdown ticks', async () => {
    await page.goto(`${demo.base}/ui/at-risk`);
    const countdown = page.locator('.countdown[data-running="1"]').first();
    const first = await countdown.textContent();
    await expect.poll(() => countdown.textContent(), { timeout: 10_000 }).not.toBe(first);
    expect(await countdown.textContent()).toMatch(/\d+m \d{2}s|\dh \d{2}m \d{2}s/);
  });

  it('keyboard: the skip link and the page navigation are reachable with Tab', async () => {
    await page.goto(`${demo.base}/ui/overview`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.getAttribute("href")')).toBe(
      '/ui/overview',
    );
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/ui/at-risk');
  });

  it('a POST without the CSRF token (or from another origin) is refused and changes nothing', async () => {
    // page.request shares the signed-in context's cookies: only the CSRF token is missing.
    const bare = await page.request.post(`${demo.base}/ui/dead-letters/${letter.id}/retry`, {
      form: { x: '1' },
      maxRedirects: 0,
    });
    expect(bare.status()).toBe(403);
    expect(await bare.text()).toContain('CSRF');
    await page.goto(`${demo.base}/ui/dead-letters`);
    const token = await page.locator('form[action$="/retry"] input[name=_csrf]').first().inputValue();
    const foreign = await page.request.post(`${demo.base}/ui/dead-letters/${letter.id}/retry`, {
      form: { _csrf: token },
      headers: { origin: 'http://evil.example' },
      maxRedirects: 0,
    });
    expect(foreign.status()).toBe(403);
    const signOut = await page.request.post(`${demo.base}/ui/sign-out`, { form: {}, maxRedirects: 0 });
    expect(signOut.status()).toBe(403);
    expect(await demo.service.pipeline.stores.deadLetters.get(letter.id)).toBeDefined();
    // And /api/* still wants the bearer token, not the cookie.
    expect((await page.request.get(`${demo.base}/api/dead-letters`)).status()).toBe(401);
  });

  it('a dead-letter retry goes through: the row says so, the letter is gone and the ticket is re-evaluated', async () => {
    const before = (await demo.service.pipeline.stores.tickets.get('acme-cw', '1001'))?.lastEvaluatedAt ?? '';
    await page.goto(`${demo.base}/ui/dead-letters`);
    const row = page.locator(`tr[data-letter="${letter.id}"]`);
    await row.getByRole('button', { name: /Retry/ }).click();
    await expect.poll(() => row.textContent()).toContain('Retry queued');
    expect(await demo.service.pipeline.stores.deadLetters.get(letter.id)).toBeUndefined();
    await waitFor(async () => {
      const after = (await demo.service.pipeline.stores.tickets.get('acme-cw', '1001'))?.lastEvaluatedAt ?? '';
      return after > before;
    }, 30_000);
    await page.screenshot({ path: join(shots, 'dead-letters-retried-1280.png') });
  });

  it('policy: "try a ticket" evaluates a dry run and shows the rule that fires', async () => {
    await page.goto(`${demo.base}/ui/policy`);
    await page.getByLabel('Instance').selectOption('acme-cw');
    await page.getByLabel('Title').fill('Ransomware note on a finance PC');
    await page.getByRole('button', { name: 'Evaluate (dry run)' }).click();
    await expect.poll(() => page.locator('#try-result').textContent()).toContain('emergency-security');
    expect(await page.locator('#try-result').textContent()).toContain('fires');
  });

  it('the escalations feed updates itself (htmx polling) and sign-out ends the session', async () => {
    await page.goto(`${demo.base}/ui/escalations`);
    const feedReq = page.waitForResponse((r) => r.url().includes('/ui/escalations/feed') && r.status() === 200, {
      timeout: 15_000,
    });
    await feedReq;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/ui/sign-in');
    expect((await context.cookies()).some((c) => c.name === 'esc_console' && c.value !== '')).toBe(false);
    await page.goto(`${demo.base}/ui/overview`);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
  });

  it('no console errors, page errors or CSP violations on any page', () => {
    expect(errors).toEqual([]);
  });
});
