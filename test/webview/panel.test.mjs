/* global describe, it, before, after, beforeEach, afterEach, document, window, getComputedStyle, Event */
// The panel in headless Chromium, under the extension's CSP, answered by a real host: the float
// MobileNetV2 in onnxruntime explaining a pelican photo. Run by test/webview/run.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Jimp } from 'jimp';
import { SHOTS, ROOT, fixture, launchBrowser, loadHostModule, openPanel, pageProblems, startDevServer } from './harness.mjs';

const MODEL = fixture('models/mobilenetv2-12-dequantized-fp32.onnx');
const PELICAN = fixture('images/pelican.jpeg');
const DOG = fixture('images/dog.jpg');
const EXPORTS = path.join(SHOTS, 'exports');
const INFERNO_TOP = [252, 255, 164]; // inferno(1), src/shared/colormap.ts
const INFERNO_ZERO = [0, 0, 4]; // inferno(0)
const RDBU_ENDS = { positive: [103, 0, 31], negative: [5, 48, 97] }; // the diverging map's ends
const VIRIDIS_TOP = [253, 231, 37];
const POINT = [0, 229, 255];
const BOX = [57, 255, 20];

/** Polls until fn() returns a truthy value (bounded by mocha's timeout, not asserted on time). */
async function until(fn, what) {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The RGBA pixels of a canvas. */
function readCanvas(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, data: new Uint8Array(d.buffer) };
  }, selector);
}

const px = (img, x, y) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
const near = (a, b, tol = 2) => a.every((v, i) => Math.abs(v - b[i]) <= tol);
function countColor(img, rgb) {
  return pixelsOf(img, rgb).length;
}
/** Where a picture has exactly this colour (pixel indices). */
function pixelsOf(img, rgb) {
  const at = [];
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i] === rgb[0] && img.data[i + 1] === rgb[1] && img.data[i + 2] === rgb[2]) at.push(i / 4);
  return at;
}
function countDifferent(a, b, tol = 8) {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4)
    if (Math.abs(a.data[i] - b.data[i]) > tol || Math.abs(a.data[i + 1] - b.data[i + 1]) > tol || Math.abs(a.data[i + 2] - b.data[i + 2]) > tol) n++;
  return n;
}

/**
 * The point marks as the compositor draws them (src/shared/overlay.ts): one per pixel, with the largest weight
 * on it, and its opacity 0.35 + 0.65 · weight / max weight when the weights differ. Isolated: no other mark
 * within `reach` pixels, so its disc and rim are its own.
 */
function pointMarks(result, reach = 8) {
  const byPixel = new Map();
  result.keptPoints.forEach(([x, y], i) => {
    const key = `${x},${y}`;
    byPixel.set(key, { x, y, w: Math.max(byPixel.get(key)?.w ?? 0, result.keptPointWeights[i]) });
  });
  const marks = [...byPixel.values()];
  const max = Math.max(...marks.map((m) => m.w));
  for (const m of marks) {
    m.opacity = 0.35 + (0.65 * m.w) / max;
    m.isolated = !marks.some((o) => o !== m && Math.abs(o.x - m.x) <= reach && Math.abs(o.y - m.y) <= reach);
  }
  return marks;
}
/** Pixels in the (2r+1)² square around (x, y) that differ between two pictures. */
function changedAround(a, b, x, y, r = 5) {
  let n = 0;
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (!near(px(a, x + dx, y + dy), px(b, x + dx, y + dy), 0)) n++;
  return n;
}

/** Histogram intersection of two heat grids, each scaled to sum 1 (worked out here, apart from src/shared/overlap.ts). */
function intersection(a, b) {
  const sa = a.heat.data.reduce((t, v) => t + v, 0),
    sb = b.heat.data.reduce((t, v) => t + v, 0);
  let t = 0;
  for (let i = 0; i < a.heat.data.length; i++) t += Math.min(a.heat.data[i] / sa, b.heat.data[i] / sb);
  return t;
}

/** The heat map's hottest grid node, in original pixels (the grid is normalised so its value is 1). */
function heatPeak(explanation) {
  const h = explanation.heat;
  let best = 0;
  for (let i = 1; i < h.data.length; i++) if (h.data[i] > h.data[best]) best = i;
  return { x: (best % h.gridWidth) * h.step, y: Math.floor(best / h.gridWidth) * h.step, value: h.data[best] };
}

/** A message as the page sent it, without its request id (checked to be one). */
function plain(m) {
  if (!m) return m;
  const { id, ...rest } = m;
  assert.ok(Number.isInteger(id) && id > 0, `a request id on ${JSON.stringify(m)}`);
  return rest;
}

/** The Settings form's Mode field (the toolbar has a Mode too). */
const formMode = (page) => page.getByRole('form', { name: 'Run settings' }).getByLabel('Mode', { exact: true });

const MAIN = 'canvas.overlay[data-side=main]';
const COMPARE = 'canvas.overlay[data-side=compare]';

describe('CNN Fixations panel (Chromium, real host)', function () {
  let browser, host, DevHost;
  const sink = {};
  let panel;

  const toggle = (key) => panel.page.locator(`input[data-toggle=${key}]`);
  async function setToggles(want) {
    for (const [k, on] of Object.entries(want)) if ((await toggle(k).isChecked()) !== on) await toggle(k).click();
  }
  async function ready(classIndex = 144) {
    await panel.page.locator('#title', { hasText: `class ${classIndex}` }).waitFor();
    await panel.page.locator(`${MAIN}[data-class-index="${classIndex}"]`).waitFor({ state: 'attached' });
  }
  const lastOf = (h, type) => plain([...h.received].reverse().find((m) => m.type === type));
  const lastReceived = (type) => lastOf(host, type);

  before(async () => {
    ({ DevHost } = loadHostModule());
    host = new DevHost({ model: MODEL, image: PELICAN, exportDir: EXPORTS }, (m) => sink.post(m));
    browser = await launchBrowser();
  });
  after(async () => browser?.close());
  beforeEach(() => host.reset());
  afterEach(async () => {
    if (!panel) return;
    const problems = await pageProblems(panel);
    await panel.context.close();
    panel = undefined;
    assert.deepEqual(problems, [], 'the page reported errors, CSP violations or network requests');
  });

  it('shows class 144 "pelican" with a heat map drawn in inferno over the photo', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    assert.match(await page.locator('#title').innerText(), /pelican\s*class 144/);
    assert.equal(await page.locator('.pred').count(), 5);
    assert.equal(await page.locator('.pred[aria-pressed=true]').getAttribute('data-class'), '144');
    assert.deepEqual(plain(host.received[0]), { type: 'ready' });

    await setToggles({ points: false, box: false });
    const withHeat = await readCanvas(page, MAIN);
    assert.deepEqual([withHeat.width, withHeat.height], [500, 375], 'a 500×375 photo is drawn at its own size');
    await setToggles({ heat: false });
    const photo = await readCanvas(page, MAIN);
    // The heat changes a good part of the picture, and at the hottest node it is inferno's top colour
    // blended at the default opacity 0.6 over the photo.
    assert.ok(countDifferent(withHeat, photo) > 0.1 * 500 * 375, 'the heat map covers a real area');
    const peak = heatPeak(host.main);
    assert.equal(peak.value, 1);
    const expected = px(photo, peak.x, peak.y).map((v, i) => v * 0.4 + INFERNO_TOP[i] * 0.6);
    assert.ok(near(px(withHeat, peak.x, peak.y), expected), `peak pixel ${px(withHeat, peak.x, peak.y)} ≈ ${expected}`);
    await setToggles({ heat: true, points: true, box: true });
    await page.screenshot({ path: path.join(SHOTS, 'panel-1280-dark.png'), fullPage: true });
  });

  it('toggles points, box and heat, and the opacity slider changes the overlay', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    await setToggles({ heat: false, points: true, box: true });
    const withPoints = await readCanvas(page, MAIN);
    assert.ok(countColor(withPoints, BOX) > 500, 'the green box is drawn');
    await setToggles({ points: false });
    let img = await readCanvas(page, MAIN);
    assert.equal(countColor(img, POINT), 0, 'points toggled off');
    assert.ok(countColor(img, BOX) > 500);
    // The points are what the toggle adds. In the default (discriminative) mode they are drawn by mass: each
    // blended over the photo at its own opacity (0.35 to 1 by weight / max weight), a lighter one in a smaller disc.
    assert.ok(countDifferent(withPoints, img, 0) > 50, 'the points change the picture');
    assert.equal(host.main.result.settings.mode, 'discriminative');
    const marks = pointMarks(host.main.result).filter((m) => m.isolated);
    const heavy = marks.reduce((a, b) => (b.w > a.w ? b : a)),
      light = marks.reduce((a, b) => (b.w < a.w ? b : a));
    assert.ok(light.w < heavy.w / 2, `graded masses among the isolated points (${light.w} vs ${heavy.w})`);
    for (const m of [heavy, light]) {
      const blended = px(img, m.x, m.y).map((v, i) => Math.round(v * (1 - m.opacity) + POINT[i] * m.opacity));
      assert.ok(near(px(withPoints, m.x, m.y), blended, 1), `a point at opacity ${m.opacity.toFixed(2)}: ${px(withPoints, m.x, m.y)} ≈ ${blended}`);
    }
    assert.ok(light.opacity < heavy.opacity - 0.1, `a lighter point, a fainter disc (${light.opacity.toFixed(2)} vs ${heavy.opacity.toFixed(2)})`);
    assert.ok(changedAround(withPoints, img, light.x, light.y) < changedAround(withPoints, img, heavy.x, heavy.y), 'a lighter point, a smaller disc');
    await setToggles({ box: false });
    const photo = await readCanvas(page, MAIN);
    assert.equal(countColor(photo, BOX), 0, 'box toggled off');
    assert.ok(await page.locator('input[type=range]').isDisabled(), 'opacity is disabled while the heat map is off');

    await setToggles({ heat: true });
    const slider = page.locator('input[type=range]');
    await slider.focus();
    await page.keyboard.press('End');
    assert.equal(await page.locator('.opacity-value').innerText(), '100%');
    const peak = heatPeak(host.main);
    const full = await readCanvas(page, MAIN);
    assert.ok(near(px(full, peak.x, peak.y), INFERNO_TOP, 1), `at opacity 100% the hottest pixel is inferno(1), got ${px(full, peak.x, peak.y)}`);
    await page.keyboard.press('Home');
    assert.equal(await page.locator('.opacity-value').innerText(), '0%');
    assert.equal(countDifferent(await readCanvas(page, MAIN), photo, 0), 0, 'at opacity 0 the canvas is the photo');
    for (let i = 0; i < 35; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('.opacity-value').innerText(), '35%');
    const partial = await readCanvas(page, MAIN);
    const expected = px(photo, peak.x, peak.y).map((v, i) => v * 0.65 + INFERNO_TOP[i] * 0.35);
    assert.ok(near(px(partial, peak.x, peak.y), expected), 'at 35% the peak is blended 35%');
  });

  it('explains another class when a prediction is clicked, with no new forward pass', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    const passes = host.info().forwardPasses;
    const before = await readCanvas(page, MAIN);
    await page.locator('.pred[data-class="129"]').click();
    await ready(129);
    assert.match(await page.locator('#title').innerText(), /spoonbill\s*class 129/);
    assert.deepEqual(lastReceived('explainClass'), { type: 'explainClass', classIndex: 129 });
    assert.equal(await page.locator('.pred[aria-pressed=true]').getAttribute('data-class'), '129');
    assert.ok(countDifferent(await readCanvas(page, MAIN), before) > 1000, 'the overlay now shows class 129');
    // The drill-down follows the class: the layer is asked for again, for class 129.
    await until(() => host.lastLayer?.classIndex === 129, 'the layer detail of class 129');
    await page.locator('.layer-detail:not(.stale) [data-map=cells]').waitFor();
    assert.equal(host.info().forwardPasses, passes, 'the kept forward pass explained it');
  });

  it('compares two classes side by side, from the list and from the class picker', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    await page.locator('[data-compare="129"]').click();
    await page.locator(`${COMPARE}[data-class-index="129"]`).waitFor();
    assert.deepEqual(lastReceived('compare'), { type: 'compare', classIndex: 129 });
    const a = await page.locator(MAIN).boundingBox(),
      b = await page.locator(COMPARE).boundingBox();
    assert.ok(Math.abs(a.y - b.y) < 2 && b.x >= a.x + a.width, 'the two overlays sit side by side');
    assert.ok(countDifferent(await readCanvas(page, MAIN), await readCanvas(page, COMPARE)) > 1000, 'and show different explanations');
    assert.match(await page.locator('figure[data-side=compare] .fig-head').innerText(), /spoonbill/);
    assert.match(await page.locator('.subtitle').innerText(), /compared with spoonbill \(class 129\)/);
    // The compared side says how many input fixations the two classes share, counted here from the host's results.
    const keys = new Set(host.main.result.inputFixations.map((f) => f.join(',')));
    const shared = host.compare.result.inputFixations.filter((f) => keys.has(f.join(','))).length;
    assert.ok(shared > 0 && shared < host.compare.result.inputFixations.length, `some but not all fixations shared (${shared})`);
    assert.match(await page.locator('figure[data-side=compare] .fig-foot').innerText(), new RegExp(`· ${shared} shared with pelican`));
    assert.doesNotMatch(await page.locator('figure[data-side=main] .fig-foot').innerText(), /shared/);
    await page.screenshot({ path: path.join(SHOTS, 'compare-1280-dark.png'), fullPage: true });

    // The picker: type part of a label, arrows and Enter pick, Enter again compares.
    const input = page.getByRole('combobox', { name: 'Find a class' });
    await input.fill('egret');
    const option = page.locator('[role=option][data-class="132"]');
    await option.waitFor();
    assert.match(await option.innerText(), /American egret/);
    assert.equal(await page.locator('[role=option][aria-selected=true]').getAttribute('data-class'), '131', 'little blue heron (Egretta caerulea) comes first');
    await input.press('ArrowDown');
    assert.equal(await input.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
    await page.screenshot({ path: path.join(SHOTS, 'picker-1280-dark.png') });
    await input.press('Enter');
    assert.equal(await input.inputValue(), '132 American egret');
    await input.press('Enter');
    await page.locator(`${COMPARE}[data-class-index="132"]`).waitFor();
    // A typed index works too, and Explain makes it the explained class.
    await input.fill('22');
    await input.press('Enter');
    await page.locator('[data-picker=explain]').click();
    await ready(22);
    assert.match(await page.locator('#title').innerText(), /bald eagle/);

    await page.getByRole('button', { name: 'Stop comparing' }).click();
    await page.locator(COMPARE).waitFor({ state: 'detached' });
    assert.deepEqual(lastReceived('compare'), { type: 'compare', classIndex: undefined });
  });

  it('drills into a layer: fixations on its grid, projected to the image, channels and activation map', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    // The first spatial layer from the output opens by itself (MobileNetV2: the last 7×7 block).
    await page.locator('[data-map=cells]').waitFor();
    let d = host.lastLayer;
    assert.ok(d.gridWidth > 1 && d.gridHeight > 1);
    assert.equal(await page.locator('table.layers tbody tr[data-index]:not([hidden])').count(), host.main.result.layers.length);
    assert.equal(await page.locator('table.layers tr[aria-selected=true]').getAttribute('data-index'), String(d.layerIndex));

    const cells = await readCanvas(page, '[data-map=cells]');
    assert.deepEqual([cells.width, cells.height], [d.gridWidth, d.gridHeight]);
    const lit = [...d.cellCounts].filter((c) => c > 0).length;
    assert.equal(cells.width * cells.height - countColor(cells, INFERNO_ZERO), lit, 'every fixated cell and only those are coloured');
    // The default mode carries masses: the grid is shaded by each cell's share of the mass, the heaviest at inferno's top.
    let heaviest = 0;
    for (let i = 1; i < d.cellMass.length; i++) if (d.cellMass[i] > d.cellMass[heaviest]) heaviest = i;
    assert.deepEqual(px(cells, heaviest % d.gridWidth, Math.floor(heaviest / d.gridWidth)), INFERNO_TOP, 'the heaviest cell is the hottest');
    let most = 0;
    for (let i = 1; i < d.cellCounts.length; i++) if (d.cellCounts[i] > d.cellCounts[most]) most = i;
    if (d.cellMass[most] < 0.9 * d.cellMass[heaviest])
      assert.notDeepEqual(px(cells, most % d.gridWidth, Math.floor(most / d.gridWidth)), INFERNO_TOP, 'not the cell with the most fixations');
    assert.match(await page.locator('.layer-detail').innerText(), /Mass on the \d+×\d+ grid[\s\S]*Channels holding the most mass/);
    assert.equal(await page.locator('.chip-btn').first().getAttribute('data-channel'), String(d.topChannels[0][0]));
    assert.ok(d.activation, 'the float model keeps this tensor');
    const act = await readCanvas(page, '[data-map=activation]');
    let k = 0;
    for (let i = 1; i < d.activation.length; i++) if (Math.abs(d.activation[i]) > Math.abs(d.activation[k])) k = i;
    // All ≥ 0 (after a ReLU): viridis, the strongest is its top; signed: the end of the diverging map.
    const signed = d.activation.some((v) => v < 0);
    const end = !signed ? VIRIDIS_TOP : d.activation[k] >= 0 ? RDBU_ENDS.positive : RDBU_ENDS.negative;
    assert.deepEqual(px(act, k % d.gridWidth, Math.floor(k / d.gridWidth)), end, 'the strongest activation takes the end of the map');
    assert.ok((await readCanvas(page, '[data-map=projected]')).width > 100);

    // A channel chip shows that channel's activation.
    const chip = page.locator('.chip-btn').nth(1);
    const channel = Number(await chip.getAttribute('data-channel'));
    await chip.click();
    await page.locator(`.chip-btn[data-channel="${channel}"][aria-pressed=true]`).waitFor();
    assert.deepEqual(lastReceived('selectLayer'), { type: 'selectLayer', layerIndex: d.layerIndex, channel });
    assert.match(await page.locator('.layer-detail').innerText(), new RegExp(`Activation of channel ${channel}`));

    // Rows: click one, or move with the arrows and open with Enter.
    await page.locator('table.layers tr[data-index="12"]').click();
    await page.locator('.detail-head', { hasText: 'Layer 12' }).waitFor();
    d = host.lastLayer;
    assert.equal(d.layerIndex, 12);
    await page.locator('table.layers tr[data-index="12"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.locator('.detail-head', { hasText: 'Layer 13' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'layers-1280-dark.png'), fullPage: true });

    // The strip chart selects a layer too, and the table scrolls (itself, not the page) to its row.
    const n = host.main.result.layers.length;
    const chart = await page.locator('canvas.layer-chart').boundingBox();
    await page.locator('canvas.layer-chart').click({ position: { x: ((80 + 0.5) / n) * chart.width, y: chart.height / 2 } });
    await page.locator('.detail-head', { hasText: 'Layer 80' }).waitFor();
    const row = await page.locator('table.layers tr[data-index="80"]').boundingBox();
    const wrap = await page.locator('.table-wrap').boundingBox();
    assert.ok(row.y >= wrap.y && row.y + row.height <= wrap.y + wrap.height + 1, 'row 80 is scrolled into view');
    // Layer 80's values are not kept by the forward pass: the host gets them from an inspection run.
    await page.locator('.layer-detail:not(.stale) :is([data-map=activation], [data-map=activation-note])').waitFor();
    assert.equal(host.lastLayer.activationNote, undefined, `layer 80 has activations (${host.lastLayer.activationNote})`);
    assert.ok(await page.locator('[data-map=activation]').isVisible());

    // The filter narrows the table; a vector layer shows no grid but lists its units.
    await page.locator('input.filter').fill('MatMul');
    const rows = page.locator('table.layers tbody tr[data-index]:not([hidden])');
    assert.equal(await rows.count(), host.main.result.layers.filter((l) => `${l.op} ${l.node} ${l.tensor}`.toLowerCase().includes('matmul')).length);
    await rows.first().click();
    await page.locator('.layer-detail .placeholder', { hasText: 'no spatial grid' }).waitFor();
    await page.locator('input.filter').fill('');
  });

  it('posts export messages with the current overlay settings and shows where the file went', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    await setToggles({ points: false });
    await page.locator('input[type=range]').fill('30');
    await page.locator('[data-export=png]').click();
    const toast = page.locator('.toast');
    await toast.filter({ hasText: 'overlay PNG' }).waitFor();
    assert.deepEqual(lastReceived('export'), { type: 'export', kind: 'png', overlay: { heat: true, points: false, box: true, opacity: 0.3 } });
    const file = host.exported.at(-1);
    assert.match(await toast.innerText(), new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.deepEqual([...readFileSync(file).subarray(1, 4)], [...Buffer.from('PNG')]);
    // One compositor draws both: the box the canvas shows is, pixel for pixel, the one the PNG holds; so are the points.
    const exported = async () => (await Jimp.read(host.exported.at(-1))).bitmap;
    assert.ok(countColor(await exported(), BOX) > 500);
    assert.deepEqual(pixelsOf(await readCanvas(page, MAIN), BOX), pixelsOf(await exported(), BOX), 'the same box pixels');
    // Points by mass (discriminative): the opaque centres of the heaviest are exact cyan in both pictures
    // (the lighter ones blend with the photo, which the browser and the engine decode each in their own way).
    await setToggles({ points: true, heat: false });
    const exportPng = async () => {
      const before = host.exported.length;
      await page.locator('[data-export=png]').click();
      await until(() => host.exported.length > before, 'another PNG');
    };
    await exportPng();
    assert.ok(countColor(await exported(), POINT) > 0);
    assert.deepEqual(pixelsOf(await readCanvas(page, MAIN), POINT), pixelsOf(await exported(), POINT), 'the same opaque point pixels');
    // In paper mode every point counts 1: all discs are plain cyan, pixel for pixel the same in both.
    await page.getByRole('tab', { name: 'Settings & timings' }).click();
    await formMode(page).selectOption('paper');
    await until(() => host.main?.result.settings.mode === 'paper', 'paper mode');
    await page.locator('.facts', { hasText: 'mode paper' }).waitFor();
    await exportPng();
    assert.ok(countColor(await exported(), POINT) > 50);
    assert.deepEqual(pixelsOf(await readCanvas(page, MAIN), POINT), pixelsOf(await exported(), POINT), 'the same point pixels');
    await page.locator('[data-export=json]').click();
    await toast.filter({ hasText: 'JSON' }).waitFor();
    assert.equal(JSON.parse(readFileSync(host.exported.at(-1), 'utf8')).target.index, 144);
    await page.locator('[data-export=html]').click();
    await toast.filter({ hasText: 'HTML report' }).waitFor();
    assert.match(readFileSync(host.exported.at(-1), 'utf8'), /^<!doctype html>/);
  });

  it('warns when the labels do not fit the model, above the panel, until dismissed', async () => {
    host.open({ model: MODEL, image: PELICAN, options: { labels: ['first', 'second', 'third'] }, exportDir: EXPORTS });
    try {
      panel = await openPanel(browser, sink, host);
      const { page } = panel;
      const warning = page.locator('.warning-banner');
      await warning.waitFor();
      assert.equal(
        await warning.locator('.warning-message').innerText(),
        'The labels file has 3 lines but the model scores 1000 classes: classes 3–999 are shown by index. Check that the labels belong to this model.',
      );
      assert.equal(await page.getByRole('alert').count(), 0, 'a warning, not an error');
      await page.screenshot({ path: path.join(SHOTS, 'warning-labels-1280-dark.png'), clip: { x: 0, y: 0, width: 1280, height: 360 } });
      await warning.getByRole('button', { name: 'Dismiss' }).click();
      await warning.waitFor({ state: 'hidden' });
    } finally {
      host.open({ model: MODEL, image: PELICAN, exportDir: EXPORTS });
    }
  });

  it('shows an error with its title, message and node, from a real walk that has no rule', async () => {
    host.open({
      model: path.join(ROOT, 'test', 'webview', 'fixtures', 'lppool-no-rule.onnx'),
      image: PELICAN,
      options: { preset: 'unit' },
      exportDir: EXPORTS,
    });
    try {
      panel = await openPanel(browser, sink, host);
      const { page } = panel;
      const banner = page.getByRole('alert');
      await banner.waitFor();
      // the engine's failure as the extension shows it (src/engine/failure.ts, src/panels/errors.ts)
      assert.equal(await banner.locator('.error-title').innerText(), 'Cannot explain through LpPool');
      assert.match(await banner.locator('.error-message').innerText(), /Path from the output: .*lppool_2x2/);
      assert.equal(await banner.locator('.error-node code').innerText(), 'lppool_2x2');
      assert.match(await banner.locator('.error-hint').innerText(), /The walk has no rule for this node/);
      assert.equal(await page.locator('.busy-label').innerText(), '', 'busy ends with the error');
      assert.equal(await page.locator('#title').innerText(), 'No explanation');
      await page.screenshot({ path: path.join(SHOTS, 'error-1280-dark.png'), fullPage: true });
      await page.screenshot({ path: path.join(SHOTS, 'readme-error-no-rule.png'), clip: { x: 0, y: 0, width: 1280, height: 300 } });
      // Rerun (what the hints ask for) runs again: the same model fails the same way.
      const passes = host.info().forwardPasses;
      const errors = () => host.received.filter((m) => m.type === 'rerun').length;
      await banner.getByRole('button', { name: 'Rerun' }).click();
      await until(() => errors() === 1, 'the rerun message');
      assert.deepEqual(lastReceived('rerun'), { type: 'rerun' });
      await until(() => host.info().error && !host.info().busy, 'the rerun to fail again');
      assert.equal(host.info().error.node, 'lppool_2x2');
      assert.equal(host.info().forwardPasses, passes, 'a failed run keeps no forward pass');
      await banner.locator('.error-node code', { hasText: 'lppool_2x2' }).waitFor();
      await banner.getByRole('button', { name: 'Dismiss' }).click();
      await banner.waitFor({ state: 'hidden' });
    } finally {
      host.open({ model: MODEL, image: PELICAN, exportDir: EXPORTS });
    }
  });

  it("shows a preprocessing mismatch as it looks to a user: the pelican under preset raw (0-255, not the model's normalisation) is not a pelican", async () => {
    host.open({ model: MODEL, image: PELICAN, options: { preset: 'raw' }, exportDir: EXPORTS });
    try {
      panel = await openPanel(browser, sink, host);
      const { page } = panel;
      await page.locator(`${MAIN}[data-class-index]`).waitFor({ state: 'attached' });
      const predictions = host.main.result.predictions;
      assert.notEqual(predictions[0].index, 144, 'raw pixels fool the model');
      assert.ok(!predictions.some((p) => p.index === 144), `pelican is not even in the top-k: ${predictions.map((p) => p.label).join(', ')}`);
      assert.equal(host.main.result.settings.preset, 'raw');
      assert.match(await page.locator('#title').innerText(), new RegExp(`class ${predictions[0].index}`));
      // README's Troubleshooting picture: the title and the predictions
      await page.screenshot({ path: path.join(SHOTS, 'readme-wrong-preset.png'), clip: { x: 0, y: 0, width: 1280, height: 560 } });
    } finally {
      // the next tests open the host's target: give them the pelican under the model's own preset again
      host.open({ model: MODEL, image: PELICAN, exportDir: EXPORTS });
    }
  });

  it('reports a bad request from the panel side as an error too, and handles busy', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    // Through the real validation: the extension's own messages.ts refuses it, and says why.
    await page.evaluate(() => window.cnnfHostBinding({ type: 'selectLayer', id: 900, layerIndex: 9999 }));
    await page.getByRole('alert').filter({ hasText: 'Invalid request from the panel' }).waitFor();
    assert.match(await page.locator('.error-message').innerText(), /layerIndex 9999 is out of range: the walk has 102 layers \(0–101\)/);
    await page.evaluate(() => window.cnnfHostBinding({ type: 'rerun', id: 901, settings: { convMode: 'sideways' } }));
    await page.locator('.error-message', { hasText: 'settings.convMode must be one of auto, contribution, center, activation' }).waitFor();
    // A reply to a request the page has since superseded is dropped by its id: the class and layer shown stay.
    const pelican = host.main;
    await page.locator('.pred[data-class="129"]').click();
    await ready(129);
    await page.locator('.layer-detail:not(.stale) .detail-head').waitFor();
    const shown = await page.locator('.detail-head').innerText();
    await sink.post({ type: 'showLayer', id: 1, detail: { ...host.lastLayer, layerIndex: 5, op: 'Stale' } });
    await sink.post({ type: 'showClass', id: 1, sides: [{ side: 'main', explanation: pelican }], state: { ...host.remembered, classIndex: 144 } });
    assert.equal(await page.locator('.detail-head').innerText(), shown);
    assert.match(await page.locator('#title').innerText(), /class 129/);
    await sink.post({ type: 'busy', busy: true, label: 'Explaining class 3…' });
    assert.equal(await page.locator('.busy-label').innerText(), 'Explaining class 3…');
    assert.equal(await page.locator('#app').getAttribute('aria-busy'), 'true');
    await sink.post({ type: 'busy', busy: false });
    assert.equal(await page.locator('#app').getAttribute('aria-busy'), 'false');
  });

  it('reruns with the settings chosen in the panel', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    await page.getByRole('tab', { name: 'Settings & timings' }).click();
    await page.getByLabel('Heat map sigma (px)').fill('8');
    await page.getByLabel('Conv rule').selectOption('center');
    const passes = host.info().forwardPasses;
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.locator('.facts', { hasText: 'sigma 8.0 px' }).waitFor();
    assert.deepEqual(lastReceived('rerun'), { type: 'rerun', settings: { convMode: 'center', sigma: 8 } }, 'the fields the user changed');
    assert.match(await page.locator('.facts').innerText(), /conv center/);
    assert.equal(host.info().forwardPasses, passes + 1, 'a new forward pass');
    // The form's fields come from the one declaration: each value with what it means.
    assert.equal(await formMode(page).locator('option').count(), 3);
    assert.match(await formMode(page).locator('option[value=paper]').innerText(), /paper: the paper's method exactly, every fixation counts 1/);
    assert.match(await page.getByLabel('Preprocessing').locator('option[value=caffe]').innerText(), /caffe: Caffe: BGR/);
    await page.screenshot({ path: path.join(SHOTS, 'settings-1280-dark.png'), fullPage: true });
    // A field the user leaves alone is not sent: the conv rule left to the mode (auto) stays so. The form shows the
    // rule a run used (activation, with masses); sending it would walk paper mode with it too.
    host.open({ model: MODEL, image: PELICAN, exportDir: EXPORTS });
    await page.reload();
    await ready();
    await page.getByRole('tab', { name: 'Settings & timings' }).click();
    assert.equal(await page.getByLabel('Conv rule').inputValue(), host.main.result.settings.convMode);
    await page.getByLabel('Heat map sigma (px)').fill('6');
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.locator('.facts', { hasText: 'sigma 6.0 px' }).waitFor();
    assert.deepEqual(lastReceived('rerun'), { type: 'rerun', settings: { sigma: 6 } });
    const withMasses = host.main.result.settings.convMode;
    await page.getByRole('radio', { name: 'Paper' }).check();
    await until(() => host.main.result.settings.mode === 'paper', 'paper mode');
    assert.equal(host.main.result.settings.convMode, 'contribution', `paper mode walks by the paper's rule (with masses: ${withMasses})`);
    // Back to the defaults for the other tests.
    host.open({ model: MODEL, image: PELICAN, exportDir: EXPORTS });
  });

  it('changes the mode at once, from the kept forward pass, keeping the classes shown', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    await page.locator('[data-compare="129"]').click();
    await page.locator(`${COMPARE}[data-class-index="129"]`).waitFor();
    const passes = host.info().forwardPasses;
    await page.getByRole('tab', { name: 'Settings & timings' }).click();
    await formMode(page).selectOption('paper');
    await page.locator('.facts', { hasText: 'mode paper' }).waitFor();
    assert.deepEqual(lastReceived('rerun'), { type: 'rerun', settings: { mode: 'paper' } });
    assert.equal(host.info().forwardPasses, passes, 'no new forward pass for a mode');
    assert.equal(host.info().state.mode, 'paper');
    assert.equal(await formMode(page).inputValue(), 'paper');
    await page.locator(`${MAIN}[data-class-index="144"]`).waitFor({ state: 'attached' });
    await page.locator(`${COMPARE}[data-class-index="129"]`).waitFor();
    // The mode travels with each later class request too, and with the state a reload restores.
    await page.locator('.pred[data-class="129"]').click();
    await ready(129);
    assert.equal(host.remembered.mode, 'paper');
  });

  it("switches the mode from the viewer's toolbar: no forward pass, the legend says what is shown, the form follows", async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    const radio = (name) => page.getByRole('radiogroup', { name: 'Mode' }).getByRole('radio', { name });
    const legend = page.locator('.mode-legend');
    assert.equal(await page.getByRole('radiogroup', { name: 'Mode' }).getByRole('radio').count(), 3, 'one per declared mode');
    assert.ok(await radio('Discriminative').isChecked(), 'the default mode');
    // the declaration's meaning is each one's tooltip
    assert.match(await radio('Paper').getAttribute('title'), /paper: the paper's method exactly, every fixation counts 1\. Applies at once/);
    assert.match(await legend.innerText(), /Discriminative: why pelican rather than the other classes/);
    assert.match(await legend.innerText(), /Point size and opacity: the fixation's share of the mass/);
    const passes = host.info().forwardPasses;
    const before = await readCanvas(page, MAIN);

    await radio('Paper').check();
    await legend.filter({ hasText: "Paper mode: the fixations of pelican by the paper's rules" }).waitFor();
    assert.deepEqual(lastReceived('rerun'), { type: 'rerun', settings: { mode: 'paper' } }, "the form's own request");
    assert.equal(host.main.result.settings.mode, 'paper');
    assert.match(await legend.innerText(), /Paper mode: every point counts 1/);
    assert.doesNotMatch(await legend.innerText(), /share of the mass/);
    assert.ok(countDifferent(await readCanvas(page, MAIN), before) > 1000, 'the overlay shows the paper map');
    assert.ok(countColor(await readCanvas(page, MAIN), POINT) > 50, 'paper mode: plain cyan points');
    await page.getByRole('tab', { name: 'Settings & timings' }).click();
    assert.equal(await formMode(page).inputValue(), 'paper', 'the form follows the toolbar');
    await page.screenshot({ path: path.join(SHOTS, 'mode-switch-1280-dark.png'), fullPage: true });

    // and the toolbar follows the form
    await formMode(page).selectOption('weighted');
    await legend.filter({ hasText: "Weighted: the paper's fixations of pelican" }).waitFor();
    assert.ok(await radio('Weighted').isChecked());
    // from the keyboard: the arrows move through the modes, each applied at once
    await radio('Weighted').focus();
    await page.keyboard.press('ArrowRight');
    await legend.filter({ hasText: 'Paper mode' }).waitFor();
    assert.ok(await radio('Paper').isChecked());
    assert.equal(await formMode(page).inputValue(), 'paper');
    assert.equal(host.info().forwardPasses, passes, 'no forward pass for any of the modes');
    assert.equal(host.remembered.mode, 'paper');
  });

  it('"Why A, not B?": A against B between the two own maps, from the picker or a prediction, following the class and mode, after reloads, and left', async () => {
    const dogSink = {};
    const dog = new DevHost({ model: MODEL, image: DOG, exportDir: EXPORTS }, (m) => dogSink.post(m));
    panel = await openPanel(browser, dogSink, dog);
    const { page } = panel;
    const CONTRAST = 'canvas.overlay[data-side=contrast]';
    const figures = () => page.locator('figure.figure').evaluateAll((els) => els.map((e) => e.dataset.side));
    await page.locator('#title', { hasText: 'class 249' }).waitFor();
    await page.locator(`${MAIN}[data-class-index="249"]`).waitFor({ state: 'attached' });
    assert.match(await page.locator('#title').innerText(), /malamute/);
    const passes = dog.info().forwardPasses;

    // Mountain bike, the other object in the photo, is not among the top-5: the picker asks why not.
    const input = page.getByRole('combobox', { name: 'Find a class' });
    await input.fill('mountain bike');
    await page.locator('[role=option][data-class="671"]').waitFor();
    await input.press('Enter');
    const why = page.getByRole('button', { name: 'Why malamute rather than mountain bike?' });
    assert.equal(await why.getAttribute('data-picker'), 'why-not');
    await why.click();
    await page.locator(`${CONTRAST}[data-class-index="249"][data-versus="671"]`).waitFor();
    await page.locator(`${COMPARE}[data-class-index="671"]`).waitFor();
    assert.deepEqual(lastOf(dog, 'whyNot'), { type: 'whyNot', classIndex: 671 });
    assert.deepEqual(await figures(), ['main', 'contrast', 'compare'], 'A, A rather than B, B');
    const boxes = await Promise.all([MAIN, CONTRAST, COMPARE].map((c) => page.locator(c).boundingBox()));
    assert.ok(
      boxes.every((b) => Math.abs(b.y - boxes[0].y) < 2) && boxes[0].x + boxes[0].width <= boxes[1].x && boxes[1].x + boxes[1].width <= boxes[2].x,
      'side by side, in that order',
    );
    assert.deepEqual([dog.contrast.result.settings.mode, dog.contrast.result.settings.versus, dog.compare.result.settings.versus], ['versus', 671, null]);
    // the contrast's caption names both classes and says how far its map is from each class's own
    const contrastHead = await page.locator('figure[data-side=contrast] .fig-head').innerText();
    assert.match(contrastHead, /malamute\s*rather than\s*mountain bike/);
    const contrastFoot = await page.locator('figure[data-side=contrast] .fig-foot').innerText();
    const [withA, withB] = [dog.main, dog.compare].map((y) => intersection(y, dog.contrast).toFixed(2));
    assert.match(contrastFoot, new RegExp(`map overlap ${withA} with malamute, ${withB} with mountain bike`));
    assert.match(
      await page.locator('figure[data-side=compare] .fig-foot').innerText(),
      new RegExp(`shared with malamute · map overlap ${intersection(dog.main, dog.compare).toFixed(2)} with malamute`),
    );
    assert.ok(Number(withA) > Number(withB), `A rather than B looks more like A's map (${withA}) than B's (${withB})`);
    assert.match(await page.locator('.mode-legend').innerText(), /Why malamute rather than mountain bike: what puts malamute's score above mountain bike's/);
    assert.match(await page.locator('.subtitle').innerText(), /why not mountain bike \(class 671\)/);
    assert.ok(countDifferent(await readCanvas(page, CONTRAST), await readCanvas(page, MAIN)) > 1000, "the contrast is not A's own map");
    const c = await page.locator(CONTRAST).boundingBox();
    await page.mouse.move(c.x + c.width / 2, c.y + c.height / 2);
    assert.match(await page.locator('.readout').innerText(), /heat \d\.\d\d \(malamute rather than mountain bike\)/);
    assert.equal(dog.info().forwardPasses, passes, 'no forward pass');
    assert.equal(dog.remembered.versusIndex, 671);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(SHOTS, 'why-not-1280-dark.png'), fullPage: true });
    // the README's picture (webview-ui/screenshots/panel-why-not-dark.png is a copy): the panel down to the class picker
    const layout = await page.locator('main.layout').boundingBox();
    await page.screenshot({
      path: path.join(SHOTS, 'readme-why-not.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: Math.ceil(layout.y + layout.height + 14) },
    });

    // From a prediction row: one click, and the button says it is on.
    const tandem = page.getByRole('button', { name: 'Why malamute rather than bicycle-built-for-two?' });
    await tandem.click();
    await page.locator(`${CONTRAST}[data-versus="444"]`).waitFor();
    await page.locator(`${COMPARE}[data-class-index="444"]`).waitFor();
    assert.equal(await tandem.getAttribute('aria-pressed'), 'true');
    // Another explained class: the contrast follows it, against the same B.
    await page.locator('.pred[data-class="248"]').click();
    await page.locator('#title', { hasText: 'class 248' }).waitFor();
    await page.locator(`${CONTRAST}[data-class-index="248"][data-versus="444"]`).waitFor();
    assert.equal(await page.locator(`${COMPARE}[data-class-index="444"]`).count(), 1, 'B stays');
    // A mode from the toolbar explains every side again; the contrast stays A against B.
    await page.getByRole('radio', { name: 'Weighted' }).check();
    await until(() => dog.main.result.settings.mode === 'weighted' && dog.compare.result.settings.mode === 'weighted', 'both own maps in weighted mode');
    assert.deepEqual([dog.contrast.result.target.index, dog.contrast.result.settings.versus], [248, 444]);
    await page.locator('.mode-legend', { hasText: "Weighted: the paper's fixations of Eskimo dog" }).waitFor();
    assert.equal(dog.info().forwardPasses, passes, 'no forward pass for a class, a versus or a mode');

    // A reload of the webview, then of the window (VS Code reopens from the host's record): the view comes back.
    const check = async () => {
      await page.locator(`${CONTRAST}[data-class-index="248"][data-versus="444"]`).waitFor();
      await page.locator(`${COMPARE}[data-class-index="444"]`).waitFor();
      assert.deepEqual(await figures(), ['main', 'contrast', 'compare']);
      assert.ok(await page.getByRole('radio', { name: 'Weighted' }).isChecked());
    };
    await page.reload();
    await check();
    assert.deepEqual(dog.remembered, { modelPath: MODEL, imagePath: DOG, classIndex: 248, compareIndex: 444, versusIndex: 444, mode: 'weighted' });
    dog.revive(dog.remembered);
    await page.reload();
    await check();
    // A record without it (an older one): the webview asks for it again from its own saved view.
    dog.revive({ ...dog.remembered, compareIndex: undefined, versusIndex: undefined });
    await page.reload();
    await check();
    assert.deepEqual(lastOf(dog, 'whyNot'), { type: 'whyNot', classIndex: 444 });
    assert.equal(dog.info().forwardPasses, 1, 'the revived panel ran its one forward pass');

    // Leaving: the compared figure's ×.
    await page.getByRole('button', { name: 'Leave why not' }).click();
    await page.locator(CONTRAST).waitFor({ state: 'detached' });
    await page.locator(COMPARE).waitFor({ state: 'detached' });
    assert.deepEqual(lastOf(dog, 'whyNot'), { type: 'whyNot', classIndex: undefined });
    await until(() => dog.remembered.versusIndex === undefined && dog.remembered.compareIndex === undefined, 'the host to record it');
    // Explaining B itself ends it too.
    await page.getByRole('button', { name: 'Why Eskimo dog rather than bicycle-built-for-two?' }).click();
    await page.locator(`${CONTRAST}[data-versus="444"]`).waitFor();
    await page.locator('.pred[data-class="444"]').click();
    await page.locator('#title', { hasText: 'class 444' }).waitFor();
    await page.locator(CONTRAST).waitFor({ state: 'detached' });
    assert.deepEqual(await figures(), ['main']);
    assert.equal(dog.remembered.versusIndex, undefined);

    // The layout of the three from 800 to 1600 px, dark and light.
    await page.getByRole('button', { name: 'Why bicycle-built-for-two rather than malamute?' }).click();
    await page.locator(`${CONTRAST}[data-versus="249"]`).waitFor();
    await panel.context.close();
    for (const [width, theme] of [
      [800, 'light'],
      [1280, 'light'],
      [1600, 'dark'],
      [800, 'dark'],
    ]) {
      panel = await openPanel(browser, dogSink, dog, { width, theme });
      await panel.page.locator(`${CONTRAST}[data-versus="249"]`).waitFor();
      await panel.page.locator(`${COMPARE}[data-class-index="249"]`).waitFor();
      const overflow = await panel.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `no horizontal scrolling at ${width}px`);
      const tops = await Promise.all([MAIN, CONTRAST, COMPARE].map(async (sel) => (await panel.page.locator(sel).boundingBox()).y));
      assert.ok(
        tops.every((y) => Math.abs(y - tops[0]) < 2),
        `the three side by side at ${width}px`,
      );
      await panel.page.screenshot({ path: path.join(SHOTS, `why-not-${width}-${theme}.png`), fullPage: true });
      const problems = await pageProblems(panel);
      await panel.context.close();
      panel = undefined;
      assert.deepEqual(problems, []);
    }
  });

  it('restores toggles, opacity, tab, layer and compared class after a reload', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    await setToggles({ points: false });
    await page.locator('input[type=range]').fill('35');
    await page.locator('[data-compare="129"]').click();
    await page.locator(`${COMPARE}[data-class-index="129"]`).waitFor();
    await page.locator('table.layers tr[data-index="12"]').click();
    await page.locator('.detail-head', { hasText: 'Layer 12' }).waitFor();
    await page.getByRole('tab', { name: 'Model' }).click();

    const check = async () => {
      await ready();
      assert.equal(await toggle('points').isChecked(), false);
      assert.equal(await toggle('heat').isChecked(), true);
      assert.equal(await page.locator('.opacity-value').innerText(), '35%');
      assert.equal(await page.getByRole('tab', { name: 'Model' }).getAttribute('aria-selected'), 'true');
      await page.locator(`${COMPARE}[data-class-index="129"]`).waitFor();
      await until(() => host.lastLayer?.layerIndex === 12 && host.lastLayer.classIndex === 144, 'layer 12 asked for again');
    };
    host.lastLayer = undefined;
    await page.reload();
    await check();
    // After a window reload VS Code brings the panel back from the host's record; one that lacks the
    // compared class (an older record): the panel asks for it again from its own saved state.
    host.revive({ ...host.remembered, compareIndex: undefined });
    await page.reload();
    await check();
    assert.deepEqual(lastReceived('compare'), { type: 'compare', classIndex: 129 });
    assert.match(await page.locator('#panel-model').innerText(), /mobilenetv2-12-dequantized-fp32\.onnx[\s\S]*Conv/);
    await page.screenshot({ path: path.join(SHOTS, 'model-1280-dark.png'), fullPage: true });
  });

  it('is usable from the keyboard', async () => {
    panel = await openPanel(browser, sink, host);
    const { page } = panel;
    await ready();
    const seen = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      seen.push(
        await page.evaluate(() => {
          const e = document.activeElement;
          return (
            e.dataset.export ??
            e.dataset.toggle ??
            (e.dataset.mode ? 'mode' : undefined) ??
            (e.dataset.whyNot ? `why-not-${e.dataset.whyNot}` : undefined) ??
            (e.type === 'range' ? 'opacity' : undefined) ??
            (e.classList.contains('pred') ? `pred-${e.dataset.class}` : undefined) ??
            e.getAttribute('role') ??
            e.tagName
          );
        }),
      );
    }
    for (const want of ['png', 'json', 'html', 'mode', 'heat', 'points', 'box', 'opacity', 'pred-129', 'why-not-129', 'combobox', 'tab'])
      assert.ok(seen.includes(want), `${want} is reachable with Tab (saw ${seen.join(', ')})`);
    // Focus is visible.
    await page.locator('.pred[data-class="129"]').focus();
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
    await page.keyboard.press('Enter');
    await ready(129);
    // Tabs follow the arrow keys.
    await page.getByRole('tab', { name: /Layers/ }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Model' }).getAttribute('aria-selected'), 'true');
    assert.ok(await page.locator('#panel-model').isVisible());
    assert.ok(!(await page.locator('#panel-layers').isVisible()));
  });

  it('looks right from 800 to 1600 px and in a light theme', async () => {
    for (const [width, theme] of [
      [800, 'dark'],
      [1600, 'dark'],
      [1280, 'light'],
      [800, 'light'],
    ]) {
      panel = await openPanel(browser, sink, host, { width, theme });
      const { page } = panel;
      await ready();
      await page.locator('[data-map=cells]').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `no horizontal scrolling at ${width}px`);
      if (theme === 'light') assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
      await page.screenshot({ path: path.join(SHOTS, `panel-${width}-${theme}.png`), fullPage: true });
      const problems = await pageProblems(panel);
      await panel.context.close();
      panel = undefined;
      assert.deepEqual(problems, []);
    }
  });

  it('works as a plain page without VS Code and never renders labels or metadata as markup', async () => {
    const labels = [
      '<img src=x onerror="window.__pwned=1">zero',
      '<b>one</b>',
      'two',
      '<script>window.__pwned=2</script>three',
      'four',
      'five',
      'six',
      'seven',
      'eight',
      'nine',
    ];
    const mnistSink = {};
    const mnist = new DevHost({ model: fixture('models/mnist-8.onnx'), image: fixture('images/digit_3.jpg'), options: { labels }, exportDir: EXPORTS }, (m) =>
      mnistSink.post(m),
    );
    panel = await openPanel(browser, mnistSink, mnist, { stub: false });
    const { page } = panel;
    await page.locator('#title', { hasText: 'class 3' }).waitFor();
    assert.equal(await page.evaluate(() => typeof window.acquireVsCodeApi), 'undefined', 'no VS Code here: the browser fallback talks to window.cnnfHost');
    assert.match(await page.locator('#title').innerText(), /<script>window\.__pwned=2<\/script>three/);
    assert.match(await page.locator('.preds').innerText(), /<img src=x onerror="window.__pwned=1">zero/);
    assert.equal(await page.locator('#app img, #app b, #app script').count(), 0, 'labels stay text');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    // A 28×28 digit is drawn at a whole multiple with square pixels.
    await page.locator(`${MAIN}[data-class-index="3"]`).waitFor({ state: 'attached' });
    const img = await readCanvas(page, MAIN);
    assert.deepEqual([img.width, img.height], [280, 280]);
    await page.screenshot({ path: path.join(SHOTS, 'mnist-plain-page.png'), fullPage: true });
    // The view state lives in sessionStorage here, so a reload keeps it too.
    await setToggles({ box: false });
    await page.reload();
    await page.locator('#title', { hasText: 'class 3' }).waitFor();
    assert.equal(await toggle('box').isChecked(), false);
  });

  it('serves the development page over HTTP, explaining the shipped int8 demo with dequantized activations', async () => {
    const dev = await startDevServer({ port: 0 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      await page.goto(`${dev.url}/`);
      await page.locator('#title', { hasText: 'class 144' }).waitFor();
      await page.locator('[data-map=activation]').waitFor();
      const d = dev.host.lastLayer;
      assert.match(d.op, /^QLinear/, 'the int8 model walks through QOperator nodes');
      assert.ok(
        d.activation.some((v) => v !== Math.round(v)),
        'its activations arrive dequantized (real numbers, not uint8 codes)',
      );
      await page.screenshot({ path: path.join(SHOTS, 'dev-page-int8-demo.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await new Promise((r) => dev.server.close(r));
    }
  });

  it('handles a walk of hundreds of layers (ShuffleNetV2 QDQ: 450 steps)', async () => {
    const bigSink = {};
    const big = new DevHost({ model: fixture('models/shufflenet-v2-12-qdq.onnx'), image: PELICAN, exportDir: EXPORTS }, (m) => bigSink.post(m));
    panel = await openPanel(browser, bigSink, big);
    const { page } = panel;
    await page.locator('#title', { hasText: 'class 144' }).waitFor();
    const n = big.main.result.layers.length;
    assert.ok(n > 300, `a long walk (${n} steps)`);
    const rows = page.locator('table.layers tbody tr[data-index]:not([hidden])');
    assert.equal(await rows.count(), n);
    // The whole table re-renders on each filter keystroke: measured, not asserted on.
    const ms = await page.evaluate(() => {
      const f = document.querySelector('input.filter');
      f.value = 'Conv';
      const t0 = performance.now();
      f.dispatchEvent(new Event('input'));
      f.value = '';
      f.dispatchEvent(new Event('input'));
      return (performance.now() - t0) / 2;
    });
    console.log(`      (${n}-row layer table re-rendered in ${ms.toFixed(1)} ms)`);
    // End jumps to the input side of the walk; the table scrolls, the page does not.
    await page.locator('table.layers tr[aria-selected=true]').focus();
    const scrollY = await page.evaluate(() => window.scrollY);
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.locator('.detail-head', { hasText: `Layer ${n - 1}` }).waitFor();
    assert.equal(await page.evaluate(() => window.scrollY), scrollY);
    await page.screenshot({ path: path.join(SHOTS, 'shufflenet-450-layers.png'), fullPage: true });
  });
});
