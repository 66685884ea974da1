/* global describe, it, before, after, document, window, Image, getComputedStyle */
// The sweep's page in headless Chromium: the CLI's self-contained report.html from a real sweep (the
// committed Fashion-MNIST classifier over part of the demo folder) opened as a file that loads nothing, and
// the same page as the VS Code view renders it, under the view's CSP with its script (dist/webview/sweep.js),
// whose buttons post what the host answers. Screenshots in test-results/webview/. Run by test/webview/run.mjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORIGIN, ROOT, SHOTS, launchBrowser, loadHostModule } from './harness.mjs';

const MODEL = path.join(ROOT, 'eval', 'models', 'fmnist-gap.onnx');
const LABELS = path.join(ROOT, 'eval', 'models', 'fmnist_labels.txt');
const DEMO = path.join(ROOT, 'eval', 'fmnist-sweep', 'images');

/** What a page reported: errors, CSP violations, requests it tried. */
function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  return problems;
}

describe('sweep report and view in Chromium', function () {
  this.timeout(300_000);
  let tmp, out, browser, summary;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cnnf-sweep-web-'));
    const dir = path.join(tmp, 'images');
    for (const c of readdirSync(DEMO)) {
      mkdirSync(path.join(dir, c), { recursive: true });
      for (const f of readdirSync(path.join(DEMO, c)).sort().slice(0, 4)) copyFileSync(path.join(DEMO, c, f), path.join(dir, c, f));
    }
    out = path.join(tmp, 'out');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'sweep', MODEL, dir, '--labels', LABELS, '--out', out, '--jobs', '2'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.ok(summary.mistakes.length > 0, 'the classifier gets some wrong');
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('report.html is whole by itself: figures, the confusion table, every mistake with its three pictures, no request', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1500 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems = watch(page);
    const file = `file://${path.join(out, 'report.html')}`;
    await page.route('**/*', (route) =>
      route.request().url() === file ? route.continue() : (problems.push(`request: ${route.request().url()}`), route.abort()),
    );
    await page.goto(file);
    const seen = await page.evaluate(async () => ({
      stats: [...document.querySelectorAll('.stat')].map((s) => [s.querySelector('.what').textContent, s.querySelector('.value').textContent]),
      rows: document.querySelectorAll('table.confusion tbody tr, table.confusion tr:has(th[scope=row])').length,
      mistakes: document.querySelectorAll('article.mistake').length,
      images: [...document.querySelectorAll('article.mistake img:not(.heat)')].map((i) => [i.complete, i.naturalWidth, i.naturalHeight]),
      heat: [...document.querySelectorAll('article.mistake img.heat')].map((i) => i.complete && i.naturalWidth > 0),
      bases: await Promise.all(
        [...document.querySelectorAll('article.mistake .maps')].map(async (m) => {
          const img = new Image();
          img.src = /url\("(.*)"\)/.exec(getComputedStyle(m).getPropertyValue('--image'))?.[1] ?? '';
          await img.decode().catch(() => undefined);
          return img.naturalWidth;
        }),
      ),
      buttons: document.querySelectorAll('button').length,
      scripts: document.querySelectorAll('script').length,
    }));
    const stat = Object.fromEntries(seen.stats);
    assert.equal(stat['top-1 accuracy'], `${(summary.accuracy.top1 * 100).toFixed(1)}%`);
    assert.equal(stat.images, String(summary.counts.images));
    assert.equal(stat.wrong, String(summary.counts.wrong));
    assert.equal(seen.rows, summary.perClass.length, 'a row per class');
    assert.equal(seen.mistakes, summary.mistakes.length);
    assert.equal(seen.images.length, 3 * summary.mistakes.length);
    for (const [complete, w, h] of seen.images) assert.ok(complete && w >= 96 && h >= 96, `a decoded map (${w}×${h})`);
    assert.ok(seen.heat.length > 0 && seen.heat.every(Boolean), 'heat layers decoded');
    assert.equal(seen.bases.length, summary.mistakes.length);
    for (const w of seen.bases) assert.ok(w >= 28, `each mistake's image decoded once (${w} px wide)`);
    assert.equal(seen.buttons + seen.scripts, 0, 'the file has no script and nothing to click');
    assert.deepEqual(problems, []);
    await page.screenshot({ path: path.join(SHOTS, 'sweep-report.png') });
    await context.close();
  });

  it('as the VS Code view: under its CSP, the script keeps its state for a reload and posts open-this-mistake and export', async () => {
    const { renderSweepReport, thumbnailsOf } = loadHostModule();
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const thumbs = await thumbnailsOf(summary.dataset.root, summary.mistakes, new Map(lines.map((l) => [l.path, l])));
    const nonce = 'n0nce';
    const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'`;
    const state = { dir: summary.dataset.root };
    const html = renderSweepReport(summary, thumbs, { csp, script: { src: `${ORIGIN}/sweep.js`, nonce, state } });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems = watch(page);
    await page.addInitScript(() => {
      window.posted = [];
      window.states = [];
      window.csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.csp.push(`${e.violatedDirective} ${e.blockedURI || 'inline'}`));
      // VS Code's webview API, as the view's script gets it
      window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => undefined, setState: (s) => window.states.push(s) });
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === `${ORIGIN}/`) return route.fulfill({ status: 200, contentType: 'text/html', body: html });
      if (url === `${ORIGIN}/sweep.js`)
        return route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(path.join(ROOT, 'dist', 'webview', 'sweep.js')) });
      problems.push(`request: ${url}`);
      return route.abort();
    });
    await page.goto(`${ORIGIN}/`);
    const buttons = page.locator('button[data-open]');
    assert.equal(await buttons.count(), summary.mistakes.length);
    // what VS Code hands back to the host after a reload: which folder's sweep this is
    assert.deepEqual(await page.evaluate(() => window.states), [state]);
    await buttons.nth(1).click();
    await page.locator('button[data-export]').click();
    const posted = await page.evaluate(() => window.posted);
    assert.deepEqual(posted, [{ type: 'openMistake', path: summary.mistakes[1].path }, { type: 'export' }]);
    assert.deepEqual(await page.evaluate(() => window.csp), [], 'nothing blocked by the CSP');
    assert.deepEqual(problems, []);
    await page.locator('article.mistake').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'sweep-view.png') });
    await context.close();
  });
});
