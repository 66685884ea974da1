// End-to-end through the real VS Code UI: install the packaged VSIX into a fresh extensions dir, open the test
// workspace in code-server, and drive the workbench with Playwright + Debian Chromium the way a user would:
// right-click an image → "Explain with CNN Fixations", read the panel (webviews are nested iframes), switch
// class, ask "Why not?", reload the window (the panel comes back, with its three figures), Cancel a run stuck in the engine process from its progress
// notification, explain a corrupt model, open the walkthrough and press its Open Demo, and run a palette command after;
// sweep a labelled folder, open a mistake from its view, reload with Developer: Reload Window and then with the
// browser's own reload (the sweep's view comes back with its results each time), open a mistake from it.
// Screenshots go to test-results/e2e/. Closing line: "N passed, N failed"; exit code 1 on any failure.
/* global document, indexedDB -- used inside frame.evaluate() and page.evaluate(), which run in the browser */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, NODE24_BIN, checkTools, makeScratch, codeServerCli, startCodeServer, launchChromium } from './vscode-server.mjs';

checkTools();
const VSIX = process.env.VSIX || path.join(ROOT, 'cnn-fixations.vsix');
const ART = path.join(ROOT, 'test-results', 'e2e');
if (!existsSync(VSIX)) {
  console.error(`${VSIX} is missing: run \`npm run package\` first (or npm run test:e2e)`);
  process.exit(2);
}
rmSync(ART, { recursive: true, force: true });
mkdirSync(ART, { recursive: true });
const WAIT = 90000; // an explanation on a busy 2-core machine, plus the first webview's service worker

/** The first frame (webviews are iframe.webview > iframe#active-frame) where `selector` matches; polls until `timeoutMs`. */
async function frameWith(page, selector, timeoutMs = WAIT) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try {
        if (await f.locator(selector).count()) return f;
      } catch {
        /* the frame navigated away meanwhile */
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview shows ${selector} after ${timeoutMs} ms`);
}

async function runCommand(page, title, { exact = false } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  // Enter runs the first row; `exact`: only once that is the command itself, not one whose title starts the same
  if (exact) await page.locator(`.quick-input-list .monaco-list-row.focused[aria-label="${title}"]`).waitFor({ timeout: 60000 });
  await page.keyboard.press('Enter');
}

/**
 * The view types of the webview editors in the layout the workbench has stored: what a reload of the page
 * brings back. In the browser VS Code writes its state to IndexedDB every 5 s when idle (BrowserStorageService),
 * and the write it starts as the page unloads is cut short (each store waits 100 ms before writing): the
 * browser's own reload brings back the layout of the last write, without an editor opened since. Developer:
 * Reload Window writes the state first, then reloads.
 */
async function storedWebviews(page) {
  return page.evaluate(async () => {
    const request = (r) =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const found = [];
    for (const { name } of await indexedDB.databases()) {
      if (!name?.startsWith('vscode-web-state-db-')) continue;
      const db = await request(indexedDB.open(name));
      try {
        if (!db.objectStoreNames.contains('ItemTable')) continue;
        const layout = await request(db.transaction('ItemTable').objectStore('ItemTable').get('memento/workbench.parts.editor'));
        if (typeof layout === 'string') for (const m of layout.matchAll(/"viewType\\*":\\*"mainThreadWebview-([\w.-]+)/g)) found.push(m[1]);
      } finally {
        db.close();
      }
    }
    return found;
  });
}

/** The browser's own reload (F5), once the workbench has stored a layout with a `viewType` webview open (see storedWebviews). */
async function reloadPage(page, viewType) {
  const t = Date.now();
  while (!(await storedWebviews(page)).includes(viewType)) {
    if (Date.now() - t > 60000) throw new Error(`after 60 s the workbench's stored layout still has no ${viewType} webview`);
    await page.waitForTimeout(250);
  }
  console.log(`    (the workbench's stored layout had the ${viewType} webview after ${Date.now() - t} ms of waiting)`);
  await page.reload();
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
}

/** Developer: Reload Window, as a user runs it from the palette: the workbench stores its state, then reloads the page. */
async function reloadWindow(page) {
  const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60000 });
  await runCommand(page, 'Developer: Reload Window', { exact: true });
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
}

/** Closes every editor and panel, so that what opens next is new. */
async function closeAllEditors(page) {
  await runCommand(page, 'View: Close All Editors');
  await page.waitForFunction(() => !document.querySelector('iframe.webview'), null, { timeout: 60000 });
}

const row = (page, name) => page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`);

async function expandFolder(page, name, child) {
  if (await row(page, child).count()) return;
  await row(page, name).click();
  await row(page, child).waitFor({ timeout: 60000 }); // the tree lists a folder late on a busy machine (15 s was once too short)
}

async function contextMenu(page, name, item, shot) {
  await row(page, name).click({ button: 'right' });
  const entry = page.getByRole('menuitem', { name: item });
  await entry.waitFor({ timeout: 60000 });
  if (shot) {
    await page.screenshot({ path: path.join(ART, shot) });
    await page.screenshot({ path: path.join(ART, `readme-${shot.replace(/^\d+-/, '')}`), clip: { x: 0, y: 0, width: 560, height: 340 } });
  }
  await entry.click();
  // A click that lands while the menu is still settling can leave it open with the entry only highlighted
  // (seen once in CI): the entry has the focus then, and Enter activates it.
  const closed = await entry.waitFor({ state: 'detached', timeout: 3000 }).then(
    () => true,
    () => false,
  );
  if (!closed) {
    await page.keyboard.press('Enter');
    await entry.waitFor({ state: 'detached', timeout: 60000 });
  }
}

/** Pixel statistics of the main overlay canvas: its size and a coarse fingerprint for comparisons. */
async function canvasPixels(frame) {
  return frame.evaluate(() => {
    const c = document.querySelector('canvas.overlay[data-side="main"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const values = [];
    for (let i = 0; i < d.length; i += 4 * 97) values.push(d[i], d[i + 1], d[i + 2]);
    return { width: c.width, height: c.height, values, distinct: new Set(values).size };
  });
}

/** Ids of the explanation engines (dist/engine.js of the installed extension) running under this scratch folder. */
function enginePids(scratch) {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return ps
    .split('\n')
    .filter((l) => l.includes(scratch.extensionsDir) && l.includes(path.join('dist', 'engine.js')))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const results = [];
/** The sweep results folders under the user-data folder and their files (a failure's diagnosis). */
function storedSweeps(root) {
  const found = [];
  const walk = (dir, depth) => {
    for (const e of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name === 'sweeps')
        for (const s of readdirSync(p)) found.push(`${path.relative(root, path.join(p, s))} [${readdirSync(path.join(p, s)).join(', ')}]`);
      else if (depth < 6) walk(p, depth + 1);
    }
  };
  walk(root, 0);
  return found.length ? found.join('; ') : 'none';
}

async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`  ✓ ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`  ✗ ${name}: ${e.message}`);
    await page?.screenshot({ path: path.join(ART, `failed-${results.length}.png`) }).catch(() => {});
    // a menu or quick pick left open by the failed step must not take the next step down with it
    for (let i = 0; i < 2; i++) await page?.keyboard.press('Escape').catch(() => {});
  }
}

const t0 = Date.now();
const scratch = makeScratch('cnnf-e2e-');
let server, browser, page;
try {
  const vsixMb = (statSync(VSIX).size / 1e6).toFixed(1);
  codeServerCli(scratch, ['--install-extension', VSIX]);
  const listed = codeServerCli(scratch, ['--list-extensions', '--show-versions']).trim();
  console.log(`installed ${path.basename(VSIX)} (${vsixMb} MB): ${listed}`);
  server = await startCodeServer(scratch);
  console.log(`code-server ${server.url} up in ${server.startMs} ms`);
  browser = await launchChromium(scratch);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  let main; // the frame of the pelican panel
  let other; // the class clicked second

  await step('the VSIX installs into a fresh extensions dir', async () => {
    assert.match(listed, /^cnn-fixations\.cnn-fixations@\d+\.\d+\.\d+$/m);
  });

  await step('the installed extension loads onnxruntime-node in Node 24 (what its extension host runs)', async () => {
    const installed = path.join(scratch.extensionsDir, listed.trim().replace('@', '-'));
    const r = spawnSync(path.join(NODE24_BIN, 'node'), ['-e', "const o = require('onnxruntime-node'); console.log(o.env.versions.common)"], {
      cwd: installed,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^1\.\d+\.\d+/);
    // the explanation engine ships too; run by hand (no IPC channel) it loads its bundle and onnxruntime, then says what it is
    const engine = spawnSync(path.join(NODE24_BIN, 'node'), [path.join(installed, 'dist', 'engine.js')], { encoding: 'utf8' });
    assert.equal(engine.status, 2, engine.stderr);
    assert.match(engine.stderr, /explanation engine/);
  });

  await step('the workbench opens the workspace with a model and images', async () => {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(scratch.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await row(page, 'images').waitFor({ timeout: 60000 });
    await expandFolder(page, 'images', 'pelican.jpeg');
    await expandFolder(page, 'models', 'corrupt.onnx');
    await page.screenshot({ path: path.join(ART, '01-workbench.png') });
  });

  await step('right-click pelican.jpeg → "Explain with CNN Fixations" shows class 144 pelican with an overlay', async () => {
    await contextMenu(page, 'pelican.jpeg', 'Explain with CNN Fixations', '02-context-menu.png');
    main = await frameWith(page, 'canvas.overlay[data-side="main"][data-class-index="144"]');
    assert.equal((await main.locator('#title .title-name').textContent()).trim(), 'pelican');
    assert.match(await main.locator('#title .title-index').textContent(), /class 144/);
    const px = await canvasPixels(main);
    assert.ok(px.width > 100 && px.height > 100, `canvas ${px.width}×${px.height}`);
    assert.ok(px.distinct > 50, 'the canvas holds a picture');
    // The overlay is drawn over the photo: switching the heat map off changes the pixels.
    await main.locator('label.toggle', { has: main.locator('input[data-toggle="heat"]') }).click();
    const off = await canvasPixels(main);
    const changed = px.values.filter((v, i) => v !== off.values[i]).length / px.values.length;
    await main.locator('label.toggle', { has: main.locator('input[data-toggle="heat"]') }).click();
    assert.ok(changed > 0.02, `the heat map covers part of the image (${(changed * 100).toFixed(1)}% of samples changed)`);
    await main.locator('.preds button.pred').nth(1).waitFor();
    await page.screenshot({ path: path.join(ART, '03-panel-pelican.png') });
    // the README's picture of the panel (media/screenshots/ holds a copy): the explorer and the panel's top
    await page.screenshot({ path: path.join(ART, 'readme-panel.png'), clip: { x: 0, y: 0, width: 1280, height: 690 } });
  });

  await step('clicking another predicted class explains it', async () => {
    const second = main.locator('.preds button.pred').nth(1);
    other = Number(await second.getAttribute('data-class'));
    assert.ok(Number.isInteger(other) && other !== 144);
    await second.click();
    await main.locator(`canvas.overlay[data-side="main"][data-class-index="${other}"]`).waitFor({ timeout: WAIT });
    assert.match(await main.locator('#title .title-index').textContent(), new RegExp(`class ${other}\\b`));
    assert.equal(await main.locator(`.preds button.pred[data-class="${other}"]`).getAttribute('aria-pressed'), 'true');
    await page.screenshot({ path: path.join(ART, '04-panel-other-class.png') });
  });

  await step('"Why not?" on pelican shows the explained class against it, between the two classes\' own maps', async () => {
    const why = main.locator('.preds [data-why-not="144"]');
    assert.match(await why.getAttribute('aria-label'), /^Why .+ rather than pelican\?$/);
    await why.click();
    await main.locator(`canvas.overlay[data-side="contrast"][data-class-index="${other}"][data-versus="144"]`).waitFor({ timeout: WAIT });
    await main.locator('canvas.overlay[data-side="compare"][data-class-index="144"]').waitFor({ timeout: WAIT });
    const sides = await main.locator('figure.figure').evaluateAll((els) => els.map((e) => e.dataset.side));
    assert.deepEqual(sides, ['main', 'contrast', 'compare']);
    assert.match(await main.locator('figure[data-side="contrast"] .fig-head').textContent(), /rather than\s*pelican/);
    await page.screenshot({ path: path.join(ART, '04b-why-not.png') });
  });

  await step('after a window reload the panel comes back with the same class and its "why not"', async () => {
    await reloadPage(page, 'cnnFixations.panel');
    const f = await frameWith(page, `canvas.overlay[data-side="main"][data-class-index="${other}"]`);
    assert.match(await f.locator('#title .title-index').textContent(), new RegExp(`class ${other}\\b`));
    // VS Code's serializer reopens it from the host's record: the contrast and the compared class come back too
    await f.locator(`canvas.overlay[data-side="contrast"][data-class-index="${other}"][data-versus="144"]`).waitFor({ timeout: WAIT });
    await f.locator('canvas.overlay[data-side="compare"][data-class-index="144"]').waitFor({ timeout: WAIT });
    await page.screenshot({ path: path.join(ART, '05-restored.png') });
  });

  await step('the image preview has the "Explain with CNN Fixations" title button', async () => {
    await expandFolder(page, 'images', 'pelican.jpeg');
    await row(page, 'eagle.jpg').dblclick();
    const button = page.locator('.editor-actions [aria-label="Explain with CNN Fixations"]');
    await button.first().waitFor({ timeout: 30000 });
    await frameWith(page, 'img.scale-to-fit, .image-container img, img', 20000).catch(() => {}); // for the screenshot only
    await page.screenshot({ path: path.join(ART, '06-image-preview.png') });
    await button.first().click();
    const f = await frameWith(page, 'canvas.overlay[data-side="main"][data-class-index="22"]');
    assert.match(await f.locator('#title .title-name').textContent(), /bald eagle/);
    await page.screenshot({ path: path.join(ART, '07-panel-eagle.png') });
  });

  await step('Cancel on the progress notification stops a run stuck in the engine; Rerun explains in a new engine', async () => {
    // the engine runs (the panels above used it); freeze it, as a long onnxruntime run would hold it
    const pids = enginePids(scratch);
    assert.equal(pids.length, 1, `one engine process: ${pids}`);
    const [pid] = pids;
    process.kill(pid, 'SIGSTOP');
    try {
      await contextMenu(page, 'eagle.jpg', 'Explain with CNN Fixations');
      const toast = page.locator('.notification-toast', { hasText: 'CNN Fixations: eagle.jpg' });
      await toast.waitFor({ timeout: 30000 });
      await page.screenshot({ path: path.join(ART, '08-progress-cancel.png') });
      await toast.getByRole('button', { name: 'Cancel' }).click();
      const f = await frameWith(page, '.error-banner:not([hidden]) .error-title');
      assert.equal(await f.locator('.error-banner .error-title').textContent(), 'Cancelled');
      // cancelling killed the engine (a frozen process too): nothing of it is left
      const end = Date.now() + 10000;
      while (alive(pid) && Date.now() < end) await page.waitForTimeout(100);
      assert.ok(!alive(pid), `engine ${pid} is gone`);
      await page.screenshot({ path: path.join(ART, '09-cancelled.png') });
      await f.locator('.error-banner .error-actions button', { hasText: 'Rerun' }).click();
      await f.locator('canvas.overlay[data-side="main"][data-class-index="22"]').waitFor({ timeout: WAIT });
      await f.locator('.error-banner').waitFor({ state: 'hidden', timeout: WAIT });
      const now = enginePids(scratch);
      assert.equal(now.length, 1, `a new engine: ${now}`);
      assert.notEqual(now[0], pid);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGCONT');
    }
  });

  await step('a corrupt .onnx shows a clear error in the panel', async () => {
    await expandFolder(page, 'models', 'corrupt.onnx');
    await contextMenu(page, 'corrupt.onnx', 'Explain with CNN Fixations');
    // from a model, the extension asks for the image
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 60000 });
    // the workspace has many images (the sweep's folder too): filter, then wait for the one wanted
    await input.fill('pelican');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'pelican.jpeg' }).waitFor({ timeout: 60000 });
    await page.keyboard.press('Enter');
    const f = await frameWith(page, '.error-banner:not([hidden]) .error-title');
    assert.equal(await f.locator('.error-banner .error-title').textContent(), 'Cannot load the model');
    assert.match(await f.locator('.error-banner .error-message').textContent(), /corrupt\.onnx is not a usable ONNX model/);
    assert.match(await f.locator('.error-banner .error-hint').textContent(), /re-export/);
    await page.screenshot({ path: path.join(ART, '10-corrupt-model.png') });
  });

  await step('the walkthrough opens from the palette and its Open Demo button explains the pelican', async () => {
    await closeAllEditors(page);
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const input = page.locator('.quick-input-widget input');
    await input.fill('Get started with CNN Fixations');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with CNN Fixations' }).first().click();
    const walk = page.locator('.gettingStartedContainer');
    await walk.getByText('Explain the demo', { exact: true }).first().waitFor({ timeout: 30000 });
    for (const title of ['Explain your own image', 'Use your own model', 'Sweep a labelled folder'])
      await walk.getByText(title, { exact: true }).first().waitFor();
    await page.waitForTimeout(1500); // the step's picture loads
    await page.screenshot({ path: path.join(ART, '11-walkthrough.png') });
    await walk.getByRole('button', { name: 'Open Demo' }).first().click();
    const f = await frameWith(page, '.subtitle span[title*="/extensions/"]');
    await f.locator('canvas.overlay[data-side="main"][data-class-index="144"]').waitFor({ timeout: WAIT });
    await page.screenshot({ path: path.join(ART, '12-walkthrough-demo.png') });
  });

  await step('the extension host is still alive: the demo command explains the pelican', async () => {
    await closeAllEditors(page);
    await runCommand(page, 'CNN Fixations: Open Demo');
    // the demo model lives in the installed extension, not in the workspace
    const f = await frameWith(page, '.subtitle span[title*="/extensions/"]');
    await f.locator('canvas.overlay[data-side="main"][data-class-index="144"]').waitFor({ timeout: WAIT });
    await page.screenshot({ path: path.join(ART, '13-demo.png') });
  });

  await step('right-click a labelled folder → "Find Misclassifications" shows the sweep; a mistake opens on why predicted, not expected', async () => {
    // the folder's classes are Fashion-MNIST's: its classifier and labels become the workspace's settings
    writeFileSync(
      path.join(scratch.workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'cnnFixations.model': 'models/fmnist-gap.onnx', 'cnnFixations.labelsFile': 'models/fmnist_labels.txt' }),
    );
    await page.waitForTimeout(1500); // the settings file is read again
    await contextMenu(page, 'fashion', 'Find Misclassifications with CNN Fixations');
    const view = await frameWith(page, 'table.confusion');
    assert.equal(await view.locator('.stat .value').nth(2).textContent(), '30', '30 images swept');
    assert.ok((await view.locator('button[data-open]').count()) > 0, 'mistakes listed');
    await page.screenshot({ path: path.join(ART, '12-sweep-view.png') });
    await view.locator('button[data-open]').first().click();
    await frameWith(page, 'canvas.overlay[data-side="contrast"]');
    await page.screenshot({ path: path.join(ART, '13-sweep-mistake.png') });
  });

  /** What the sweep view shows: its figures, the mistakes it lists and their pictures. */
  const shown = async (f) => ({
    stats: await f.locator('.stat .value').allTextContents(),
    mistakes: await f.locator('button[data-open]').evaluateAll((els) => els.map((e) => e.dataset.open)),
    pictures: await f.locator('.pic img').count(),
  });
  let swept; // what the view showed before the reloads

  await step(
    'Developer: Reload Window right after the sweep brings its view back with the same results; a mistake still opens on why predicted, not expected',
    async () => {
      swept = await shown(await frameWith(page, 'table.confusion'));
      assert.ok(swept.mistakes.length > 0 && swept.pictures > 0);
      // the view opened seconds ago: whether the workbench's periodic write has caught it yet varies (the browser's
      // own reload then loses it, see storedWebviews); the command writes first, so it comes back either way
      const stored = (await storedWebviews(page)).includes('cnnFixations.sweep');
      console.log(`    (before the reload the workbench's stored layout ${stored ? 'already had' : 'did not have'} the sweep view)`);
      // (the explanation panel beside it comes back too; the view keeps its own column, so its webview is shown)
      await reloadWindow(page);
      const view = await frameWith(page, 'table.confusion');
      assert.deepEqual(await shown(view), swept, "the same figures, mistakes and pictures, read from the extension's storage");
      await page.screenshot({ path: path.join(ART, '14-sweep-restored.png') });
      await view.locator(`button[data-open="${swept.mistakes[0]}"]`).click();
      const f = await frameWith(page, 'canvas.overlay[data-side="contrast"]');
      assert.match(await f.locator('figure[data-side="contrast"] .fig-head').textContent(), /rather than/);
      await page.screenshot({ path: path.join(ART, '15-sweep-restored-mistake.png') });
    },
  );

  await step("the browser's own reload of the page brings the sweep view back too, once the workbench has stored it", async () => {
    await reloadPage(page, 'cnnFixations.sweep');
    const view = await frameWith(page, 'table.confusion').catch((e) => {
      // Seen once (1 run in 4): the view came back saying its results are gone. Say what the storage held then.
      throw new Error(`${e.message}; the extension's sweeps then: ${storedSweeps(scratch.userDataDir)}; the server's log ends: ${server.log().slice(-1500)}`);
    });
    assert.deepEqual(await shown(view), swept, "the same figures, mistakes and pictures, read from the extension's storage");
    await page.screenshot({ path: path.join(ART, '16-sweep-page-reloaded.png') });
  });
} catch (e) {
  console.error(e);
  results.push(['setup', false]);
  if (server) console.error(server.log().slice(-4000));
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (!process.env.VSCODE_TEST_KEEP) scratch.remove();
}
const failed = results.filter(([, ok]) => !ok).length;
console.log(`e2e took ${Date.now() - t0} ms; screenshots in ${path.relative(ROOT, ART)}/`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
