import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import type { JsonReport } from '../../src/conformance/reporters/index.js';

// Debian's chromium driven by playwright-core (docs: /work/shared/TOOLCHAIN.md). Without it the
// test skips on a developer machine; in CI (.ci/run installs it) it must run.
const chromiumPath = '/usr/bin/chromium';
const skip = !existsSync(chromiumPath) && !process.env.CI;
if (skip)
  console.warn(
    `html-browser.test.ts: SKIPPED: ${chromiumPath} is missing (apt-get install -y chromium); in CI this test runs and fails instead`,
  );

const dir = 'reports/html-example';
const screenshot = resolve('reports/screenshot-failure.png');

describe.skipIf(skip)('the HTML report in headless Chromium (zoo:chat/no-dedupe, 20 runs)', () => {
  let browser: Browser;
  let page: Page;
  let report: JsonReport;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const code = await main(['check', '--protocol', 'chat', '--client', 'zoo:chat/no-dedupe', '--runs', '20', '--report', dir], (s) =>
      lines.push(s),
    );
    expect(code, lines.join('\n')).toBe(1);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as JsonReport;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(pathToFileURL(resolve(dir, 'index.html')).href);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const chat2 = () => report.clients[0]!.requirements.find((q) => q.id === 'CHAT-2')!;

  it('loads without a network request or a script error', () => {
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('shows the verdict matrix with levels and source sections', async () => {
    const row = page.locator('tr[data-requirement="CHAT-2"]');
    await expect(row.locator('.badge').textContent()).resolves.toBe('FAIL');
    await expect(row.locator('.lvl').textContent()).resolves.toBe('MUST');
    await expect(row.locator('.source').textContent()).resolves.toBe(chat2().source);
    await expect(page.locator('tr[data-requirement="CHAT-1"] .badge').textContent()).resolves.toBe('PASS');
  });

  it('clicks through to the failure: requirement, evidence, highlighted step, shrunk plan, replay command', async () => {
    const ff = chat2().firstFailure!;
    const details = page.locator('details.failure[data-requirement="CHAT-2"]');
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.locator('tr[data-requirement="CHAT-2"] a.to-failure').click();
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await details.isVisible()).toBe(true);
    await expect(details.locator('summary .req-id').textContent()).resolves.toBe('CHAT-2');
    await expect(details.locator('.evidence').textContent()).resolves.toContain(ff.evidence);
    await expect(details.locator('code.replay').textContent()).resolves.toBe(ff.replay);
    expect(ff.replay).toBe('npx lockstep replay reports/html-example/failures/chat--zoo-chat-no-dedupe--seed-1--run-0--shrunk.json');
    await expect(details.locator('h4', { hasText: 'Shrunk fault plan' }).count()).resolves.toBe(1);
    // The sequence diagram: client, network and server lanes; the violating step highlighted.
    await expect(details.locator('.tl-lane-name').allTextContents()).resolves.toEqual(['client c1', 'network', 'server']);
    const violation = details.locator('.tl-row.violation');
    await expect(violation.count()).resolves.toBe(1);
    await expect(violation.getAttribute('data-seq')).resolves.toBe(String(ff.seq));
    expect(await violation.isVisible()).toBe(true);
    await expect(violation.locator('.tl-flag').textContent()).resolves.toBe('violation');
    const bg = await violation.evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(bg).not.toBe('rgba(0, 0, 0, 0)');
    // Requests and frames are drawn as arrows between lanes.
    expect(await details.locator('.tl-arrow').count()).toBeGreaterThan(3);
    await details.screenshot({ path: screenshot });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
  });

  it('filters by verdict, requirement and protocol', async () => {
    const visibleRows = () =>
      page.locator('tr[data-requirement]:visible').evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.requirement));
    const failing = report.clients[0]!.requirements.filter((q) => q.verdict === 'fail').map((q) => q.id);
    await page.selectOption('#f-verdict', 'fail');
    await expect(visibleRows()).resolves.toEqual(failing);
    expect(await page.locator('details.failure:visible').count()).toBe(failing.length);
    await page.selectOption('#f-verdict', 'pass');
    expect(await visibleRows()).not.toContain('CHAT-2');
    expect(await page.locator('details.failure:visible').count()).toBe(0);
    await expect(page.locator('#failures-empty').isVisible()).resolves.toBe(true);
    await page.selectOption('#f-verdict', '');
    await page.selectOption('#f-requirement', 'CHAT-2');
    await expect(visibleRows()).resolves.toEqual(['CHAT-2']);
    await page.selectOption('#f-requirement', '');
    await page.selectOption('#f-protocol', 'chat');
    expect((await visibleRows()).length).toBe(report.clients[0]!.requirements.length);
  });
});
