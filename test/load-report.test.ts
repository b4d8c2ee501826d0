/**
 * `p2p-socket load --report FILE.html`: the page is opened in headless Chromium (Debian's
 * /usr/bin/chromium, driven by playwright-core) with the network cut off, and each chart must
 * have drawn: its canvas has painted pixels. Chromium is part of the test setup (.ci/run installs
 * it): when it is missing this test fails and says how to install it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { startCli } from './helpers/cli-process.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHARTS = ['throughput', 'latency', 'distribution'];

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-report-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('load --report: a self-contained page whose three charts render in headless Chromium', async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install it with 'apt-get update && apt-get install -y chromium' (or set CHROMIUM_PATH)`);
  const file = join(dir, 'report.html');
  const run = await startCli(['load', '--connections', '10', '--duration', '2', '--report', file, '--json'], 40_000).done;
  assert.equal(run.code, 0, run.stderr);
  const html = await readFile(file, 'utf8');
  // Self-contained: no script or stylesheet from anywhere else.
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i);

  const profile = await mkdtemp(join(dir, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
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
