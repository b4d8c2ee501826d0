/**
 * `p2p-socket load --report FILE.html`: the page is opened in headless Chromium (driven by
 * playwright-core) with the network cut off, and each chart must have drawn: its canvas has
 * painted pixels. The browser comes with `npm install` (test/support/headless-chromium.ts): when
 * none can be had this test fails and says what was tried.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { startCli } from './helpers/cli-process.ts';
import { CHROMIUM_ARGS, headlessChromium } from './support/headless-chromium.ts';

const CHARTS = ['throughput', 'latency', 'distribution'];

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-report-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('load --report: a self-contained page whose three charts render in headless Chromium', async () => {
  const browser = await headlessChromium();
  const file = join(dir, 'report.html');
  const run = await startCli(['load', '--connections', '10', '--duration', '2', '--report', file, '--json'], 40_000).done;
  assert.equal(run.code, 0, run.stderr);
  const html = await readFile(file, 'utf8');
  // Self-contained: no script or stylesheet from anywhere else.
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i);

  // A fresh profile (--user-data-dir) for each run.
  const profile = await mkdtemp(join(dir, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browser.executablePath,
    env: browser.env,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1100, height: 1400 },
    timeout: 30_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const foreign: string[] = [];
    // The page must need nothing but itself: anything else is refused and recorded.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href, { timeout: 30_000 });
    // Browser-side code as text: the project compiles without the DOM library.
    await page.waitForFunction('window.reportRendered === true', undefined, { timeout: 15_000 });
    const painted = (await page.evaluate(`${JSON.stringify(CHARTS)}.map((id) => {
      const canvas = document.getElementById(id);
      if (!canvas) return -1;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
      return count;
    })`)) as number[];
    assert.deepEqual(errors, []);
    assert.deepEqual(foreign, []);
    CHARTS.forEach((id, i) => assert.ok(painted[i]! > 2000, `chart ${id}: ${painted[i]} painted pixels`));
  } finally {
    await context.close();
  }
});
